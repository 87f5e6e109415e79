using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MarketData.Storage.Schema;

/// <summary>
/// Brings a PostgreSQL database up to the project's schema: runs every embedded script of Grains/Storage/Schema/Sql
/// in file-name order, each in its own transaction, and records it with its checksum in
/// <c>marketdata_schema_migrations</c>. A script already recorded with the same checksum is skipped; one whose
/// checksum changed is run again (every script is idempotent) and the change is logged.
/// </summary>
/// <remarks>
/// Several silos may start at once and all migrate: a session-level advisory lock (one per database) lets one
/// migrator work at a time; the others wait, then find the scripts recorded and skip them. The migrator never creates
/// the database itself (that needs rights a service login should not have); a missing database is reported by name.
/// </remarks>
public static class SchemaMigrator
{
    /// <summary>The bookkeeping table.</summary>
    public const string MigrationsTable = "marketdata_schema_migrations";

    /// <summary>Where the host reads its connection string; named in error messages.</summary>
    public const string ConnectionStringKey = "ConnectionStrings:Postgres";

    /// <summary>Advisory lock key of the migrator (advisory locks are per database). An arbitrary constant: the bytes
    /// of "mdschema".</summary>
    internal const long LockKey = 0x6D64_7363_6865_6D61;

    /// <summary>Scripts run longer than the connection's default command timeout when tables are large.</summary>
    private const int ScriptTimeoutSeconds = 600;

    /// <summary>Applies every embedded schema script that this database has not got yet, or got in another version.</summary>
    /// <exception cref="SchemaMigrationException">Unreachable server, missing database, refused login, or a failed script.</exception>
    public static Task<SchemaMigrationResult> MigrateAsync(string connectionString, ILogger logger, CancellationToken ct = default)
        => MigrateAsync(connectionString, SchemaScript.LoadEmbedded(), logger, ct);

    /// <summary>The same with the scripts given (tests).</summary>
    internal static async Task<SchemaMigrationResult> MigrateAsync(string connectionString, IReadOnlyList<SchemaScript> scripts, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        ArgumentNullException.ThrowIfNull(logger);
        var target = Target.Parse(connectionString);
        var ordered = scripts.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var duplicate = ordered.Zip(ordered.Skip(1)).FirstOrDefault(p => p.First.Name == p.Second.Name).First;
        if (duplicate is not null) throw new ArgumentException($"Two schema scripts are named {duplicate.Name}.", nameof(scripts));

        await using var connection = await OpenAsync(connectionString, target, ct);
        await LockAsync(connection, target, logger, ct);
        try
        {
            await ExecuteAsync(connection, null,
                $"CREATE TABLE IF NOT EXISTS {MigrationsTable} (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", ct);
            var recorded = await ReadRecordedAsync(connection, ct);

            List<string> applied = [], skipped = [], changed = [];
            foreach (var script in ordered)
            {
                var known = recorded.TryGetValue(script.Name, out var checksum);
                if (known && checksum == script.Checksum)
                {
                    skipped.Add(script.Name);
                    logger.LogDebug("Schema script {Script} is already applied to {Database}", script.Name, target.Database);
                    continue;
                }
                if (known)
                {
                    logger.LogWarning("Schema script {Script} changed since it was applied to {Database} (checksum {Old} now {New}); applying it again",
                        script.Name, target.Database, checksum, script.Checksum);
                    changed.Add(script.Name);
                }
                await ApplyAsync(connection, script, target, ct);
                applied.Add(script.Name);
                logger.LogInformation("Applied schema script {Script} to {Database}", script.Name, target.Database);
            }
            var result = new SchemaMigrationResult(target.Database, applied, skipped, changed);
            logger.LogInformation("Schema of {Database} on {Server} is up to date: {Result}", target.Database, target.Server, result);
            return result;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, Target target, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw ConnectionFailure(ex, target);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Turns a failed open into a message that says what to fix.</summary>
    private static SchemaMigrationException ConnectionFailure(Exception ex, Target target)
    {
        var detail = ex is PostgresException pg ? pg.MessageText : ex.Message;
        return ex switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => new SchemaMigrationException(
                $"Database \"{target.Database}\" does not exist on the PostgreSQL server at {target.Server}. Create it (CREATE DATABASE \"{target.Database}\") "
                + $"or correct the database in {ConnectionStringKey}; the migrator does not create databases.", ex),
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } => new SchemaMigrationException(
                $"PostgreSQL at {target.Server} refused the login of user \"{target.User}\" to database \"{target.Database}\": {detail}. Check the credentials in {ConnectionStringKey}.", ex),
            PostgresException => new SchemaMigrationException(
                $"PostgreSQL at {target.Server} refused the connection to database \"{target.Database}\": {detail}. Check {ConnectionStringKey}.", ex),
            _ => new SchemaMigrationException(
                $"Cannot reach PostgreSQL at {target.Server} (database \"{target.Database}\"): {detail}. Check that the server is running and that {ConnectionStringKey} names the right host and port.", ex),
        };
    }

