using System.Collections.Concurrent;
using Npgsql;

namespace MarketData.Storage.TimeSeries;

/// <summary>
/// The daily partitions known to exist (native partitioning only), so a batch costs no catalog query unless it holds a
/// day not seen before. Creation is idempotent and tolerates another writer (another silo) creating the same partition
/// at the same moment. DDL runs with a short lock timeout: a partition waits for the parent's lock, and a long reader
/// holding it must not make every later query on the table queue up behind the waiting DDL.
/// </summary>
internal sealed class PartitionCatalog
{
    private readonly ConcurrentDictionary<(string Table, DateOnly Day), byte> _known = new();

    /// <summary>False with TimescaleDB: chunks are created by the extension.</summary>
    public bool Enabled { get; set; }

    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(5);

    public bool IsKnown(string table, DateOnly day) => _known.ContainsKey((table, day));

    public async Task LoadAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        foreach (var table in TimeSeriesSchema.Tables)
            foreach (var name in await ListAsync(connection, table.Name, ct))
                if (TimeSeriesSchema.PartitionDay(table.Name, name) is { } day) _known[(table.Name, day)] = 0;
    }

    public static async Task<List<string>> ListAsync(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(TimeSeriesSchema.ListPartitions(table), connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var names = new List<string>();
        while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>Creates the partitions of <paramref name="days"/> that are not known yet; returns how many it created (or found created by someone else).</summary>
    public async Task<int> EnsureAsync(NpgsqlConnection connection, string table, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        var created = 0;
        foreach (var day in days)
        {
            if (_known.ContainsKey((table, day))) continue;
            await CreateAsync(connection, table, day, ct);
            _known[(table, day)] = 0;
            created++;
        }
        return created;
    }

    public void Forget(string table)
    {
        foreach (var key in _known.Keys)
            if (key.Table == table) _known.TryRemove(key, out _);
    }

    public void Forget(string table, DateOnly day) => _known.TryRemove((table, day), out _);

    private static async Task CreateAsync(NpgsqlConnection connection, string table, DateOnly day, CancellationToken ct)
    {
        try
        {
            await ExecuteDdlAsync(connection, TimeSeriesSchema.CreatePartition(table, day), ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation)
        {
            // Another writer created it between our IF NOT EXISTS check and our insert into the catalog: it exists.
        }
    }

    /// <summary>One DDL statement in its own transaction with <see cref="LockTimeout"/>.</summary>
    public static async Task ExecuteDdlAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var timeout = new NpgsqlCommand($"SET LOCAL lock_timeout = '{(int)LockTimeout.TotalMilliseconds}ms'", connection, transaction))
            await timeout.ExecuteNonQueryAsync(ct);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
            await command.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
