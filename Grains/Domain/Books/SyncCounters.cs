namespace MarketData.Domain.Books;

/// <summary>What happened to one book since it was created. Every discarded diff or snapshot is counted here.</summary>
public sealed class SyncCounters
{
    public long DiffsApplied { get; internal set; }
    /// <summary>Diffs with <c>u</c> at or below the book's update id (already contained in the book).</summary>
    public long DiffsDroppedStale { get; internal set; }
    public long Gaps { get; internal set; }
    public long CrossedBooks { get; internal set; }
    public long BadLevels { get; internal set; }
    /// <summary>Times a synced (or stale) book was discarded and rebuilding started.</summary>
    public long Resyncs { get; internal set; }
    public long SnapshotsApplied { get; internal set; }
    /// <summary>Buffered diffs discarded (oldest first) because the buffer was full.</summary>
    public long BufferOverflows { get; internal set; }
    /// <summary>Snapshots not used: too old for the buffered diffs, not bridging them, invalid, or arriving while synced.</summary>
    public long SnapshotsRejected { get; internal set; }
    /// <summary>Snapshot requests issued (at most one outstanding at a time).</summary>
    public long SnapshotRequests { get; internal set; }
    /// <summary>Coverage refreshes begun: asked for, or a snapshot not asked for that reached a synced book and could be merged.</summary>
    public long RefreshRequests { get; internal set; }
    /// <summary>Refresh snapshots bridged and merged.</summary>
    public long RefreshesApplied { get; internal set; }
    /// <summary>Refreshes given up with the served book kept: snapshot not bridging or invalid, too many diffs meanwhile, a resync.</summary>
    public long RefreshesDiscarded { get; internal set; }
    /// <summary>Refreshes whose snapshot never came (the owner said so).</summary>
    public long RefreshesFailed { get; internal set; }
    /// <summary>Levels inside the verified range a refresh found wrong. Should stay 0.</summary>
    public long RefreshCorrections { get; internal set; }
    /// <summary>Levels beyond the verified range a refresh added, changed or removed.</summary>
    public long RefreshFills { get; internal set; }
}
