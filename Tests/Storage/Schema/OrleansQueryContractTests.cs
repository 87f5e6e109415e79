using System.Data;
using MarketData.Storage.Schema;
using MarketData.Tests.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace MarketData.Tests.Storage.Schema;

/// <summary>
/// The stored queries run the way Orleans runs them (text from OrleansQuery, parameters named without prefix, typed
/// from the CLR value, nulls typed), with the edge cases a running cluster seldom hits: a stale version, a second insert
/// of a row, a write after a lost race. The conditional writes must change both things or neither.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansQueryContractTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "cluster-a";
    private static readonly DateTime T0 = new(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

    [SkippableFact]
    public async Task Membership_writes_are_conditional_on_the_table_version_and_roll_back_whole()
    {
        if (await DatabaseAsync() is not { } db) return;

        Assert.Equal(1, await db.IntAsync("InsertMembershipVersionKey", P("DeploymentId", Cluster)));
        Assert.Equal(0, await db.IntAsync("InsertMembershipVersionKey", P("DeploymentId", Cluster)));
        var empty = Assert.Single(await db.RowsAsync("MembershipReadAllKey", P("DeploymentId", Cluster)));
        Assert.Equal(DBNull.Value, empty["starttime"]);
        Assert.Equal(0, empty["version"]);

        Assert.Equal(1, await db.IntAsync("InsertMembershipKey", Silo("10.0.0.1", 11111, 1, status: 2, version: 0)));
        // Stale version: nothing inserted.
        Assert.Equal(0, await db.IntAsync("InsertMembershipKey", Silo("10.0.0.2", 11111, 1, status: 2, version: 0)));
        // The same silo again with the current version: the version bump is rolled back with the failed insert.
        Assert.Equal(0, await db.IntAsync("InsertMembershipKey", Silo("10.0.0.1", 11111, 1, status: 2, version: 1)));
        Assert.Equal(1, await db.VersionAsync(Cluster));
        Assert.Single(await db.RowsAsync("MembershipReadAllKey", P("DeploymentId", Cluster)));

        Assert.Equal(1, await db.IntAsync("InsertMembershipKey", Silo("10.0.0.2", 11111, 7, status: 2, version: 1)));
        Assert.Equal(2, await db.VersionAsync(Cluster));

        // Update: status and suspicions change with the version; the heartbeat never goes back.
        await db.IntAsync("UpdateIAmAlivetimeKey", [.. Key("10.0.0.1", 11111, 1), P("IAmAliveTime", T0.AddSeconds(30))]);
        Assert.Equal(1, await db.IntAsync("UpdateMembershipKey", Update("10.0.0.1", 11111, 1, status: 3, suspect: "S10.0.0.2:11111:7,2026-01-02 03:04:06.000 GMT", alive: T0.AddSeconds(5), version: 2)));
        var row = Assert.Single(await db.RowsAsync("MembershipReadRowKey", Key("10.0.0.1", 11111, 1)));
        Assert.Equal(3, row["status"]);
        Assert.Equal("S10.0.0.2:11111:7,2026-01-02 03:04:06.000 GMT", row["suspecttimes"]);
        Assert.Equal(T0.AddSeconds(30), ((DateTime)row["iamalivetime"]).ToUniversalTime());
        Assert.Equal(3, row["version"]);
        Assert.Equal(0, await db.IntAsync("UpdateMembershipKey", Update("10.0.0.1", 11111, 1, status: 6, suspect: null, alive: T0, version: 2)));
        // Current version but no such row: the bump is rolled back.
        Assert.Equal(0, await db.IntAsync("UpdateMembershipKey", Update("10.0.0.9", 11111, 1, status: 6, suspect: null, alive: T0, version: 3)));
        Assert.Equal(3, await db.VersionAsync(Cluster));

        // A row that is not there reads as the version row alone.
        var missing = Assert.Single(await db.RowsAsync("MembershipReadRowKey", Key("10.0.0.9", 11111, 1)));
        Assert.Equal(DBNull.Value, missing["starttime"]);
        Assert.Equal(3, missing["version"]);

        // Heartbeats: later ones move IAmAliveTime, earlier ones do not.
        await db.IntAsync("UpdateIAmAlivetimeKey", [.. Key("10.0.0.1", 11111, 1), P("IAmAliveTime", T0.AddSeconds(10))]);
        await db.IntAsync("UpdateIAmAlivetimeKey", [.. Key("10.0.0.1", 11111, 1), P("IAmAliveTime", T0.AddSeconds(60))]);
        row = Assert.Single(await db.RowsAsync("MembershipReadRowKey", Key("10.0.0.1", 11111, 1)));
        Assert.Equal(T0.AddSeconds(60), ((DateTime)row["iamalivetime"]).ToUniversalTime());

        // Gateways: active silos with a proxy port.
        var gateway = Assert.Single(await db.RowsAsync("GatewaysQueryKey", P("DeploymentId", Cluster), P("Status", 3)));
        Assert.Equal("10.0.0.1", gateway["address"]);
        Assert.Equal(30000, gateway["proxyport"]);
        Assert.Equal(1, gateway["generation"]);

        // Defunct cleanup: only rows that are not active and silent since the cutoff.
        await db.IntAsync("CleanupDefunctSiloEntriesKey", P("DeploymentId", Cluster), P("IAmAliveTime", T0.AddDays(1)));
        var left = await db.RowsAsync("MembershipReadAllKey", P("DeploymentId", Cluster));
        Assert.Equal(["10.0.0.1"], left.Select(r => (string)r["address"]));

        await db.IntAsync("DeleteMembershipTableEntriesKey", P("DeploymentId", Cluster));
        Assert.Empty(await db.RowsAsync("MembershipReadAllKey", P("DeploymentId", Cluster)));
    }

    [SkippableFact]
    public async Task Grain_state_writes_insert_once_then_follow_the_version()
    {
        if (await DatabaseAsync() is not { } db) return;
        var id = Identity("state-a", "key-1");

        Assert.Equal(1, await db.NullableIntAsync("WriteToStorageKey", [.. id, Version(null), P("PayloadBinary", new byte[] { 1 })]));
        // A second first write (another activation that never saw the state) is refused: NULL.
        Assert.Null(await db.NullableIntAsync("WriteToStorageKey", [.. id, Version(null), P("PayloadBinary", new byte[] { 2 })]));
        Assert.Equal(2, await db.NullableIntAsync("WriteToStorageKey", [.. id, Version(1), P("PayloadBinary", new byte[] { 3 })]));
        // Stale version: the version comes back unchanged.
        Assert.Equal(1, await db.NullableIntAsync("WriteToStorageKey", [.. id, Version(1), P("PayloadBinary", new byte[] { 4 })]));
        var read = Assert.Single(await db.RowsAsync("ReadFromStorageKey", id));
        Assert.Equal(new byte[] { 3 }, read["payloadbinary"]);
        Assert.Equal(2, read["version"]);

        // The identity includes the state name, the service and the key extension (null and empty differ).
        Assert.Empty(await db.RowsAsync("ReadFromStorageKey", Identity("state-b", "key-1")));
        Assert.Empty(await db.RowsAsync("ReadFromStorageKey", Identity("state-a", "key-1", service: "other")));
        Assert.Equal(1, await db.NullableIntAsync("WriteToStorageKey", [.. Identity("state-a", null), Version(null), P("PayloadBinary", new byte[] { 5 })]));
        Assert.Equal(1, await db.NullableIntAsync("WriteToStorageKey", [.. Identity("state-a", ""), Version(null), P("PayloadBinary", new byte[] { 6 })]));
        Assert.Equal(new byte[] { 5 }, Assert.Single(await db.RowsAsync("ReadFromStorageKey", Identity("state-a", null)))["payloadbinary"]);

        // Clear keeps the row without payload and counts on; a stale clear changes nothing.
        Assert.Equal(1, await db.NullableIntAsync("ClearStorageKey", [.. id, Version(1)]));
        Assert.Equal(3, await db.NullableIntAsync("ClearStorageKey", [.. id, Version(2)]));
        read = Assert.Single(await db.RowsAsync("ReadFromStorageKey", id));
        Assert.Equal(DBNull.Value, read["payloadbinary"]);
        Assert.Equal(3, read["version"]);

        // Delete: only at the current version; answers the deleted version plus one.
        Assert.Equal(2, await db.NullableIntAsync("DeleteStorageKey", [.. id, Version(2)]));
        Assert.Equal(4, await db.NullableIntAsync("DeleteStorageKey", [.. id, Version(3)]));
        Assert.Empty(await db.RowsAsync("ReadFromStorageKey", id));
    }

    [SkippableFact]
    public async Task Reminder_upserts_count_versions_and_deletes_need_the_current_one()
    {
        if (await DatabaseAsync() is not { } db) return;
        Arg[] reminder = [P("ServiceId", "svc"), P("GrainId", "probe/a"), P("ReminderName", "r1")];

        Assert.Equal(0, await db.IntAsync("UpsertReminderRowKey", [.. reminder, P("StartTime", T0), P("Period", 60_000), P("GrainHash", -5)]));
        // A period beyond int range arrives as a long.
        Assert.Equal(1, await db.IntAsync("UpsertReminderRowKey", [.. reminder, P("StartTime", T0.AddMinutes(1)), P("Period", 30L * 86_400_000), P("GrainHash", -5)]));
        var row = Assert.Single(await db.RowsAsync("ReadReminderRowKey", reminder));
        Assert.Equal(30L * 86_400_000, row["period"]);
        Assert.Equal(T0.AddMinutes(1), ((DateTime)row["starttime"]).ToUniversalTime());
        Assert.Equal(1, row["version"]);

        Assert.Equal(0, await db.IntAsync("DeleteReminderRowKey", [.. reminder, P("Version", 0)]));
        Assert.Equal(1, await db.IntAsync("DeleteReminderRowKey", [.. reminder, P("Version", 1)]));
        Assert.Empty(await db.RowsAsync("ReadReminderRowsKey", P("ServiceId", "svc"), P("GrainId", "probe/a")));
    }

    /// <summary>A parameter as Orleans adds it: named without prefix, typed from the value, a null typed too.</summary>
    private readonly record struct Arg(string Name, object? Value, DbType NullType)
    {
        public NpgsqlParameter Create()
        {
            var parameter = new NpgsqlParameter { ParameterName = Name, Value = Value ?? DBNull.Value };
            if (Value is null) parameter.DbType = NullType;
            return parameter;
        }
    }

    private static Arg P(string name, object? value, DbType nullType = DbType.String) => new(name, value, nullType);

    private static Arg Version(int? version) => P("GrainStateVersion", version, DbType.Int32);

    private static Arg[] Identity(string state, string? extension, string service = "svc") =>
    [
        P("GrainIdHash", 123), P("GrainIdN0", 0L), P("GrainIdN1", 0L), P("GrainTypeHash", 456), P("GrainTypeString", state),
        P("GrainIdExtensionString", extension), P("ServiceId", service),
    ];

    private static Arg[] Key(string address, int port, int generation) =>
        [P("DeploymentId", Cluster), P("Address", address), P("Port", port), P("Generation", generation)];

    private static Arg[] Silo(string address, int port, int generation, int status, int version) =>
    [
        .. Key(address, port, generation), P("SiloName", $"silo-{generation}"), P("HostName", "host"), P("Status", status),
        P("ProxyPort", 30000), P("StartTime", T0), P("IAmAliveTime", T0), P("Version", version),
    ];

    private static Arg[] Update(string address, int port, int generation, int status, string? suspect, DateTime alive, int version) =>
        [.. Key(address, port, generation), P("Status", status), P("SuspectTimes", suspect), P("IAmAliveTime", alive), P("Version", version)];

    private async Task<QueryRunner?> DatabaseAsync()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var cs = await server.CreateDatabaseAsync("contract");
        await SchemaMigrator.MigrateAsync(cs, new RecordingLogger(output));
        return new QueryRunner(cs);
    }

    /// <summary>Runs a stored query by key, each on a connection of its own (as the providers do).</summary>
    private sealed class QueryRunner(string connectionString)
    {
        public async Task<List<Dictionary<string, object>>> RowsAsync(string key, params Arg[] parameters)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            string text;
            await using (var lookup = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key", connection))
            {
                lookup.Parameters.AddWithValue("key", key);
                text = (string?)await lookup.ExecuteScalarAsync() ?? throw new InvalidOperationException($"no query {key}");
            }
            await using var command = new NpgsqlCommand(text, connection);
            foreach (var parameter in parameters) command.Parameters.Add(parameter.Create());
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<Dictionary<string, object>>();
            do
            {
                while (await reader.ReadAsync())
                {
                    var row = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                    for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.GetValue(i);
                    rows.Add(row);
                }
            } while (await reader.NextResultAsync());
            return rows;
        }

        /// <summary>The single value of a one-column answer; 0 for a statement without one.</summary>
        public async Task<int> IntAsync(string key, params Arg[] parameters)
            => await NullableIntAsync(key, parameters) ?? 0;

        public async Task<int?> NullableIntAsync(string key, params Arg[] parameters)
        {
            var rows = await RowsAsync(key, parameters);
            if (rows.Count == 0) return null;
            var row = Assert.Single(rows);
            var value = Assert.Single(row.Values);
            return value is DBNull ? null : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task<int> VersionAsync(string deploymentId)
            => (int)(await Db.ScalarAsync<int>(connectionString, "SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = @d", ("d", deploymentId)));
    }
}
