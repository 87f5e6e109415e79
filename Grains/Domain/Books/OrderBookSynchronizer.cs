using System.Buffers;
using MarketData.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// Keeps an <see cref="OrderBook"/> in step with Binance's diff-depth stream using the official procedure
/// (buffer diffs, bridge them with a REST snapshot, then require contiguous update ids). It never throws
/// for data problems: a gap, crossed book or bad level discards the book, sets
/// <see cref="BookStatus.Resyncing"/> with a readable reason and asks for a snapshot through the returned
/// <see cref="SyncAction"/> (once: no repeat while a request is outstanding). It also tracks the price range the book
/// vouches for (<see cref="Verified"/>) and merges coverage refreshes: a snapshot fetched while synced is bridged with
/// the diffs applied since <see cref="BeginRefresh"/> and swapped in at once, or discarded and counted, and the book
/// never leaves <see cref="BookStatus.Synced"/> for it. Not thread-safe.
/// </summary>
public sealed class OrderBookSynchronizer
{
    private readonly Queue<DepthDiff> _buffer = new();
    private readonly int _maxBufferedDiffs;
    private DepthSnapshot? _pendingSnapshot;
    private bool _snapshotOutstanding;
    private Refresh? _refresh;

    /// <summary>
    /// A coverage refresh under way: the book's update id when it began (the diffs applied since are recorded, so a
    /// snapshot at or after that id can be bridged), and the snapshot once it arrived.
    /// </summary>
    private sealed class Refresh(long startId, string reason)
    {
        public long StartId { get; } = startId;
        public string Reason { get; } = reason;
        public List<DepthDiff> Diffs { get; } = [];
        public DepthSnapshot? Snapshot { get; set; }
    }

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
    /// The price range the book vouches for (<see cref="VerifiedRange"/>): set by the snapshot that synced it, widened by
    /// each coverage refresh while it stays synced. Views serve every level and mark those beyond it.
    /// </summary>
    public VerifiedRange Verified { get; private set; } = VerifiedRange.Everything;

    /// <summary>Local receive time of the snapshot or refresh that last set <see cref="Verified"/>.</summary>
    public DateTime? VerifiedAt { get; private set; }

    /// <summary>True while a coverage refresh is under way (asked for, or its snapshot waiting for the book to reach it).</summary>
    public bool RefreshOutstanding => _refresh is not null;

    /// <summary>What the last coverage refresh did, in words; null before the first.</summary>
    public string? LastRefresh { get; private set; }

