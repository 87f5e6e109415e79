using Npgsql;
using Xunit.Abstractions;

namespace MarketData.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture fixture)
{
    [SkippableFact]
    public async Task A_throwaway_server_serves_databases_and_survives_a_restart()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var connectionString = await server.CreateDatabaseAsync("smoke");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE t (v int); INSERT INTO t VALUES (42);", connection);
            await create.ExecuteNonQueryAsync();
        }
        await server.StopAsync("immediate");
        await server.StartServerAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT v FROM t", connection);
            Assert.Equal(42, await read.ExecuteScalarAsync());
        }
    }
}
