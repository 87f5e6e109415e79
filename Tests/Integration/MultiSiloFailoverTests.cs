using System.Globalization;
using MarketData.Books;
using MarketData.Client;
using MarketData.Instruments;
using MarketData.Tests.Postgres;
using Xunit.Abstractions;

namespace MarketData.Tests.Integration;

/// <summary>
/// Two silo processes form one cluster through PostgreSQL; the one hosting the feed is killed with SIGKILL. The
/// feed must come back on the survivor, every book must be synced again with data produced after the kill, and
/// model outputs acknowledged before the kill must still be readable (their grain state is in PostgreSQL).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiSiloFailoverTests(PostgresFixture fixture, ITestOutputHelper output)
{
    /// <summary>Generous for a loaded CI machine; the target (benchmark) is 20 s.</summary>
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task Killing_the_feed_silo_resyncs_every_book_on_the_survivor_and_keeps_acknowledged_outputs()
    {
        if (fixture.Server is null) throw new SkipException(PostgresServer.Unavailable);
        var database = await fixture.Server.CreateDatabaseAsync("failover");
        await using var cluster = await FailoverCluster.StartAsync(database, output.WriteLine);

        var (exit, text) = await cluster.MigrateAsync();
        Assert.True(exit == 0, $"migrate exited with {exit}: {text}");

        cluster.StartSilo();
        cluster.StartSilo();
        var startup = await cluster.WaitReadyAsync(TimeSpan.FromSeconds(180));
        output.WriteLine($"two silos up and every book synced after {FailoverCluster.Seconds(startup)}");

        // Several models: their grains spread over both silos, so some of them die with the victim.
        var models = Enumerable.Range(1, 6).Select(i => $"failover-m{i}").ToList();
        var via = cluster.Alive.First();
        var acknowledged = new Dictionary<string, (long Sequence, double Confidence)>();
        foreach (var (model, i) in models.Select((m, i) => (m, i)))
        {
            var confidence = 0.1 + i / 10.0;
            acknowledged[model] = (await FailoverCluster.SubmitModelOutputAsync(via, "BTCUSDT", model, confidence), confidence);
        }

        // An Orleans client that finds the gateways in the membership table, connected before the kill.
        await using var client = await MarketDataClient.ConnectAsync(new MarketDataClientOptions
        {
            PostgresConnectionString = database,
            ServiceId = cluster.ClusterId,
            ClusterId = cluster.ClusterId,
        });
        await Eventually.WaitAsync(() => client.GetBookAsync(new Instrument("binance", "ETHUSDT"), 5), v => v.Status == BookStatus.Synced, "ETHUSDT synced, read through the client");

        // The worst case is the silo running the feed: ingestion itself has to move.
        var victim = cluster.FeedHost() ?? via;
        cluster.Trace = true;
        output.WriteLine($"feed host: {cluster.FeedHost()?.Name ?? "unknown (killing the first silo)"}");
        TimeSpan failover;
        try
        {
            failover = await cluster.KillAndMeasureAsync(victim, FailoverBound);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{cluster.Diagnostics()}", ex);
        }
        output.WriteLine($"failover: every book synced again {FailoverCluster.Seconds(failover)} after SIGKILL of {victim.Name}");
        var survivor = Assert.Single(cluster.Alive);
        Assert.NotNull(survivor.LastLogged(FailoverCluster.FeedStartedLine));

        foreach (var model in models)
        {
            var stored = await cluster.ReadModelOutputsAsync("BTCUSDT", model, TimeSpan.FromSeconds(60));
            var (sequence, confidence) = Assert.Single(stored);
            Assert.Equal(acknowledged[model].Sequence, sequence);
            Assert.Equal(acknowledged[model].Confidence, confidence, 9);
        }

        // The client carries on through the surviving gateway.
        var history = await Eventually.WaitAsync(() => TryAsync(() => client.GetModelOutputsAsync("BTCUSDT", models[0], 10)),
            h => h is { Count: 1 }, "the client reading through the surviving gateway");
        Assert.Equal(acknowledged[models[0]].Sequence, history![0].Sequence);
    }

    [SkippableFact]
    public async Task Migrate_without_a_connection_string_or_a_server_exits_1_with_a_sentence()
    {
        var (missing, missingText) = await SiloProcess.RunToEndAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = "" }, ["migrate"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, missing);
        Assert.Contains("ConnectionStrings:Postgres", missingText, StringComparison.Ordinal);

        // A port nobody listens on: connection refused at once.
        var port = FreePort();
        var unreachable = $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Database=none;Username=postgres;Timeout=5";
        var (refused, refusedText) = await SiloProcess.RunToEndAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = unreachable }, ["migrate"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, refused);
        Assert.Contains($"127.0.0.1:{port}", refusedText, StringComparison.Ordinal);
        output.WriteLine(refusedText.Trim());
    }

    /// <summary>Null while the client still fails over to the surviving gateway.</summary>
    private static async Task<T?> TryAsync<T>(Func<Task<T>> call) where T : class
    {
        try { return await call(); }
        catch (Exception ex) when (ex is OrleansException or TimeoutException) { return null; }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