    /// <summary>The served book's verified range as views report it.</summary>
    public BookCoverage Coverage() => Verified.Describe(Book, VerifiedAt);

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
        // The book is already bridged: a snapshot now is a coverage refresh, merged without rewinding the book, or
        // refused (a late or duplicate one that cannot be bridged).
        if (Status is BookStatus.Synced or BookStatus.Stale) return OnRefreshSnapshot(snapshot);

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
        _refresh = null;
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
        Verified = VerifiedRange.OfStoredState(state);
        VerifiedAt = state.ReceivedAt;
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
        if (outcome == Outcome.Applied && _refresh is not null)
            return OnRefreshDiff(original ?? Materialize(first, final, eventTime, bids, asks, receivedAt));
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
        Verified = VerifiedRange.OfSnapshot(snapshot);
        VerifiedAt = snapshot.ReceivedAt;
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
        if (_refresh is not null) DiscardRefresh("superseded by a resync: " + reason);
        return RequestSnapshot(reason);
    }

    // ------------------------------------------------------------------ coverage refresh

    /// <summary>
    /// Starts a coverage refresh of a synced book: from now on the applied diffs are recorded, so that a snapshot taken
    /// at or after this point can be bridged with them and merged without leaving <see cref="BookStatus.Synced"/>.
    /// Returns false (nothing to fetch) when the book is not synced, a refresh is already under way, or a resync
    /// snapshot is outstanding (a resync always comes first).
    /// </summary>
    public bool BeginRefresh(string reason)
    {
        if (Status != BookStatus.Synced || _refresh is not null || _snapshotOutstanding) return false;
        _refresh = new Refresh(Book.LastUpdateId, reason);
        Counters.RefreshRequests++;
        return true;
    }

    /// <summary>The refresh's snapshot will not come (fetch failed or refused, or it took too long): stop waiting for it.</summary>
    public void AbandonRefresh(string why)
    {
        if (_refresh is null) return;
        _refresh = null;
        Counters.RefreshesFailed++;
        LastRefresh = "failed: " + why;
    }

    private void DiscardRefresh(string why)
    {
        _refresh = null;
        Counters.RefreshesDiscarded++;
        LastRefresh = "discarded: " + why;
    }

    /// <summary>A snapshot reached a synced (or stale) book: bridge it with the diffs applied since, or refuse it.</summary>
    private SyncAction OnRefreshSnapshot(DepthSnapshot snapshot)
    {
        var id = snapshot.LastUpdateId;
        if (_refresh is null)
        {
            // Not asked for (a late resync answer, or a recorded refresh in a replay). It can still be merged when the
            // book has not passed it yet: the diffs from here on are recorded. Older, it cannot be bridged.
            if (id < Book.LastUpdateId)
            {
                Counters.SnapshotsRejected++;
                return SyncAction.None;
            }
            _refresh = new Refresh(Book.LastUpdateId, "snapshot not asked for");
            Counters.RefreshRequests++;
        }
        var refresh = _refresh;
        if (refresh.Snapshot is not null)
        {
            // One refresh merges one snapshot; a second one is a duplicate.
            Counters.SnapshotsRejected++;
            return SyncAction.None;
        }
        if (id < refresh.StartId)
        {
            // Taken before the refresh began: the diffs between it and the book were not recorded.
            DiscardRefresh($"snapshot {id} is older than the book was when the refresh began ({refresh.StartId}): it cannot be bridged");
            return SyncAction.None;
        }
        var invalid = OrderBook.Validate(snapshot.Bids, snapshot.Asks);
        if (invalid is not null)
        {
            Counters.BadLevels++;
            DiscardRefresh($"bad level in snapshot {id}: {invalid}");
            return SyncAction.None;
        }
        refresh.Snapshot = snapshot;
        return Book.LastUpdateId >= id ? MergeRefresh(refresh) : SyncAction.None; // else: when the diffs reach it
    }

    /// <summary>A diff applied while a refresh is under way: recorded, and the refresh merged once the book reached its snapshot.</summary>
    private SyncAction OnRefreshDiff(DepthDiff diff)
    {
        var refresh = _refresh!;
        if (refresh.Diffs.Count >= _maxBufferedDiffs)
        {
            Counters.BufferOverflows++;
            DiscardRefresh($"more than {_maxBufferedDiffs} diffs arrived before its snapshot could be merged");
            return SyncAction.None;
        }
        refresh.Diffs.Add(diff);
        return refresh.Snapshot is { } snapshot && Book.LastUpdateId >= snapshot.LastUpdateId ? MergeRefresh(refresh) : SyncAction.None;
    }

    /// <summary>
    /// Swaps the snapshot's range of the book in, in one step: inside the snapshot's range every level takes the
    /// snapshot's quantity, except the prices a diff newer than the snapshot changed (the book already holds their newer
    /// quantity). The verified range becomes the union of the old one and the snapshot's.
    /// </summary>
    private SyncAction MergeRefresh(Refresh refresh)
    {
        _refresh = null;
        var snapshot = refresh.Snapshot!;
        var id = snapshot.LastUpdateId;
        // The prices diffs newer than the snapshot changed, ascending: the book holds their newer quantities.
        int bidCount = 0, askCount = 0;
        foreach (var diff in refresh.Diffs)
        {
            if (diff.FinalUpdateId <= id) continue;
            bidCount += diff.Bids.Length;
            askCount += diff.Asks.Length;
        }
        var keepBids = ArrayPool<long>.Shared.Rent(Math.Max(1, bidCount));
        var keepAsks = ArrayPool<long>.Shared.Rent(Math.Max(1, askCount));
        bool merged;
        int corrected, filled;
        string? error;
        var range = VerifiedRange.OfSnapshot(snapshot);
        try
        {
            int b = 0, a = 0;
            foreach (var diff in refresh.Diffs)
            {
                if (diff.FinalUpdateId <= id) continue;
                foreach (var level in diff.Bids) keepBids[b++] = level.Price;
                foreach (var level in diff.Asks) keepAsks[a++] = level.Price;
            }
            keepBids.AsSpan(0, b).Sort();
            keepAsks.AsSpan(0, a).Sort();
            merged = Book.TryMergeWithin(range, snapshot.Bids, snapshot.Asks, keepBids.AsSpan(0, b), keepAsks.AsSpan(0, a), Verified,
                out corrected, out filled, out error);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keepBids);
            ArrayPool<long>.Shared.Return(keepAsks);
        }
        if (!merged)
        {
            Counters.BadLevels++;
            DiscardRefresh($"bad level in snapshot {id}: {error}");
            return SyncAction.None;
        }
        if (Book.IsCrossed)
        {
            Counters.CrossedBooks++;
            Counters.RefreshesDiscarded++;
            LastRefresh = $"discarded: merging snapshot {id} crossed the book, which resyncs";
            return StartResync($"crossed book after merging refresh snapshot {id}");
        }
        Verified = Verified.Union(range);
        VerifiedAt = snapshot.ReceivedAt;
        Counters.RefreshesApplied++;
        Counters.RefreshCorrections += corrected;
        Counters.RefreshFills += filled;
        LastRefresh = $"applied snapshot {id} at update {Book.LastUpdateId} ({refresh.Reason}): {filled} level(s) beyond the verified range filled, {corrected} inside it corrected";
        return SyncAction.None;
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
