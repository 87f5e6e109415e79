namespace MarketData.Storage.TimeSeries;

/// <summary>
/// What one table's writer has done since start. Every row accepted by TryAdd ends in exactly one of Written, Expired
/// or Rejected, or is still queued / in flight (counted as Unwritten once the writer has stopped); every refused row is
/// counted in Dropped.
/// </summary>
public sealed class TimeSeriesTableCounters
{
    internal long DroppedCount, WrittenCount, DuplicateCount, ExpiredCount, RejectedCount, FailedCount, RetryCount, BatchCount, UnwrittenCount;
    private readonly Func<long> _queued;
    private readonly Func<int> _depth;

    internal TimeSeriesTableCounters(string table, Func<long> queued, Func<int> depth)
    {
        Table = table;
        _queued = queued;
        _depth = depth;
    }

    public string Table { get; }

    /// <summary>Rows accepted by TryAdd.</summary>
    public long Queued => _queued();

    /// <summary>Rows of committed batches (including <see cref="Duplicates"/>, and candle updates superseded within their batch).</summary>
    public long Written => Volatile.Read(ref WrittenCount);

    /// <summary>Rows refused because the table's queue was full (or the writer was disposed). Never silent: also logged.</summary>
    public long Dropped => Volatile.Read(ref DroppedCount);

    /// <summary>Committed rows that were already stored (same primary key) and left as they were: a retried batch whose first commit had gone through, a replay of stored data.</summary>
    public long Duplicates => Volatile.Read(ref DuplicateCount);

    /// <summary>Rows not written because their day is already past the table's retention.</summary>
    public long Expired => Volatile.Read(ref ExpiredCount);

    /// <summary>Rows the database can never take (invalid time, empty key, a value it refuses); each is logged.</summary>
    public long Rejected => Volatile.Read(ref RejectedCount);

    /// <summary>Batch attempts that failed (connection lost, server down, a bad row in the batch).</summary>
    public long FailedBatches => Volatile.Read(ref FailedCount);

    /// <summary>Attempts made again after a wait, following a failure the database may recover from.</summary>
    public long Retries => Volatile.Read(ref RetryCount);

    /// <summary>Rows accepted but never committed because the writer stopped first (shutdown timeout, database down).</summary>
    public long Unwritten => Volatile.Read(ref UnwrittenCount);

    /// <summary>Committed batches.</summary>
    public long Batches => Volatile.Read(ref BatchCount);

    /// <summary>Rows waiting in the queue (not counting a batch in flight).</summary>
    public int QueueDepth => _depth();

    public override string ToString()
        => $"{Table}: queued {Queued}, written {Written} ({Duplicates} duplicates), dropped {Dropped}, expired {Expired}, rejected {Rejected}, " +
           $"failed batches {FailedBatches}, retries {Retries}, batches {Batches}, depth {QueueDepth}, unwritten {Unwritten}";
}

/// <summary>The counters of every table.</summary>
public sealed class TimeSeriesCounters
{
    internal TimeSeriesCounters(TimeSeriesTableCounters trades, TimeSeriesTableCounters candles, TimeSeriesTableCounters cobSeconds,
        TimeSeriesTableCounters bookSnapshots, TimeSeriesTableCounters modelOutputs)
    {
        Trades = trades;
        Candles = candles;
        CobSeconds = cobSeconds;
        BookSnapshots = bookSnapshots;
        ModelOutputs = modelOutputs;
        Tables = [trades, candles, cobSeconds, bookSnapshots, modelOutputs];
    }

    public TimeSeriesTableCounters Trades { get; }
    public TimeSeriesTableCounters Candles { get; }
    public TimeSeriesTableCounters CobSeconds { get; }
    public TimeSeriesTableCounters BookSnapshots { get; }
    public TimeSeriesTableCounters ModelOutputs { get; }
    public IReadOnlyList<TimeSeriesTableCounters> Tables { get; }

    public TimeSeriesTableCounters this[string table]
        => Tables.FirstOrDefault(t => string.Equals(t.Table, table, StringComparison.OrdinalIgnoreCase))
           ?? throw new ArgumentException($"Unknown time-series table '{table}'.", nameof(table));

    public override string ToString() => string.Join(Environment.NewLine, Tables);
}
