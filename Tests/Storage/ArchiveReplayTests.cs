using MarketData.Books;
using MarketData.Candles;
using MarketData.Client;
using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Recording;
using MarketData.Silo.Hosting;
using MarketData.Storage.TimeSeries;
using MarketData.Tests.Integration;
using MarketData.Tests.Postgres;
using MarketData.Tests.Recording;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace MarketData.Tests.Storage;

/// <summary>
/// The archive end to end: a cluster replays the shipped sample with PostgreSQL configured and stores every trade, the
/// per-second aggregates, periodic book snapshots and closed candles; a second cluster then replays the database
/// (<c>--replay-db</c>) through the grains and rebuilds the same candles, writing nothing back.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ArchiveReplayTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private static readonly Instrument Eth = new("binance", "ETHUSDT");

    [SkippableFact]
    public async Task A_replayed_session_is_archived_and_replays_from_the_database_through_the_grains()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        if (RecordingTestFiles.Sample() is not { } sample) throw new SkipException("samples/ absent");
        var database = await server.CreateDatabaseAsync("archive");
        await ClusterSetup.PrepareDatabaseAsync(database);
        var recorded = RecordedFacts.TradeCounts(sample);

        // 1. Replay the file with the archive on.
        await using (var recording = await ClusterSetup.StartAsync(database, new() { ["Replay:Files:0"] = sample }))
        {
            var client = new MarketDataClient(recording.Client);
            await Eventually.WaitAsync(() => client.GetFeedsAsync(), f => f.Count == 1 && f[0].State == FeedState.Completed, "file replay completed");
            foreach (var (symbol, count) in recorded)
            {
                var instrument = new Instrument("binance", symbol);
                await Eventually.WaitAsync(async () => (await client.GetCobHistoryAsync(instrument, 0, long.MaxValue)).Sum(c => (long)c.Flow.TradeCount)
                    + (await client.GetBookHealthAsync(instrument)).LateTrades, n => n == count, $"{symbol}: every trade in a second or counted late");
            }
            await Eventually.WaitAsync(() => client.GetCandlesAsync(new CandleSeriesKey(Eth, Timeframe.OneSecond), 1_000), v => v.Candles.Count > 60, "ETHUSDT 1s candles");
            var writer = recording.Silos[0].ServiceProvider.GetRequiredService<TimeSeriesWriter>();
            await writer.FlushAsync();
            output.WriteLine(writer.Counters.ToString());
            Assert.All(writer.Counters.Tables, t => Assert.Equal(0, t.Dropped));
        }

        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync();
        foreach (var (symbol, count) in recorded)
            Assert.Equal(count, await ScalarAsync(db, $"SELECT count(*) FROM trades WHERE symbol = '{symbol}'"));
        var snapshots = await ScalarAsync(db, "SELECT count(*) FROM book_snapshots WHERE symbol = 'ETHUSDT'");
        Assert.True(snapshots >= 60, $"{snapshots} book snapshots of two minutes at one a second");
        Assert.True(await ScalarAsync(db, "SELECT count(*) FROM cob_seconds WHERE symbol = 'ETHUSDT'") >= 100);
        var storedCandles = await ScalarAsync(db, "SELECT count(*) FROM candles WHERE symbol = 'ETHUSDT' AND timeframe = '1s'");
        Assert.True(storedCandles > 60, $"{storedCandles} closed 1s candles stored");
        var reader = new TimeSeriesReader(database);
        var stored1s = await reader.LatestCandlesAsync("binance", "ETHUSDT", Timeframe.OneSecond, 1_500);

        // 2. Replay the database window through a fresh cluster.
        var first = await ScalarAsync(db, "SELECT (extract(epoch FROM min(trade_time)) * 1000)::bigint FROM trades");
        var last = await ScalarAsync(db, "SELECT (extract(epoch FROM max(trade_time)) * 1000)::bigint FROM trades");
        await using var replaying = await ClusterSetup.StartAsync(database, new()
        {
            ["Replay:DatabaseFrom"] = DateTimeOffset.FromUnixTimeMilliseconds(first).ToString("O"),
            ["Replay:DatabaseTo"] = DateTimeOffset.FromUnixTimeMilliseconds(last + 1).ToString("O"),
        });
        var again = new MarketDataClient(replaying.Client);
        var feed = await Eventually.WaitAsync(() => again.GetFeedsAsync(), f => f.Count == 1 && f[0].State is FeedState.Completed or FeedState.Failed, "database replay ended");
        Assert.Equal(FeedState.Completed, feed[0].State);
        var allSnapshots = await ScalarAsync(db, "SELECT count(*) FROM book_snapshots");
        Assert.Equal(recorded.Values.Sum() + allSnapshots, feed[0].EventsPublished);
        Assert.Null(replaying.Silos[0].ServiceProvider.GetService<TimeSeriesWriter>()); // a replay of the database writes nothing back

        var health = await Eventually.WaitAsync(() => again.GetBookHealthAsync(Eth), h => h.SnapshotsApplied == snapshots, "every stored ETHUSDT book state applied");
        Assert.Equal(BookStatus.Synced, health.Status);
        await Eventually.WaitAsync(async () => (await again.GetCobHistoryAsync(Eth, 0, long.MaxValue)).Sum(c => (long)c.Flow.TradeCount)
            + (await again.GetBookHealthAsync(Eth)).LateTrades, n => n == recorded["ETHUSDT"], "ETHUSDT: every stored trade replayed");
        var seconds = await again.GetCobHistoryAsync(Eth, 0, long.MaxValue);
        Assert.Contains(seconds, s => !s.IsGap);

        // The candle caches restore only what was closed before the window (nothing here), and the replayed trades build
        // exactly the candles the first run stored: none rejected, none missing.
        var candles = await Eventually.WaitAsync(() => again.GetCandlesAsync(new CandleSeriesKey(Eth, Timeframe.OneSecond), 1_500),
            v => v.Candles.Count >= stored1s.Length, "ETHUSDT 1s candles rebuilt from the stored trades");
        Assert.Equal(0, candles.Rejected);
        Assert.Equal(stored1s.Select(c => (c.OpenTime, c.Open, c.High, c.Low, c.Close, c.Volume)),
            candles.Candles.Take(stored1s.Length).Select(c => (c.OpenTime, c.Open, c.High, c.Low, c.Close, c.Volume)));
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>In-process clusters on a PostgreSQL database, configured like the host program.</summary>
internal static class ClusterSetup
{
    /// <summary>What a database needs before a silo uses it.</summary>
    public static Task PrepareDatabaseAsync(string connectionString)
        => MarketData.Storage.Schema.SchemaMigrator.MigrateAsync(connectionString, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    public static Task<InProcessTestCluster> StartAsync(string connectionString, Dictionary<string, string?> settings)
    {
        settings["ConnectionStrings:Postgres"] = connectionString;
        settings["Replay:Speed"] = "0";
        settings["Books:StaleAfter"] = "00:10:00";
        settings["TimeSeries:BookSnapshotInterval"] = "00:00:01";
        settings["TimeSeries:FlushInterval"] = "00:00:00.100";
        // The sample is from 2024: past the default retention, which would expire its rows (counted) instead of storing them.
        foreach (var table in TimeSeriesTables.All) settings[$"TimeSeries:Retention:{table}"] = "3650.00:00:00";
        return TestClusters.StartAsync(settings);
    }
}
