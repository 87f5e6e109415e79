using Microsoft.Extensions.Logging;
using Npgsql;

namespace MarketData.Storage.TimeSeries;

/// <summary>
/// Writes the time series to PostgreSQL: one bounded queue and one background COPY loop per table (see
/// <see cref="TableWriter{T}"/> for batching, retries and exactly-once), schema and partitions on start, and a
/// maintenance loop that creates partitions ahead and applies retention every <see cref="TimeSeriesOptions.MaintenanceInterval"/>.
/// TryAdd never blocks: a full queue refuses the row and counts it. Dispose stops accepting rows, gives what is queued
/// up to <see cref="TimeSeriesOptions.ShutdownTimeout"/> to commit, then stops.
/// </summary>
public sealed class TimeSeriesWriter : ITimeSeriesSink, IAsyncDisposable
{
    /// <summary>Serializes schema creation between writers (silos) starting together.</summary>
    private const long SchemaLockKey = 0x4D44_5453_0001; // "MDTS"

    private readonly TimeSeriesOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TimeSeriesWriter> _logger;
    private readonly string _connectionString;
    private readonly PartitionCatalog _partitions = new();
    private readonly TableWriter<TradeRow> _trades;
    private readonly TableWriter<CandleRow> _candles;
    private readonly TableWriter<CobRow> _cob;
    private readonly TableWriter<BookSnapshotRow> _snapshots;
    private readonly TableWriter<ModelOutputRow> _outputs;
    private readonly ITableWriter[] _tables;
    private readonly IDisposable _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _maintenance = new(1, 1);
    private Task _maintenanceLoop = Task.CompletedTask;
    private int _started;
    private int _disposed;

