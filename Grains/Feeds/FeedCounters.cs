namespace MarketData.Feeds;

/// <summary>
/// Thread-safe counters of one feed. Updated from receive loops with <see cref="Interlocked"/>;
/// read into a <see cref="FeedStatus"/> by the owning grain.
/// </summary>
public sealed class FeedCounters
{
    private long _duplicates, _messages, _bytes, _published, _reconnects, _resyncs, _snapshots, _rejected, _dropped, _unknown, _handovers, _rateLimitHits;
    private long _silentReplacements;
    private long _rateWindowStartTicks, _rateWindowStartMessages;
    private double _messagesPerSecond;
    private readonly object _errorLock = new();
    private readonly TimeProvider _time;

    public FeedCounters(TimeProvider time)
    {
        _time = time;
        _rateWindowStartTicks = time.GetTimestamp();
    }

    public string? LastError { get; private set; }
    public DateTime? LastErrorAt { get; private set; }

    public long Messages => Interlocked.Read(ref _messages);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Reconnects => Interlocked.Read(ref _reconnects);
    public long Resyncs => Interlocked.Read(ref _resyncs);
    public long SnapshotsFetched => Interlocked.Read(ref _snapshots);
    public long EventsPublished => Interlocked.Read(ref _published);
    public long UnknownEvents => Interlocked.Read(ref _unknown);
    public long Handovers => Interlocked.Read(ref _handovers);
    public long RateLimitHits => Interlocked.Read(ref _rateLimitHits);
    public long SilentReplacements => Interlocked.Read(ref _silentReplacements);
    public long Bytes => Interlocked.Read(ref _bytes);

    public void MessageReceived(int bytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void EventPublished() => Interlocked.Increment(ref _published);
    public void Reconnected() => Interlocked.Increment(ref _reconnects);
    public void ResyncRequested() => Interlocked.Increment(ref _resyncs);
    public void SnapshotFetched() => Interlocked.Increment(ref _snapshots);
    public void MessageRejected() => Interlocked.Increment(ref _rejected);
    /// <summary>A message lost or refused: overflow, publish failure. Worth an alarm.</summary>
    public void MessageDropped(long count = 1) => Interlocked.Add(ref _dropped, count);

    /// <summary>A message discarded because its content was already forwarded (connection overlap, late frames). Expected.</summary>
    public void DuplicateDropped(long count = 1) => Interlocked.Add(ref _duplicates, count);

    public long DuplicatesDropped => Interlocked.Read(ref _duplicates);
    public void UnknownEvent() => Interlocked.Increment(ref _unknown);
    public void HandoverCompleted() => Interlocked.Increment(ref _handovers);
    public void RateLimited() => Interlocked.Increment(ref _rateLimitHits);
    /// <summary>An open connection delivered no frame for its silence limit and is being replaced.</summary>
    public void SilentReplacement() => Interlocked.Increment(ref _silentReplacements);

    private long _refreshesRequested, _refreshesFetched, _refreshesFailed;
    public long CoverageRefreshesRequested => Interlocked.Read(ref _refreshesRequested);
    public long CoverageRefreshesFetched => Interlocked.Read(ref _refreshesFetched);
    public long CoverageRefreshesFailed => Interlocked.Read(ref _refreshesFailed);
    public void CoverageRefreshRequested() => Interlocked.Increment(ref _refreshesRequested);
    public void CoverageRefreshFetched() => Interlocked.Increment(ref _refreshesFetched);
    public void CoverageRefreshFailed() => Interlocked.Increment(ref _refreshesFailed);

    public void Error(string message)
    {
        lock (_errorLock)
        {
            LastError = message;
            LastErrorAt = _time.GetUtcNow().UtcDateTime;
        }
    }

    /// <summary>The status fields every feed reports from its counters; feeds add their own with <c>with</c>.</summary>
    public FeedStatus ToStatus(string feedId, string kind, FeedState state, IReadOnlyList<string> symbols, DateTime? startedAt) => new()
    {
        FeedId = feedId,
        Kind = kind,
        State = state,
        Symbols = symbols,
        StartedAt = startedAt,
        MessagesReceived = Messages,
        MessagesPerSecond = MessagesPerSecond(),
        BytesReceived = Bytes,
        EventsPublished = EventsPublished,
        Reconnects = Reconnects,
        Resyncs = Resyncs,
        SnapshotsFetched = SnapshotsFetched,
        Rejected = Rejected,
        Dropped = Dropped,
        DuplicatesDropped = DuplicatesDropped,
        UnknownEvents = UnknownEvents,
        LastError = LastError,
        LastErrorAt = LastErrorAt,
        Handovers = Handovers,
        RateLimitHits = RateLimitHits,
        SilentReplacements = SilentReplacements,
        CoverageRefreshesRequested = CoverageRefreshesRequested,
        CoverageRefreshesFetched = CoverageRefreshesFetched,
        CoverageRefreshesFailed = CoverageRefreshesFailed,
    };

    /// <summary>Messages a second over the last window of at least 10 s; recomputed when read.</summary>
    public double MessagesPerSecond()
    {
        lock (_errorLock)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_rateWindowStartTicks, now);
            if (elapsed >= TimeSpan.FromSeconds(10))
            {
                var messages = Messages;
                _messagesPerSecond = (messages - _rateWindowStartMessages) / elapsed.TotalSeconds;
                _rateWindowStartMessages = messages;
                _rateWindowStartTicks = now;
            }
            else if (_messagesPerSecond == 0 && elapsed > TimeSpan.FromSeconds(1))
            {
                _messagesPerSecond = (Messages - _rateWindowStartMessages) / elapsed.TotalSeconds;
            }
            return _messagesPerSecond;
        }
    }
}
