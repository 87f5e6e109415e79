using MarketData.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// Keeps an <see cref="OrderBook"/> in step with Binance's diff-depth stream using the official procedure
/// (buffer diffs, bridge them with a REST snapshot, then require contiguous update ids). It never throws
/// for data problems: a gap, crossed book or bad level discards the book, sets
/// <see cref="BookStatus.Resyncing"/> with a readable reason and asks for a snapshot through the returned
/// <see cref="SyncAction"/> (once: no repeat while a request is outstanding). Not thread-safe.
/// </summary>
public sealed class OrderBookSynchronizer
{
    private readonly Queue<DepthDiff> _buffer = new();
    private readonly int _maxBufferedDiffs;
    private DepthSnapshot? _pendingSnapshot;
    private bool _snapshotOutstanding;

    public OrderBookSynchronizer(int maxBufferedDiffs = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferedDiffs, 1);
        _maxBufferedDiffs = maxBufferedDiffs;
    }

    public OrderBook Book { get; } = new();
    public BookStatus Status { get; private set; } = BookStatus.Syncing;
    /// <summary>Why the book is not synced (null while synced).</summary>
    public string? StatusReason { get; private set; } = "waiting for diffs and a snapshot";
    public SyncCounters Counters { get; } = new();
    public int BufferedDiffs => _buffer.Count;
    /// <summary>True while a snapshot has been asked for and not yet delivered.</summary>
    public bool SnapshotOutstanding => _snapshotOutstanding;
    /// <summary>Local receive time of the last diff seen (applied or not).</summary>
    public DateTime? LastReceivedAt { get; private set; }
    /// <summary>Exchange event time (Unix ms) of the last applied diff.</summary>
    public long LastEventTime { get; private set; }
    /// <summary>When the book last became <see cref="BookStatus.Synced"/>; null while it is not.</summary>
    public DateTime? SyncedSince { get; private set; }

    /// <summary>
    /// Lowest bid price the book can vouch for: the worst bid of the last snapshot. Below it, levels that
    /// existed but never changed since are unknown (a snapshot holds at most its limit per side), so a view
    /// must not serve them as part of a synced book. <see cref="long.MinValue"/> when the snapshot side was empty.
    /// </summary>
    public long KnownBidFloor { get; private set; } = long.MinValue;

    /// <summary>Highest ask price the book can vouch for (worst ask of the last snapshot); see <see cref="KnownBidFloor"/>.</summary>
    public long KnownAskCeiling { get; private set; } = long.MaxValue;

    public SyncAction OnDiff(DepthDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        return OnDiffCore(diff.FirstUpdateId, diff.FinalUpdateId, diff.EventTime, diff.Bids, diff.Asks, diff.ReceivedAt, diff);
    }

    /// <summary>
    /// The allocation-free path for a parser's reusable level spans. While synced nothing is copied; while
    /// syncing the diff is copied into the buffer.
    /// </summary>
    public SyncAction OnDiff(long firstUpdateId, long finalUpdateId, long eventTime,
        ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, DateTime receivedAt)
        => OnDiffCore(firstUpdateId, finalUpdateId, eventTime, bids, asks, receivedAt, null);

    public SyncAction OnSnapshot(DepthSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.IsStoredState) return OnStoredState(snapshot);
        if (Status is BookStatus.Synced or BookStatus.Stale)
        {
            // The book is already bridged; a late or duplicate snapshot must not rewind it.
            Counters.SnapshotsRejected++;
            return SyncAction.None;
        }

        _snapshotOutstanding = false;
        if (_buffer.Count == 0)
        {
            // Nothing to bridge yet: the first-event rule is applied when diffs arrive.
            _pendingSnapshot = snapshot;
            StatusReason = $"snapshot {snapshot.LastUpdateId} received, waiting for diffs";
            return SyncAction.None;
        }
        return TryBridge(snapshot);
    }

    /// <summary>
    /// A book state replayed from storage: the whole book as it stood at <see cref="DepthSnapshot.StateTime"/>, with no
    /// diffs to follow. It replaces the book (an older update id than the current one is refused: states play in order).
    /// </summary>
    private SyncAction OnStoredState(DepthSnapshot state)
    {
        if (Status is BookStatus.Synced or BookStatus.Stale && state.LastUpdateId < Book.LastUpdateId)
        {
            Counters.SnapshotsRejected++;
            return SyncAction.None;
        }
        _buffer.Clear();
        _pendingSnapshot = null;
        _snapshotOutstanding = false;
        LastReceivedAt = state.ReceivedAt;
        if (!Book.TryLoadSnapshot(state.LastUpdateId, state.Bids, state.Asks, out var error) || Book.IsCrossed)
        {
            Counters.SnapshotsRejected++;
            if (error is null) Counters.CrossedBooks++;
            else Counters.BadLevels++;
            Book.Clear();
            Status = BookStatus.Resyncing;
            StatusReason = $"stored book state {state.LastUpdateId} refused: {error ?? "crossed"}";
            SyncedSince = null;
            return SyncAction.None; // storage has no snapshot to fetch: the next stored state may repair it
        }
        // A stored state holds only the levels that were kept: it vouches for nothing beyond them.
        KnownBidFloor = state.Bids.Length > 0 ? state.Bids.Min(l => l.Price) : long.MinValue;
        KnownAskCeiling = state.Asks.Length > 0 ? state.Asks.Max(l => l.Price) : long.MaxValue;
        LastEventTime = state.StateTime;
        Counters.SnapshotsApplied++;
        if (Status != BookStatus.Synced) SyncedSince = state.ReceivedAt;
        Status = BookStatus.Synced;
        StatusReason = null;
        return SyncAction.None;
    }

    /// <summary>
    /// The requested snapshot will not come (REST failed or was refused): allow the next diff to ask again.
    /// </summary>
    public void OnSnapshotRequestFailed() => _snapshotOutstanding = false;

    /// <summary>The feed is interrupted or silent: keep the levels but say they may be out of date.</summary>
    public void MarkStale(string reason)
    {
        if (Status is BookStatus.Synced or BookStatus.Stale)
        {
            Status = BookStatus.Stale;
            StatusReason = reason;
            SyncedSince = null;
        }
    }

    private SyncAction OnDiffCore(long first, long final, long eventTime,
        ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, DateTime receivedAt, DepthDiff? original)
    {
        LastReceivedAt = receivedAt;
        if (first > final)
        {
            Counters.BadLevels++;
            var reason = $"bad diff: U {first} > u {final}";
            return Status is BookStatus.Synced or BookStatus.Stale ? StartResync(reason) : SyncAction.None;
        }

        if (Status is BookStatus.Syncing or BookStatus.Resyncing)
        {
            Enqueue(original ?? Materialize(first, final, eventTime, bids, asks, receivedAt));
            if (_pendingSnapshot is { } pending) return TryBridge(pending);
            return RequestSnapshot(Status == BookStatus.Syncing ? "initial sync" : StatusReason ?? "resync");
        }

        var outcome = Apply(first, final, eventTime, bids, asks, receivedAt, out var why);
        if (outcome == Outcome.Gap)
        {
            var action = StartResync(why!);
            Enqueue(original ?? Materialize(first, final, eventTime, bids, asks, receivedAt));
            return action;
        }
        return outcome is Outcome.BadLevel or Outcome.Crossed ? StartResync(why!) : SyncAction.None;
    }

    private enum Outcome { Applied, Stale, Gap, BadLevel, Crossed }

    /// <summary>Step 6 of the procedure for one diff against a loaded book.</summary>
    private Outcome Apply(long first, long final, long eventTime,
        ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, DateTime receivedAt, out string? why)
    {
        why = null;
        var id = Book.LastUpdateId;
        if (final <= id)
        {
            Counters.DiffsDroppedStale++;
            return Outcome.Stale;
        }
        if (first > id + 1)
        {
            Counters.Gaps++;
            why = $"gap: book at update {id}, next diff starts at U={first} (u={final})";
            return Outcome.Gap;
        }
        if (!Book.TryApply(bids, asks, final, out var error))
        {
            Counters.BadLevels++;
            why = $"bad level in diff U={first} u={final}: {error}";
            return Outcome.BadLevel;
        }
        if (Book.TryGetBestBid(out var bid) && Book.TryGetBestAsk(out var ask) && bid.Price >= ask.Price)
        {
            Counters.CrossedBooks++;
            why = $"crossed book after update {final}: best bid {FixedPoint.ToText(bid.Price)} >= best ask {FixedPoint.ToText(ask.Price)}";
            return Outcome.Crossed;
        }

        Counters.DiffsApplied++;
        LastEventTime = eventTime;
        if (Status == BookStatus.Stale)
        {
            // A contiguous diff after an interruption proves nothing was missed.
            Status = BookStatus.Synced;
            StatusReason = null;
            SyncedSince = receivedAt;
        }
        return Outcome.Applied;
    }

    /// <summary>Steps 3-6: use <paramref name="snapshot"/> to bridge the buffered diffs, then drain them.</summary>
    /// <summary>
    /// Whether a snapshot side may have stopped short of the real book: it holds as many levels as were asked
    /// for. When the limit is unknown (someone else's recording), any side of 100 levels or more (Binance's
    /// default limit) is assumed cut off.
    /// </summary>
    private static bool MayBeCutOff(DepthSnapshot snapshot, int levels)
        => levels > 0 && levels >= (snapshot.Limit > 0 ? snapshot.Limit : DefaultSnapshotLimit);

    private const int DefaultSnapshotLimit = 100;

    private SyncAction TryBridge(DepthSnapshot snapshot)
    {
        _pendingSnapshot = null;
        var id = snapshot.LastUpdateId;
        if (id + 1 < _buffer.Peek().FirstUpdateId)
        {
            Counters.SnapshotsRejected++;
            var reason = $"snapshot too old: lastUpdateId {id} is before the first buffered diff (U={_buffer.Peek().FirstUpdateId})";
            StatusReason = reason;
            return RequestSnapshot(reason);
        }

        while (_buffer.Count > 0 && _buffer.Peek().FinalUpdateId <= id)
        {
            _buffer.Dequeue();
            Counters.DiffsDroppedStale++;
        }
        // Every buffered diff may be older than the snapshot: the stream is open and the snapshot covers all of
        // it, so the book is correct as of the snapshot now; the next diff must bridge it (U <= id + 1), which the
        // live rule checks. Waiting for that diff instead would leave a quiet market's book unserved.
        if (_buffer.TryPeek(out var next) && next.FirstUpdateId > id + 1)
        {
            // Buffered diffs skip past the snapshot (the buffer overflowed or the stream lost data).
            Counters.Gaps++;
            Counters.SnapshotsRejected++;
            var reason = $"gap after snapshot {id}: next buffered diff starts at U={next.FirstUpdateId}";
            StatusReason = reason;
            return RequestSnapshot(reason);
        }

        if (!Book.TryLoadSnapshot(id, snapshot.Bids, snapshot.Asks, out var error))
        {
            Counters.BadLevels++;
            Counters.SnapshotsRejected++;
            var reason = $"bad level in snapshot {id}: {error}";
            StatusReason = reason;
            return RequestSnapshot(reason);
        }
        KnownBidFloor = MayBeCutOff(snapshot, snapshot.Bids.Length) ? snapshot.Bids.Min(l => l.Price) : long.MinValue;
        KnownAskCeiling = MayBeCutOff(snapshot, snapshot.Asks.Length) ? snapshot.Asks.Max(l => l.Price) : long.MaxValue;
        if (Book.IsCrossed)
        {
            Counters.CrossedBooks++;
            Counters.SnapshotsRejected++;
            Book.Clear();
            var reason = $"crossed book in snapshot {id}";
            StatusReason = reason;
            return RequestSnapshot(reason);
        }

        Counters.SnapshotsApplied++;
        Status = BookStatus.Synced;
        StatusReason = null;
        SyncedSince = snapshot.ReceivedAt;

        while (_buffer.Count > 0)
        {
            var diff = _buffer.Peek();
            var outcome = Apply(diff.FirstUpdateId, diff.FinalUpdateId, diff.EventTime, diff.Bids, diff.Asks, diff.ReceivedAt, out var why);
            // On a gap the offending diff stays at the head of the buffer for the next snapshot.
            if (outcome == Outcome.Gap) return StartResync(why!);
            _buffer.Dequeue();
            if (outcome is Outcome.BadLevel or Outcome.Crossed) return StartResync(why!);
        }
        return SyncAction.None;
    }

    /// <summary>Discards the book and starts rebuilding it. Buffered diffs (if any) are kept.</summary>
    private SyncAction StartResync(string reason)
    {
        Counters.Resyncs++;
        Book.Clear();
        Status = BookStatus.Resyncing;
        StatusReason = reason;
        SyncedSince = null;
        _pendingSnapshot = null;
        return RequestSnapshot(reason);
    }

    private SyncAction RequestSnapshot(string reason)
    {
        if (_snapshotOutstanding) return SyncAction.None;
        _snapshotOutstanding = true;
        Counters.SnapshotRequests++;
        return SyncAction.Snapshot(reason);
    }

    private void Enqueue(DepthDiff diff)
    {
        if (_buffer.Count >= _maxBufferedDiffs)
        {
            _buffer.Dequeue();
            Counters.BufferOverflows++;
        }
        _buffer.Enqueue(diff);
    }

    private static DepthDiff Materialize(long first, long final, long eventTime,
        ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, DateTime receivedAt) => new()
    {
        ReceivedAt = receivedAt,
        FirstUpdateId = first,
        FinalUpdateId = final,
        EventTime = eventTime,
        Bids = bids.ToArray(),
        Asks = asks.ToArray(),
    };
}
