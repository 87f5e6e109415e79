using System.Net;
using System.Net.Sockets;
using MarketData.Storage.Schema;
using MarketData.Tests.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace MarketData.Tests.Storage.Schema;

[Collection(PostgresCollection.Name)]
public sealed class SchemaMigratorTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private static readonly IReadOnlyList<SchemaScript> Embedded = SchemaScript.LoadEmbedded();
    private static readonly string[] OrleansScripts = ["001-orleans-query.sql", "002-orleans-clustering.sql", "003-orleans-persistence.sql", "004-orleans-reminders.sql"];
    private static readonly string[] OrleansTables = ["orleansquery", "orleansmembershipversiontable", "orleansmembershiptable", "orleansstorage", "orleansreminderstable"];

    [SkippableFact]
    public void The_embedded_scripts_are_found_in_file_name_order()
    {
        var names = Embedded.Select(s => s.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.All(OrleansScripts, name => Assert.Contains(name, names));
        Assert.All(Embedded, s => Assert.Matches("^[0-9a-f]{64}$", s.Checksum));
        // Line endings do not change a checksum (a Windows checkout must not count as a changed script).
        Assert.Equal(Embedded[0].Checksum, new SchemaScript("x.sql", Embedded[0].Sql.ReplaceLineEndings("\r\n")).Checksum);
    }

    [SkippableFact]
    public async Task Migrating_twice_applies_every_script_once_and_installs_every_query_key()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("migrate");
        var logger = new RecordingLogger(output);

        var first = await SchemaMigrator.MigrateAsync(cs, logger);
        Assert.Equal(Embedded.Select(s => s.Name), first.Applied);
        Assert.Empty(first.Skipped);
        Assert.Empty(first.Changed);

        var second = await SchemaMigrator.MigrateAsync(cs, logger);
        Assert.Empty(second.Applied);
        Assert.Equal(Embedded.Select(s => s.Name), second.Skipped);
        output.WriteLine(second.ToString());

        foreach (var table in OrleansTables)
            Assert.True(await Db.ScalarAsync<bool>(cs, "SELECT to_regclass(@t) IS NOT NULL", ("t", table)), $"table {table} missing");
        var keys = await Db.StringsAsync(cs, "SELECT QueryKey FROM OrleansQuery");
        Assert.Equal(OrleansQueryKeys.All.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        var recorded = await Db.StringsAsync(cs, $"SELECT name || ' ' || checksum FROM {SchemaMigrator.MigrationsTable} ORDER BY name");
        Assert.Equal(Embedded.Select(s => $"{s.Name} {s.Checksum}"), recorded);
    }

    [SkippableFact]
    public async Task Three_migrators_started_together_apply_each_script_exactly_once()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("concurrent");
        var logger = new RecordingLogger(output);

        using var start = new ManualResetEventSlim();
        var runs = Enumerable.Range(0, 3).Select(_ => Task.Run(() => { start.Wait(); return SchemaMigrator.MigrateAsync(cs, logger); })).ToArray();
        start.Set();
        var results = await Task.WhenAll(runs);

        var all = Embedded.Select(s => s.Name).ToList();
        var applier = Assert.Single(results, r => r.Applied.Count > 0);
        Assert.Equal(all, applier.Applied);
        Assert.All(results.Where(r => r != applier), r => Assert.Equal(all, r.Skipped));
        Assert.Equal(all.Count, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM {SchemaMigrator.MigrationsTable}"));
    }

    [SkippableFact]
    public async Task A_migrator_waits_while_another_holds_the_lock()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("waits");
        var logger = new RecordingLogger(output);

        await using var holder = new NpgsqlConnection(cs);
        await holder.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({SchemaMigrator.LockKey})", holder)) await take.ExecuteNonQueryAsync();

        var run = SchemaMigrator.MigrateAsync(cs, logger);
        // The migrator is blocked on the lock once the server shows its request waiting.
        await WaitUntilAsync(async () => await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted") == 1, "the migrator to wait for the lock");
        Assert.False(run.IsCompleted);
        Assert.False(await Db.ScalarAsync<bool>(cs, $"SELECT to_regclass('{SchemaMigrator.MigrationsTable}') IS NOT NULL"), "nothing is done before the lock is held");
        Assert.Contains(logger.Lines, l => l.Message.Contains("Another migrator", StringComparison.Ordinal));

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({SchemaMigrator.LockKey})", holder)) await release.ExecuteNonQueryAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Embedded.Count, result.Applied.Count);
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory'"));
    }

    [SkippableFact]
    public async Task A_script_whose_checksum_changed_is_applied_again_and_logged()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("changed");
        var logger = new RecordingLogger(output);
        await SchemaMigrator.MigrateAsync(cs, logger);

        // As if an older version of the persistence script had been applied, and a query text had since been edited by hand.
        await Db.ExecuteAsync(cs, $"UPDATE {SchemaMigrator.MigrationsTable} SET checksum = 'old' WHERE name = '003-orleans-persistence.sql'; "
            + "UPDATE OrleansQuery SET QueryText = 'broken' WHERE QueryKey = 'WriteToStorageKey';");
        var result = await SchemaMigrator.MigrateAsync(cs, logger);

        Assert.Equal(["003-orleans-persistence.sql"], result.Applied);
        Assert.Equal(["003-orleans-persistence.sql"], result.Changed);
        Assert.Equal(Embedded.Count - 1, result.Skipped.Count);
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("003-orleans-persistence.sql changed", StringComparison.Ordinal));
        Assert.Contains("orleans_storage_write", await Db.ScalarAsync<string>(cs, "SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey'"), StringComparison.Ordinal);
        var checksum = Embedded.Single(s => s.Name == "003-orleans-persistence.sql").Checksum;
        Assert.Equal(checksum, await Db.ScalarAsync<string>(cs, $"SELECT checksum FROM {SchemaMigrator.MigrationsTable} WHERE name = '003-orleans-persistence.sql'"));
    }

    [SkippableFact]
    public async Task A_failing_script_is_rolled_back_and_named_while_the_scripts_before_it_stay_applied()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("failing");
        SchemaScript[] scripts =
        [
            new("b-broken.sql", "CREATE TABLE half_done (v int); INSERT INTO half_done VALUES (1); SELECT no_such_column FROM half_done;"),
            new("a-good.sql", "CREATE TABLE IF NOT EXISTS good (v int);"),
            new("c-after.sql", "CREATE TABLE after_broken (v int);"),
        ];

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => SchemaMigrator.MigrateAsync(cs, scripts, new RecordingLogger(output), default));
        output.WriteLine(error.Message);
        Assert.Contains("b-broken.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_column", error.Message, StringComparison.Ordinal);
        Assert.Contains("rolled back", error.Message, StringComparison.Ordinal);

        Assert.True(await Db.ScalarAsync<bool>(cs, "SELECT to_regclass('good') IS NOT NULL"));
        Assert.False(await Db.ScalarAsync<bool>(cs, "SELECT to_regclass('half_done') IS NOT NULL"));
        Assert.False(await Db.ScalarAsync<bool>(cs, "SELECT to_regclass('after_broken') IS NOT NULL"));
        Assert.Equal(["a-good.sql"], await Db.StringsAsync(cs, $"SELECT name FROM {SchemaMigrator.MigrationsTable}"));
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory'"));
    }

    [SkippableFact]
    public async Task A_migrator_whose_connection_dies_mid_script_reports_it_and_leaves_nothing_half_applied()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("killed");
        SchemaScript[] scripts = [new("a-slow.sql", "CREATE TABLE slow_table (v int); SELECT pg_sleep(60);")];

        var run = SchemaMigrator.MigrateAsync(cs, scripts, new RecordingLogger(output), default);
        await WaitUntilAsync(async () => await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()") == 1,
            "the script to run");
        await Db.ExecuteAsync(cs, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()");

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        output.WriteLine(error.Message);
        Assert.Contains("a-slow.sql", error.Message, StringComparison.Ordinal);
        Assert.False(await Db.ScalarAsync<bool>(cs, "SELECT to_regclass('slow_table') IS NOT NULL"));
        Assert.Empty(await Db.StringsAsync(cs, $"SELECT name FROM {SchemaMigrator.MigrationsTable}"));
        // The lock went with the connection: the next migrator is not blocked.
        Assert.Equal(["a-slow.sql"], (await SchemaMigrator.MigrateAsync(cs, [new("a-slow.sql", "CREATE TABLE slow_table (v int);")], new RecordingLogger(output), default)).Applied);
    }

    [SkippableFact]
    public async Task A_missing_database_is_reported_by_name_and_not_created()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = server.ConnectionString("no_such_database");

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => SchemaMigrator.MigrateAsync(cs, new RecordingLogger(output)));
        output.WriteLine(error.Message);
        Assert.Contains("\"no_such_database\" does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.False(await Db.ScalarAsync<bool>(server.AdminConnectionString, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'no_such_database')"));
    }

    [SkippableFact]
    public async Task An_unreachable_server_is_reported_with_host_port_and_the_configuration_key()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0)) { listener.Start(); port = ((IPEndPoint)listener.LocalEndpoint).Port; }
        var cs = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Database = "marketdata", Username = "u", Password = "secret-password", Timeout = 5 }.ConnectionString;

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => SchemaMigrator.MigrateAsync(cs, new RecordingLogger(output)));
        output.WriteLine(error.Message);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Postgres", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