    private static async Task LockAsync(NpgsqlConnection connection, Target target, ILogger logger, CancellationToken ct)
    {
        await using var probe = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        probe.Parameters.AddWithValue("key", LockKey);
        if (await probe.ExecuteScalarAsync(ct) is true) return;

        logger.LogInformation("Another migrator is updating the schema of {Database}; waiting for it to finish", target.Database);
        // No timeout: the holder's scripts may take a while, and its lock goes when its connection does.
        await using var wait = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 };
        wait.Parameters.AddWithValue("key", LockKey);
        await wait.ExecuteNonQueryAsync(ct);
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open) return; // a broken connection has released the lock
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", LockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection is closed on the way out: the server releases a session's locks when it ends.
        }
    }

    private static async Task<Dictionary<string, string>> ReadRecordedAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand($"SELECT name, checksum FROM {MigrationsTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) recorded[reader.GetString(0)] = reader.GetString(1);
        return recorded;
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, SchemaScript script, Target target, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await ExecuteAsync(connection, transaction, script.Sql, ct, ScriptTimeoutSeconds);
            await using var record = new NpgsqlCommand(
                $"INSERT INTO {MigrationsTable} (name, checksum, applied_at) VALUES (@name, @checksum, now()) "
                + "ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at", connection, transaction);
            record.Parameters.AddWithValue("name", script.Name);
            record.Parameters.AddWithValue("checksum", script.Checksum);
            await record.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // The server rolls back a transaction whose connection went away.
            throw new SchemaMigrationException(
                $"The connection to {target.Server} was lost while schema script {script.Name} ran on database \"{target.Database}\": {ex.Message}. "
                + "The script was not recorded; run the migrator again (scripts are idempotent).", ex);
        }
        catch (PostgresException ex)
        {
            // Disposing the transaction rolls it back; scripts before this one stay applied.
            var where = string.IsNullOrEmpty(ex.Where) ? "" : $" ({ex.Where.ReplaceLineEndings(" / ")})";
            throw new SchemaMigrationException(
                $"Schema script {script.Name} failed on database \"{target.Database}\" at {target.Server} and was rolled back: {ex.MessageText} [SQLSTATE {ex.SqlState}]{where}.", ex);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct, int? timeoutSeconds = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        if (timeoutSeconds is { } timeout) command.CommandTimeout = timeout;
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The parts of a connection string that error messages name (never the password).</summary>
    private sealed record Target(string Server, string Database, string User)
    {
        public static Target Parse(string connectionString)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException ex)
            {
                // The message of a malformed connection string may quote it, password included: not passed on.
                throw new SchemaMigrationException($"{ConnectionStringKey} is not a valid PostgreSQL connection string ({ex.GetType().Name}).");
            }
            var host = string.IsNullOrEmpty(builder.Host) ? "localhost" : builder.Host;
            var user = string.IsNullOrEmpty(builder.Username) ? Environment.UserName : builder.Username;
            // Without a database Npgsql connects to the one named like the user.
            var database = string.IsNullOrEmpty(builder.Database) ? user : builder.Database;
            return new Target($"{host}:{builder.Port}", database, user);
        }
    }
}
