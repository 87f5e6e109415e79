using System.Data;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MarketData.Storage.TimeSeries;

/// <summary>The part of a table writer that does not depend on the row type.</summary>
internal interface ITableWriter : IDisposable
{
    TimeSeriesTable Table { get; }
    TimeSeriesTableCounters Counters { get; }
    void Start(CancellationToken stop);
    Task WaitForRoomAsync(int rows, CancellationToken ct);
    Task FlushAsync(CancellationToken ct);
    void Close();
    Task StoppedAsync();
}

/// <summary>
/// One table's queue and its writer lanes. A lane is a loop with a connection of its own: it collects up to BatchSize
/// rows (waiting at most FlushInterval for a batch to fill, not at all when a flush is waiting) and writes them with one
/// binary COPY. Only one lane collects at a time, so with two lanes one fills the next batch while the other's COPY and
/// commit are in flight (append-only tables only: candles keep one lane so updates of a candle commit in order). A batch
/// that fails is kept by its lane and written again after a growing wait until it commits; meanwhile new rows queue up
/// to the bound and further ones are refused and counted.
/// </summary>
/// <remarks>
/// Exactly once across failures: the first attempt COPYs straight into the table (the fast path). Any later attempt
/// COPYs into a session-local staging table and merges with ON CONFLICT on the primary key, so a batch whose commit went
/// through just before the connection died is not stored twice. A direct COPY that meets rows already stored (a replay
/// writing the same trades again) is redone the same way. Candles always merge: a repaired candle replaces the stored one.
/// Rows the database refuses (class 21/22/23/54 errors) are found by halving the batch and rejected one by one, counted
/// and logged; everything else (connection lost, server starting or shutting down, locks, a missing table) is retried.
/// </remarks>
internal sealed class TableWriter<T> : ITableWriter
{
    private readonly RowBinder<T> _binder;
    private readonly TimeSeriesOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly PartitionCatalog _partitions;
    private readonly RowQueue<T> _queue;
    private readonly TimeSpan _retention;
    private readonly int _laneCount;
    private readonly SemaphoreSlim _collect = new(1, 1);
    private readonly Lock _flushLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    // Batches finish out of order with several lanes: rows up to _processed are all done; later finished batches wait here (first sequence -> count).
    private readonly SortedDictionary<long, int> _finishedAhead = [];
    private long _processed;
    private long _flushTarget;
    private volatile bool _closed;
    private bool _stopped;
    private long _droppedReported;
    private long _lastDropReport;
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);
    private Task _loop = Task.CompletedTask;
    private readonly KeyValuePair<string, object?> _tableTag;

    public TableWriter(RowBinder<T> binder, TimeSeriesOptions options, TimeProvider time, ILogger logger, string connectionString, PartitionCatalog partitions, int lanes = 1)
    {
        _binder = binder;
        _options = options;
        _time = time;
        _logger = logger;
        _connectionString = connectionString;
        _partitions = partitions;
        _laneCount = binder.Table.UpsertOnConflict ? 1 : Math.Max(1, lanes);
        _queue = new RowQueue<T>(options.BufferCapacity);
        _retention = options.RetentionOf(binder.Table.Name);
        Counters = new TimeSeriesTableCounters(binder.Table.Name, () => _queue.Enqueued, () => _queue.Count);
        _tableTag = StorageMetrics.TableTag(binder.Table.Name);
    }

    public TimeSeriesTable Table => _binder.Table;
    public TimeSeriesTableCounters Counters { get; }

    public bool TryAdd(in T row)
    {
        if (!_closed && _queue.TryEnqueue(row)) return true;
        Interlocked.Increment(ref Counters.DroppedCount);
        return false;
    }

    public Task WaitForRoomAsync(int rows, CancellationToken ct) => _queue.WaitForRoomAsync(rows).WaitAsync(ct);

    public void Start(CancellationToken stop) => _loop = RunLanesAsync(stop);

    /// <summary>Refuses new rows from now on (they count as dropped).</summary>
    public void Close() => _closed = true;

    public Task StoppedAsync() => _loop;

    /// <summary>After <see cref="StoppedAsync"/>.</summary>
    public void Dispose() => _collect.Dispose();

    /// <summary>Completes when every row accepted before the call has been committed (or expired / rejected).</summary>
    public Task FlushAsync(CancellationToken ct)
    {
        var target = _queue.Enqueued;
        TaskCompletionSource done;
        lock (_flushLock)
        {
            if (_processed >= target) return Task.CompletedTask;
            if (_stopped)
                return Task.FromException(new InvalidOperationException($"The {Table.Name} writer has stopped with {target - _processed} rows unwritten."));
            if (target > _flushTarget) _flushTarget = target;
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((target, done));
        }
        _queue.Wake();
        return done.Task.WaitAsync(ct);
    }

    /// <summary>A flush waits for rows that are still in the queue: collect them now rather than wait for a full batch.</summary>
    private bool FlushWanted
    {
        get
        {
            long target;
            lock (_flushLock) target = _flushTarget;
            return target > _queue.Dequeued;
        }
    }

    private async Task RunLanesAsync(CancellationToken stop)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, _laneCount).Select(_ => Task.Run(() => RunLaneAsync(stop), CancellationToken.None)));
        }
        finally
        {
            FailFlushWaiters();
        }
    }

    private async Task RunLaneAsync(CancellationToken stop)
    {
        var lane = new Lane();
        var batch = new T[_options.BatchSize];
        try
        {
            while (true)
            {
                var (count, first) = await CollectAsync(batch, stop);
                if (count == 0) continue;
                try
                {
                    await WriteBatchAsync(lane, batch, count, stop);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    // Not expected (every failure is handled below); never let a lane die with rows queued behind it.
                    Interlocked.Add(ref Counters.RejectedCount, count);
                    _logger.LogError(e, "Time series {Table}: a batch of {Count} rows failed unexpectedly and was rejected", Table.Name, count);
                }
                Array.Clear(batch, 0, count);
                Finished(first, count);
                ReportDrops();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await DropConnectionAsync(lane);
        }
    }

    /// <summary>Waits for rows, then for a full batch or the flush interval (one lane at a time), and takes them.</summary>
    private async Task<(int Count, long First)> CollectAsync(T[] batch, CancellationToken stop)
    {
        await _collect.WaitAsync(stop);
        try
        {
            await _queue.WaitForAsync(1).WaitAsync(stop);
            if (!FlushWanted && _queue.Count < batch.Length)
            {
                var full = _queue.WaitForAsync(batch.Length);
                if (!full.IsCompleted)
                {
                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    await Task.WhenAny(full, Task.Delay(_options.FlushInterval, _time, timer.Token));
                    await timer.CancelAsync();
                    stop.ThrowIfCancellationRequested();
                }
            }
            var count = _queue.Drain(batch, out var first);
            return (count, first);
        }
        finally
        {
            _collect.Release();
        }
    }

    private void Finished(long first, int count)
    {
        List<TaskCompletionSource>? done = null;
        lock (_flushLock)
        {
            if (first != _processed + 1)
            {
                _finishedAhead[first] = count;
                return;
            }
            _processed += count;
            while (_finishedAhead.Remove(_processed + 1, out var next)) _processed += next;
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target > _processed) continue;
                (done ??= []).Add(_flushWaiters[i].Done);
                _flushWaiters.RemoveAt(i);
            }
        }
        if (done is not null) foreach (var d in done) d.TrySetResult();
    }

    private void FailFlushWaiters()
    {
        List<(long Target, TaskCompletionSource Done)> waiters;
        long processed;
        lock (_flushLock)
        {
            waiters = [.. _flushWaiters];
            _flushWaiters.Clear();
            processed = _processed;
            _stopped = true;
        }
        foreach (var (target, done) in waiters)
            done.TrySetException(new InvalidOperationException($"The {Table.Name} writer stopped with {target - processed} rows unwritten."));
    }

    /// <summary>A lane's connection (its own, long-lived) and whether its session has the staging table yet.</summary>
    private sealed class Lane
    {
        public NpgsqlConnection? Connection;
        public bool StagingReady;
    }

    private async Task WriteBatchAsync(Lane lane, T[] batch, int count, CancellationToken stop)
    {
        var cutoffDay = UnixTime.Day(_time.GetUtcNow() - _retention);
        var kept = 0;
        var invalid = 0;
        string? why = null;
        var expired = 0;
        for (var i = 0; i < count; i++)
        {
            if (_binder.Invalid(batch[i]) is { } reason)
            {
                invalid++;
                why ??= reason;
                continue;
            }
            // Rows whose day retention has already dropped would only create a partition that the next retention run drops again.
            if (UnixTime.Day(_binder.TimeOf(batch[i])) < cutoffDay)
            {
                expired++;
                continue;
            }
            if (kept != i) batch[kept] = batch[i];
            kept++;
        }
        if (invalid > 0)
        {
            Interlocked.Add(ref Counters.RejectedCount, invalid);
            _logger.LogWarning("Time series {Table}: rejected {Count} invalid rows, e.g.: {Reason}", Table.Name, invalid, why);
        }
        if (expired > 0)
        {
            Interlocked.Add(ref Counters.ExpiredCount, expired);
            _logger.LogDebug("Time series {Table}: {Count} rows older than the retention of {Retention} not written", Table.Name, expired, _retention);
        }
        if (kept == 0) return;
        var merged = _binder.Collapse(batch, kept);
        await WriteAsync(lane, new ArraySegment<T>(batch, 0, merged), staged: Table.UpsertOnConflict, stop);
        // Updates of a candle superseded by a later one in the same batch were committed in that later one.
        Interlocked.Add(ref Counters.WrittenCount, kept - merged);
    }

    private enum Failure { Transient, Duplicate, MissingPartition, BadRow }

    private async Task WriteAsync(Lane lane, ArraySegment<T> rows, bool staged, CancellationToken stop)
    {
        var delay = _options.RetryMinDelay;
        var failures = 0;
        var partitionMisses = 0;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var started = _time.GetTimestamp();
            try
            {
                var connection = await ConnectAsync(lane, stop);
                if (_partitions.Enabled) await _partitions.EnsureAsync(connection, Table.Name, DaysOf(rows), stop);
                var inserted = staged ? await MergeAsync(lane, connection, rows, stop) : await CopyAsync(connection, Table.Name, rows, stop);
                Interlocked.Add(ref Counters.WrittenCount, rows.Count);
                if (!Table.UpsertOnConflict) Interlocked.Add(ref Counters.DuplicateCount, rows.Count - inserted);
                Interlocked.Increment(ref Counters.BatchCount);
                StorageMetrics.BatchDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds, _tableTag);
                if (failures > 0)
                    _logger.LogInformation("Time series {Table}: batch of {Count} rows committed after {Failures} failed attempts", Table.Name, rows.Count, failures);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                var failure = Classify(e, staged);
                if (failure == Failure.Duplicate)
                {
                    staged = true;
                    continue;
                }
                if (failure == Failure.MissingPartition && ++partitionMisses <= 3)
                {
                    _partitions.Forget(Table.Name);
                    continue;
                }
                Interlocked.Increment(ref Counters.FailedCount);
                if (failure == Failure.BadRow)
                {
                    await RejectBadRowsAsync(lane, rows, e, stop);
                    return;
                }
                failures++;
                await DropConnectionAsync(lane);
                if (failures == 1 || failures % 30 == 0)
                    _logger.LogWarning("Time series {Table}: writing {Count} rows failed (attempt {Attempt}), retrying with backoff: {Error}", Table.Name, rows.Count, failures, e.Message);
                else
                    _logger.LogDebug("Time series {Table}: attempt {Attempt} failed: {Error}", Table.Name, failures, e.Message);
                ReportDrops();
                await Task.Delay(delay, _time, stop);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
                // The failed attempt may have committed before the error reached us: from now on merge, never append.
                staged = true;
                Interlocked.Increment(ref Counters.RetryCount);
            }
        }
    }

    /// <summary>Halves the batch until the rows the database refuses are alone, rejecting those and writing the rest.</summary>
    private async Task RejectBadRowsAsync(Lane lane, ArraySegment<T> rows, Exception error, CancellationToken stop)
    {
        if (rows.Count == 1)
        {
            Interlocked.Increment(ref Counters.RejectedCount);
            _logger.LogWarning("Time series {Table}: rejected a row the database refuses ({Row}): {Error}", Table.Name, rows[0], error.Message);
            return;
        }
        var half = rows.Count / 2;
        await WriteAsync(lane, rows[..half], staged: true, stop);
        await WriteAsync(lane, rows[half..], staged: true, stop);
    }

    private static Failure Classify(Exception e, bool staged)
    {
        if (e is PostgresException pg)
        {
            if (pg.SqlState == PostgresErrorCodes.UniqueViolation && !staged) return Failure.Duplicate;
            // The only CHECK a time-series table has is its partition bound: "no partition of relation ... found for row".
            if (pg.SqlState == PostgresErrorCodes.CheckViolation) return Failure.MissingPartition;
            return pg.SqlState[..2] switch
            {
                "21" or "22" or "23" or "54" => Failure.BadRow,
                _ => Failure.Transient,
            };
        }
        return e switch
        {
            NpgsqlException or IOException or SocketException or TimeoutException or ObjectDisposedException
                or InvalidOperationException or OperationCanceledException => Failure.Transient,
            // Anything else comes from turning a row into COPY data (a value Npgsql cannot write): that row is bad.
            _ => Failure.BadRow,
        };
    }

    /// <summary>Logs drops since the last report, at most every <see cref="DropReportInterval"/> (drops come in floods).</summary>
    private void ReportDrops()
    {
        var dropped = Counters.Dropped;
        if (dropped == Interlocked.Read(ref _droppedReported)) return;
        var now = _time.GetTimestamp();
        lock (_flushLock)
        {
            if (_lastDropReport != 0 && _time.GetElapsedTime(_lastDropReport, now) < DropReportInterval) return;
            _lastDropReport = now;
        }
        var before = Interlocked.Exchange(ref _droppedReported, dropped);
        if (dropped > before)
            _logger.LogWarning("Time series {Table}: {Count} rows dropped because the buffer of {Capacity} rows was full ({Total} in all)",
                Table.Name, dropped - before, _options.BufferCapacity, dropped);
    }

    private List<DateOnly> DaysOf(ArraySegment<T> rows)
    {
        var days = new List<DateOnly>(2);
        var previous = DateOnly.MinValue;
        foreach (var row in rows)
        {
            var day = TimeSeriesSchema.PeriodStart(Table.Name, UnixTime.Day(_binder.TimeOf(row)));
            if (day == previous) continue;
            previous = day;
            if (!days.Contains(day)) days.Add(day);
        }
        return days;
    }

    private async Task<NpgsqlConnection> ConnectAsync(Lane lane, CancellationToken ct)
    {
        if (lane.Connection is { FullState: ConnectionState.Open } open) return open;
        await DropConnectionAsync(lane);
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        lane.Connection = connection;
        lane.StagingReady = false;
        return connection;
    }

    private async Task DropConnectionAsync(Lane lane)
    {
        var connection = lane.Connection;
        lane.Connection = null;
        if (connection is null) return;
        try { await connection.DisposeAsync(); }
        catch (Exception e) { _logger.LogDebug(e, "Time series {Table}: closing a broken connection failed", Table.Name); }
    }

    private async Task<long> CopyAsync(NpgsqlConnection connection, string target, ArraySegment<T> rows, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(TimeSeriesSchema.CopyInto(Table, target), ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            await _binder.WriteAsync(importer, row, ct);
        }
        return (long)await importer.CompleteAsync(ct);
    }

    private async Task<long> MergeAsync(Lane lane, NpgsqlConnection connection, ArraySegment<T> rows, CancellationToken ct)
    {
        if (!lane.StagingReady)
        {
            await using var create = new NpgsqlCommand(TimeSeriesSchema.CreateStaging(Table), connection);
            await create.ExecuteNonQueryAsync(ct);
            lane.StagingReady = true;
        }
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await CopyAsync(connection, Table.StagingName, rows, ct);
        await using var merge = new NpgsqlCommand(TimeSeriesSchema.MergeFromStaging(Table), connection, transaction);
        var inserted = await merge.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return inserted;
    }
}
