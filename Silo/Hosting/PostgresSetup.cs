using System.Data.Common;
using System.Net.Sockets;
using MarketData.Storage.Schema;

namespace MarketData.Silo.Hosting;

/// <summary>
/// The PostgreSQL mode's switches: <c>ConnectionStrings:Postgres</c> turns it on (absent: the embedded in-memory
/// default), <c>Postgres:MigrateOnStart</c> (default true) applies the schema before Orleans starts, and the
/// <c>migrate</c> verb applies it and exits.
/// </summary>
public static class PostgresSetup
{
    public const string ConnectionName = "Postgres";

    /// <summary>The ADO.NET invariant Orleans loads Npgsql by.</summary>
    public const string Invariant = "Npgsql";

    public const string MigrateOnStartKey = "Postgres:MigrateOnStart";

    /// <summary>The connection string, or null in the embedded default (absent or blank).</summary>
    public static string? ConnectionString(IConfiguration configuration)
        => configuration.GetConnectionString(ConnectionName) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>
    /// The connection string the Orleans providers (clustering, grain state, reminders) use, or null for the embedded
    /// ones. A replay (<c>--replay</c>, <c>--replay-db</c>) always runs as a cluster of its own in memory: joining the live
    /// cluster or sharing its grain state and reminders would mix replayed data into live books and restart live feeds
    /// inside the replay. It may still read and write the archive (<see cref="ConnectionString"/>).
    /// </summary>
    public static string? ClusterConnectionString(IConfiguration configuration)
        => IsReplay(configuration) ? null : ConnectionString(configuration);

    public static bool IsReplay(IConfiguration configuration)
        => configuration["Replay:Files:0"] is not null || configuration["Replay:DatabaseFrom"] is not null;

    public static bool MigrateOnStart(IConfiguration configuration) => configuration.GetValue(MigrateOnStartKey, true);

    /// <summary>
    /// <c>migrate</c>: applies the schema scripts and returns the exit code: 0 done, 1 with a sentence on
    /// <paramref name="errors"/> when there is no connection string or the database cannot be migrated.
    /// </summary>
    public static async Task<int> RunMigrateCommandAsync(IConfiguration configuration, ILogger logger, TextWriter errors, CancellationToken cancellationToken)
    {
        if (ConnectionString(configuration) is not { } connectionString)
        {
            await errors.WriteLineAsync("migrate needs a PostgreSQL connection string: set ConnectionStrings:Postgres "
                + "(environment ConnectionStrings__Postgres, or --ConnectionStrings:Postgres=\"Host=...;Database=...;Username=...\").");
            return 1;
        }
        var failure = await TryMigrateAsync(connectionString, logger, cancellationToken);
        if (failure is null) return 0;
        await errors.WriteLineAsync(failure);
        return 1;
    }

    /// <summary>Applies the schema; null when done, else why not (<see cref="SchemaMigrator"/> names the server, never the password).</summary>
    public static async Task<string?> TryMigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await SchemaMigrator.MigrateAsync(connectionString, logger, cancellationToken);
            return null;
        }
        catch (SchemaMigrationException ex)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is DbException or SocketException or TimeoutException or IOException)
        {
            // The connection broke between scripts: the applied ones stay recorded, the next run goes on from there.
            return $"Migrating the PostgreSQL schema failed part-way: {ex.Message}";
        }
    }
}
