namespace MarketData.Books;

/// <summary>Raw ticks from a book's 30-minute buffer: depth diffs and trades, oldest first.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.TickRange")]
public sealed record TickRange
{
    [Id(0)] public required Streams.MarketEvent[] Ticks { get; init; }
    /// <summary>True when more ticks matched than were returned.</summary>
    [Id(1)] public bool Truncated { get; init; }
    /// <summary>Entries the buffer holds, and entries it had to drop because its memory bound was hit (counted, never silent).</summary>
    [Id(2)] public long Held { get; init; }
    [Id(3)] public long Overflowed { get; init; }
    /// <summary>Oldest receive time still held (Unix ms), 0 when empty.</summary>
    [Id(4)] public long OldestTime { get; init; }
}
