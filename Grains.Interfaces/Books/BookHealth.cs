namespace MarketData.Books;

/// <summary>Counters of one book since its grain activated: what happened to it and why.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.BookHealth")]
public sealed record BookHealth
{
    [Id(0)] public required BookStatus Status { get; init; }
    [Id(1)] public string? StatusReason { get; init; }
    [Id(2)] public long LastUpdateId { get; init; }
    [Id(3)] public long DiffsApplied { get; init; }
    [Id(4)] public long DiffsDroppedStale { get; init; }
    [Id(5)] public long Gaps { get; init; }
    [Id(6)] public long CrossedBooks { get; init; }
    [Id(7)] public long BadLevels { get; init; }
    [Id(8)] public long Resyncs { get; init; }
    [Id(9)] public long SnapshotsApplied { get; init; }
    [Id(10)] public int BidLevels { get; init; }
    [Id(11)] public int AskLevels { get; init; }
    [Id(12)] public DateTime? UpdatedAt { get; init; }
    [Id(13)] public DateTime? SyncedSince { get; init; }
    /// <summary>Diffs held while waiting for a snapshot.</summary>
    [Id(14)] public int BufferedDiffs { get; init; }
    /// <summary>Buffered diffs discarded because the buffer was full (counted, never silent).</summary>
    [Id(15)] public long BufferOverflows { get; init; }
    /// <summary>Trades that reached the book after their second had been aggregated (counted in no second's flow).</summary>
    [Id(16)] public long LateTrades { get; init; }
    /// <summary>Coverage refreshes asked for: a fresh snapshot merged without leaving <c>synced</c> (docs/order-book-coverage.md).</summary>
    [Id(17)] public long RefreshRequests { get; init; }
    /// <summary>Refresh snapshots bridged with the diffs since and merged.</summary>
    [Id(18)] public long RefreshesApplied { get; init; }
    /// <summary>Refresh snapshots that could not be bridged or were invalid, or a refresh superseded by a resync: the served book was kept.</summary>
    [Id(19)] public long RefreshesDiscarded { get; init; }
    /// <summary>Refreshes whose snapshot never came (fetch failed, refused or timed out).</summary>
    [Id(20)] public long RefreshesFailed { get; init; }
    /// <summary>Levels inside the verified range that a refresh found different and corrected. Should stay 0: anything else means data was lost.</summary>
    [Id(21)] public long RefreshCorrections { get; init; }
    /// <summary>Levels beyond the verified range that a refresh added, changed or removed (holes filled).</summary>
    [Id(22)] public long RefreshFills { get; init; }
    /// <summary>What the last refresh did, in words (null before the first).</summary>
    [Id(23)] public string? LastRefresh { get; init; }
    /// <summary>The book's verified range now.</summary>
    [Id(24)] public BookCoverage? Coverage { get; init; }
}
