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
}
