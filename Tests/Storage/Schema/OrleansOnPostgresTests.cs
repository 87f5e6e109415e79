using MarketData.Actors;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Silo.Hosting;
using MarketData.Storage.Schema;
using MarketData.Tests.Integration;
using MarketData.Tests.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;
using Npgsql;
using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace MarketData.Tests.Storage.Schema;

/// <summary>
/// Orleans' own ADO.NET providers (clustering, grain storage, reminders) over the project's scripts, on a real
/// PostgreSQL server: in-process test clusters, each on a database of its own.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansOnPostgresTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string DeletingStorage = "marketdata-delete";

    [SkippableFact]
    public async Task Model_outputs_survive_deactivation_through_postgres_grain_storage()
    {
        if (await DatabaseAsync("state") is not { } cs) return;
        await using var cluster = await StartClusterAsync(cs);

        var key = new ModelOutputKey(new Instrument("binance", "BTCUSDT"), "cnn-a").Key;
        var grain = cluster.Client.GetGrain<IModelOutputGrain>(key);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < 3; i++)
        {
            var receipt = await grain.SubmitAsync(Output("cnn-a", now - 3_000 + i * 1_000, 0.5 + i * 0.1));
            Assert.True(receipt.Accepted, string.Join("; ", receipt.Errors));
        }
        var before = await grain.GetHistoryAsync(10);

        await cluster.DeactivateAsync(grain);
        await cluster.WaitForDeactivationAsync(grain);
        var after = await grain.GetHistoryAsync(10);

        Assert.Equal(3, after.Count);
        Assert.Equal(before.Select(Summary), after.Select(Summary));
        Assert.Equal([1L, 2L, 3L], after.Select(o => o.Sequence));
        // One row for the grain's state, written three times.
        var version = await Db.ScalarAsync<int>(cs, "SELECT Version FROM OrleansStorage WHERE GrainTypeString = 'modelOutputs' AND GrainIdExtensionString = @k AND ServiceId = @s",
            ("k", key), ("s", cluster.Options.ServiceId));
        Assert.Equal(3, version);
    }

    [SkippableFact]
    public async Task A_write_with_a_stale_etag_is_a_version_conflict()
    {
        if (await DatabaseAsync("conflict") is not { } cs) return;
        await using var cluster = await StartClusterAsync(cs, silo => silo.AddAdoNetGrainStorage(DeletingStorage, o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; o.DeleteStateOnClear = true; }));
        var services = cluster.Silos[0].ServiceProvider;
        var storage = services.GetRequiredKeyedService<IGrainStorage>(StorageNames.MarketData);
        var id = GrainId.Create("conflict-probe", "binance:ETHUSDT@m1");
        const string state = "modelOutputs";

        var mine = new GrainState<ModelOutputState>(new ModelOutputState { LastSequence = 1 });
        await storage.WriteStateAsync(state, id, mine);
        Assert.Equal("1", mine.ETag);

        // Another activation that never read the state tries to create it.
        var other = new GrainState<ModelOutputState>(new ModelOutputState { LastSequence = 99 });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(state, id, other));

        mine.State!.LastSequence = 2;
        await storage.WriteStateAsync(state, id, mine);
        Assert.Equal("2", mine.ETag);

        // A writer still holding version 1 loses, for writes and clears alike, and changes nothing.
        other.ETag = "1";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(state, id, other));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(state, id, other));
        var read = new GrainState<ModelOutputState>();
        await storage.ReadStateAsync(state, id, read);
        Assert.Equal(("2", 2L, true), (read.ETag, read.State!.LastSequence, read.RecordExists));

        // Clear at the current version: the state reads as new, and writing goes on from the cleared version.
        await storage.ClearStateAsync(state, id, read);
        var cleared = new GrainState<ModelOutputState>();
        await storage.ReadStateAsync(state, id, cleared);
        Assert.Equal(0L, cleared.State!.LastSequence);
        cleared.State!.LastSequence = 3;
        await storage.WriteStateAsync(state, id, cleared);
        Assert.Equal("4", cleared.ETag);

        // With DeleteStateOnClear the row goes, and the grain can write its state again afterwards.
        var deleting = services.GetRequiredKeyedService<IGrainStorage>(DeletingStorage);
        var gone = new GrainState<ModelOutputState>(new ModelOutputState { LastSequence = 5 });
        await deleting.WriteStateAsync("deletable", id, gone);
        await deleting.ClearStateAsync("deletable", id, gone);
        output.WriteLine($"ETag after a delete: '{gone.ETag}', record exists: {gone.RecordExists}");
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'deletable'"));
        gone.State!.LastSequence = 6;
        await deleting.WriteStateAsync("deletable", id, gone);
        var again = new GrainState<ModelOutputState>();
        await deleting.ReadStateAsync("deletable", id, again);
        Assert.Equal(6L, again.State!.LastSequence);
    }

    [SkippableFact]
    public async Task The_reminder_table_keeps_rows_reads_hash_ranges_with_wrap_around_and_deletes_by_etag()
    {
        if (await DatabaseAsync("reminder_table") is not { } cs) return;
        await using var cluster = await StartClusterAsync(cs);
        var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
        var start = new DateTime(2026, 3, 1, 12, 0, 0, 250, DateTimeKind.Utc);

        var grains = Enumerable.Range(0, 24).Select(i => GrainId.Create("range-probe", $"g{i:D2}")).ToList();
        var etags = new Dictionary<GrainId, string>();
        foreach (var grain in grains)
            etags[grain] = await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "r", StartAt = start, Period = TimeSpan.FromMinutes(1) })
                ?? throw new InvalidOperationException("no ETag");

        var row = Assert.IsType<ReminderEntry>(await table.ReadRow(grains[0], "r"));
        Assert.Equal((grains[0], "r", start, TimeSpan.FromMinutes(1), etags[grains[0]]), (row.GrainId, row.ReminderName, row.StartAt, row.Period, row.ETag));
        Assert.Single((await table.ReadRows(grains[0])).Reminders);

        // Ranges are (begin, end] on the unsigned hash ring; those crossing 2^31 or wrapping past 0 take the other query.
        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToList();
        (uint Begin, uint End)[] ranges =
        [
            (hashes[2], hashes[10]), (hashes[15], hashes[3]), (0x4000_0000u, 0xC000_0000u), (0xC000_0000u, 0x4000_0000u),
            (0u, uint.MaxValue), (hashes[5], hashes[5]),
        ];
        foreach (var (begin, end) in ranges)
        {
            var expected = grains.Where(g => InRange(g.GetUniformHashCode(), begin, end)).Select(g => g.ToString()).Order(StringComparer.Ordinal);
            var actual = (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.ToString()).Order(StringComparer.Ordinal);
            Assert.Equal(expected, actual);
        }

        // An update moves the ETag on; a delete needs the current one.
        var updated = await table.UpsertRow(new ReminderEntry { GrainId = grains[1], ReminderName = "r", StartAt = start.AddHours(1), Period = TimeSpan.FromDays(30) })
            ?? throw new InvalidOperationException("no ETag");
        Assert.NotEqual(etags[grains[1]], updated);
        Assert.Equal(TimeSpan.FromDays(30), (await table.ReadRow(grains[1], "r"))?.Period);
        Assert.False(await table.RemoveRow(grains[1], "r", etags[grains[1]]));
        Assert.True(await table.RemoveRow(grains[1], "r", updated));
        Assert.Null(await table.ReadRow(grains[1], "r"));
        Assert.Empty((await table.ReadRows(grains[1])).Reminders);
    }

    [SkippableFact]
    public async Task A_registered_reminder_is_stored_in_postgres_and_fires_also_after_a_silo_restart()
    {
        if (await DatabaseAsync("reminder_fires") is not { } cs) return;
        await using var cluster = await StartClusterAsync(cs);
        var probe = cluster.Client.GetGrain<IReminderProbeGrain>("fires");

        await probe.StartAsync(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        var period = await Db.ScalarAsync<long>(cs, "SELECT Period FROM OrleansRemindersTable WHERE ServiceId = @s AND GrainId LIKE '%/fires' AND ReminderName = @n",
            ("s", cluster.Options.ServiceId), ("n", ReminderProbeGrain.ReminderName));
        Assert.Equal(1_000L, period);

        await Eventually.WaitAsync(probe.GetTicksAsync, ticks => ticks >= 2, "two reminder ticks", TimeSpan.FromSeconds(30));

        // A new silo knows the reminder only from the table, and its ticks activate the grain again (what restarts
        // ingestion after a silo's death).
        await cluster.RestartSiloAsync(cluster.Silos[0]);
        await cluster.InitializeClientAsync();
        probe = cluster.Client.GetGrain<IReminderProbeGrain>("fires");
        await Eventually.WaitAsync(probe.GetTicksAsync, ticks => ticks >= 1, "a reminder tick after the restart", TimeSpan.FromSeconds(30));

        await probe.StopAsync();
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/fires'"));
    }

    [SkippableFact]
    public async Task Two_silos_form_one_cluster_through_postgres_membership()
    {
        if (await DatabaseAsync("membership") is not { } cs) return;
        // Two silo hosts and a client host as the host program builds them (the test cluster brings its own membership).
        var clusterId = $"cluster-{Guid.NewGuid():N}";
        var gatewayPorts = new[] { FreePort(), FreePort() };
        var silos = new List<IHost>();
        IHost? client = null;
        try
        {
            foreach (var gatewayPort in gatewayPorts) silos.Add(await StartSiloHostAsync(cs, clusterId, FreePort(), gatewayPort));
            var statuses = await Eventually.WaitAsync(() => StatusesAsync(cs, clusterId), s => s.Count == 2 && s.All(x => x == 3), "two active silos in OrleansMembershipTable");
            output.WriteLine($"silo statuses: {string.Join(", ", statuses)}");

            client = await StartClientHostAsync(cs, clusterId);
            // The client found the cluster through the table: both silos are its gateways.
            var gateways = client.Services.GetRequiredService<IGatewayListProvider>();
            await gateways.InitializeGatewayListProvider();
            Assert.Equal(gatewayPorts.Order(), (await gateways.GetGateways()).Select(u => u.Port).Order());

            // Calls go through, with grain state in the same database; each silo sees the other as active.
            var key = new ModelOutputKey(new Instrument("binance", "ETHUSDT"), "rl-b").Key;
            var receipt = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IModelOutputGrain>(key)
                .SubmitAsync(Output("rl-b", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1_000, 0.6));
            Assert.True(receipt.Accepted, string.Join("; ", receipt.Errors));
            Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM OrleansStorage WHERE GrainIdExtensionString = @k", ("k", key)));
            foreach (var silo in silos)
            {
                var membership = silo.Services.GetRequiredService<IClusterMembershipService>();
                await Eventually.WaitAsync(() => Task.FromResult(membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active)),
                    n => n == 2, "each silo to see two active silos");
            }

            // Silos that shut down say so in the table.
            await client.StopAsync();
            foreach (var silo in silos) await silo.StopAsync();
            Assert.Equal([6, 6], await StatusesAsync(cs, clusterId));
        }
        finally
        {
            client?.Dispose();
            foreach (var silo in silos) silo.Dispose();
        }
    }

    private static async Task<IHost> StartSiloHostAsync(string cs, string clusterId, int siloPort, int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMarketDataServices(builder.Configuration);
        builder.UseOrleans(silo => silo
            .Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = "marketdata-test"; })
            .ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort)
            .UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; })
            .AddAdoNetGrainStorage(StorageNames.MarketData, o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; })
            .UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; }));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return host;
    }

    private static async Task<IHost> StartClientHostAsync(string cs, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client
            .Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = "marketdata-test"; })
            .UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; }));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<List<int>> StatusesAsync(string cs, string clusterId)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = @d ORDER BY Port", connection);
        command.Parameters.AddWithValue("d", clusterId);
        await using var reader = await command.ExecuteReaderAsync();
        var statuses = new List<int>();
        while (await reader.ReadAsync()) statuses.Add(reader.GetInt32(0));
        return statuses;
    }

    private static bool InRange(uint hash, uint begin, uint end) => begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static ModelOutput Output(string model, long time, double confidence) => new()
    {
        ModelType = "cnn",
        ModelName = model,
        Time = time,
        Confidence = confidence,
        Predictions = [0.1, 0.7, 0.2],
        HiddenState = [1, 2, 3],
        Metadata = new Dictionary<string, string> { ["version"] = "1" },
    };

    private static string Summary(ModelOutput o)
        => $"{o.Sequence} {o.ModelName} {o.Time} {o.Confidence} {string.Join(',', o.Predictions)} {Convert.ToHexString(o.HiddenState ?? [])} {string.Join(',', o.Metadata.Select(kv => kv.Key + "=" + kv.Value))} {o.ReceivedAt:O}";

    private async Task<string?> DatabaseAsync(string prefix)
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync(prefix);
        await SchemaMigrator.MigrateAsync(cs, new RecordingLogger(output));
        return cs;
    }

    /// <summary>
    /// A one-silo test cluster whose grain storage and reminders are Orleans' ADO.NET providers on <paramref name="cs"/>
    /// (membership is the test cluster's own).
    /// </summary>
    private static async Task<InProcessTestCluster> StartClusterAsync(string cs, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Services.AddMarketDataServices(host.Configuration);
            host.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage(StorageNames.MarketData, o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; })
                .UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = cs; })
                // Reminders tick every second in tests instead of at most once a minute.
                .Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            configure?.Invoke(silo);
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }
}