    public TimeSeriesWriter(string connectionString, TimeSeriesOptions options, TimeProvider time, ILogger<TimeSeriesWriter> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        if (options.Validate() is { } error) throw new ArgumentException(error, nameof(options));
        _options = options;
        _time = time;
        _logger = logger;
        // The writer's connections are long-lived and its own: no pool, so a server restart leaves no stale pooled
        // connection behind, and the session-local staging tables survive between batches.
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Enlist = false }.ConnectionString;
        _trades = new(new TradeBinder(), options, time, logger, _connectionString, _partitions, options.TradeConnections);
        _candles = new(new CandleBinder(), options, time, logger, _connectionString, _partitions);
        _cob = new(new CobBinder(), options, time, logger, _connectionString, _partitions);
        _snapshots = new(new BookSnapshotBinder(), options, time, logger, _connectionString, _partitions);
        _outputs = new(new ModelOutputBinder(), options, time, logger, _connectionString, _partitions);
        _tables = [_trades, _candles, _cob, _snapshots, _outputs];
        Counters = new TimeSeriesCounters(_trades.Counters, _candles.Counters, _cob.Counters, _snapshots.Counters, _outputs.Counters);
        _metrics = StorageMetrics.Register(Counters);
    }

    public TimeSeriesCounters Counters { get; }

    /// <summary>After <see cref="StartAsync"/>: true when the tables are TimescaleDB hypertables, false with native partitioning.</summary>
    public bool? UsesTimescale { get; private set; }

    public bool TryAdd(in TradeRow row) => _trades.TryAdd(row);
    public bool TryAdd(in CandleRow row) => _candles.TryAdd(row);
    public bool TryAdd(CobRow row) => _cob.TryAdd(row);
    public bool TryAdd(BookSnapshotRow row) => _snapshots.TryAdd(row);
    public bool TryAdd(ModelOutputRow row) => _outputs.TryAdd(row);

    /// <summary>
    /// Creates the schema (idempotent; TimescaleDB or native partitioning as detected), the partitions of today and
    /// <see cref="TimeSeriesOptions.PartitionsAhead"/> days ahead, applies retention, and starts the loops. Rows added
    /// before the call wait in the queues. Throws when the database cannot be reached: the caller decides whether to retry.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _started, 1, 0) != 0) return;
        try
        {
            await using (var connection = await OpenAsync(ct))
            {
                var timescale = await DetectTimescaleAsync(connection, ct);
                await CreateSchemaAsync(connection, timescale, ct);
                UsesTimescale = timescale;
                _partitions.Enabled = !timescale;
                if (!timescale) await _partitions.LoadAsync(connection, ct);
            }
            var now = _time.GetUtcNow();
            await CreatePartitionsAsync(now, ct);
            await ApplyRetentionAsync(now, ct);
        }
        catch
        {
            Volatile.Write(ref _started, 0);
            throw;
        }
        foreach (var table in _tables) table.Start(_stop.Token);
        _maintenanceLoop = Task.Run(() => MaintainAsync(_stop.Token), CancellationToken.None);
        _logger.LogInformation("Time series store started ({Mode})", UsesTimescale == true ? "TimescaleDB hypertables" : "native daily partitions");
    }

    /// <summary>
    /// Back-pressure for producers that can wait instead of dropping (a replay, a backfill): completes when the queue of
    /// <paramref name="table"/> has room for <paramref name="rows"/> rows (at most its capacity). With several producers
    /// on one table another may take the room first, so TryAdd can still refuse: wait again.
    /// </summary>
    public Task WaitForRoomAsync(string table, int rows = 1, CancellationToken ct = default)
        => _tables.FirstOrDefault(t => string.Equals(t.Table.Name, table, StringComparison.OrdinalIgnoreCase))?.WaitForRoomAsync(rows, ct)
           ?? throw new ArgumentException($"Unknown time-series table '{table}'.", nameof(table));

    /// <summary>Completes when every row queued (in any table) before the call is committed, expired or rejected.</summary>
    public Task FlushAsync(CancellationToken ct = default) => Task.WhenAll(_tables.Select(t => t.FlushAsync(ct)));

    /// <summary>
    /// Native partitioning: creates the partitions of the UTC day of <paramref name="now"/> and of
    /// <see cref="TimeSeriesOptions.PartitionsAhead"/> days after it, for every table. Returns the partitions it created
    /// (those it did not know of before). Nothing with TimescaleDB.
    /// </summary>
    public async Task<IReadOnlyList<string>> CreatePartitionsAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        if (!_partitions.Enabled) return [];
        await _maintenance.WaitAsync(ct);
        try
        {
            var created = new List<string>();
            await using var connection = await OpenAsync(ct);
            var today = UnixTime.Day(now);
            foreach (var table in TimeSeriesSchema.Tables)
                for (var i = 0; i <= _options.PartitionsAhead; i++)
                {
                    var start = TimeSeriesSchema.PeriodStart(table.Name, today.AddDays(i));
                    if (await _partitions.EnsureAsync(connection, table.Name, [start], ct) > 0)
                        created.Add(TimeSeriesSchema.PartitionName(table.Name, start));
                }
            return created;
        }
        finally
        {
            _maintenance.Release();
        }
    }

    /// <summary>
    /// Drops, per table, whatever lies entirely before <paramref name="now"/> minus the table's retention: whole daily
    /// partitions (native), or chunks via drop_chunks (TimescaleDB, which also runs its own retention policy). Returns the
    /// partitions dropped (native).
    /// </summary>
    public async Task<IReadOnlyList<string>> ApplyRetentionAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        if (UsesTimescale is null) throw new InvalidOperationException("Start the writer first.");
        await _maintenance.WaitAsync(ct);
        try
        {
            var dropped = new List<string>();
            await using var connection = await OpenAsync(ct);
            foreach (var table in TimeSeriesSchema.Tables)
            {
                var cutoff = now - _options.RetentionOf(table.Name);
                if (UsesTimescale == true)
                {
                    await using var drop = new NpgsqlCommand(TimeSeriesSchema.TimescaleDropChunks(table.Name, cutoff), connection);
                    await drop.ExecuteNonQueryAsync(ct);
                    continue;
                }
                var partitions = await PartitionCatalog.ListAsync(connection, table.Name, ct);
                foreach (var name in TimeSeriesSchema.PartitionsBefore(table.Name, partitions, cutoff))
                {
                    await PartitionCatalog.ExecuteDdlAsync(connection, TimeSeriesSchema.DropPartition(name), ct);
                    _partitions.Forget(table.Name, TimeSeriesSchema.PartitionDay(table.Name, name)!.Value);
                    dropped.Add(name);
                }
            }
            if (dropped.Count > 0) _logger.LogInformation("Time series retention dropped {Partitions}", string.Join(", ", dropped));
            return dropped;
        }
        finally
        {
            _maintenance.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var table in _tables) table.Close();
        if (Volatile.Read(ref _started) != 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _time);
                await FlushAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // Counted and logged below, once the lanes have stopped.
            }
        }
        await _stop.CancelAsync();
        await Task.WhenAll(_tables.Select(t => t.StoppedAsync()).Append(_maintenanceLoop));
        // Whatever was accepted and not committed by now (queued, or a batch in flight when the lanes stopped) is lost:
        // counted and said, never silent.
        foreach (var c in Counters.Tables)
        {
            var unwritten = c.Queued - c.Written - c.Expired - c.Rejected;
            if (unwritten <= 0) continue;
            Interlocked.Exchange(ref c.UnwrittenCount, unwritten);
            _logger.LogError("Time series {Table}: stopped with {Count} accepted rows not committed", c.Table, unwritten);
        }
        foreach (var table in _tables) table.Dispose();
        // A writer that lost rows keeps reporting them (rows_unwritten) for the rest of the process; others leave the metrics.
        if (Counters.Tables.All(t => t.Unwritten == 0)) _metrics.Dispose();
        _stop.Dispose();
        _maintenance.Dispose();
    }

    private async Task MaintainAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.MaintenanceInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    var now = _time.GetUtcNow();
                    await CreatePartitionsAsync(now, stop);
                    await ApplyRetentionAsync(now, stop);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    // Partitions are also created on demand, and retention catches up at the next run.
                    _logger.LogWarning("Time series maintenance failed (retried in {Interval}): {Error}", _options.MaintenanceInterval, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// TimescaleDB or not: existing tables decide (natively partitioned stay so, hypertables stay so); otherwise the
    /// setting; otherwise auto: installed, or available and creatable (it must be in shared_preload_libraries).
    /// </summary>
    private async Task<bool> DetectTimescaleAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var wanted = _options.TimescaleMode;
        var kind = await ScalarAsync(connection, TimeSeriesSchema.TradesTableKind, ct) as string;
        if (kind == "p")
        {
            if (wanted == true) throw new InvalidOperationException("TimeSeries:Timescale is 'on' but the tables exist with native partitioning; migrate them first.");
            return false;
        }
        if (kind is not null)
        {
            if (wanted == false) throw new InvalidOperationException("TimeSeries:Timescale is 'off' but the tables exist as TimescaleDB hypertables.");
            return true;
        }
        if (wanted is { } explicitly) return explicitly;
        if (await ScalarAsync(connection, TimeSeriesSchema.TimescaleInstalled, ct) is not null) return true;
        if (await ScalarAsync(connection, TimeSeriesSchema.TimescaleAvailable, ct) is null) return false;
        try
        {
            await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS timescaledb", connection);
            await create.ExecuteNonQueryAsync(ct);
            return true;
        }
        catch (PostgresException e)
        {
            _logger.LogInformation("TimescaleDB is available but could not be created ({Error}); using native partitioning", e.MessageText);
            return false;
        }
    }

    private async Task CreateSchemaAsync(NpgsqlConnection connection, bool timescale, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockSchema = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLockKey})", connection, transaction))
            await lockSchema.ExecuteNonQueryAsync(ct);
        await using (var create = new NpgsqlCommand(TimeSeriesSchema.CreateTables(timescale), connection, transaction))
            await create.ExecuteNonQueryAsync(ct);
        if (timescale)
            foreach (var statement in TimeSeriesSchema.TimescaleSetup(_options))
            {
                await using var setup = new NpgsqlCommand(statement, connection, transaction);
                await setup.ExecuteNonQueryAsync(ct);
            }
        await transaction.CommitAsync(ct);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }
}
