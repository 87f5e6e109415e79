namespace MarketData.Books;

/// <summary>
/// What a model needs from a book, taken in one grain turn so the parts agree: the book's status now, the latest
/// per-second aggregate as of the requested time (with the update id of the book state it was computed from), the
/// trade flow of the last minute up to that second, and a heatmap slice ending at that second.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.BookInputView")]
public sealed record BookInputView
{
    [Id(0)] public required BookStatus Status { get; init; }
    [Id(1)] public string? StatusReason { get; init; }
    [Id(2)] public long LastUpdateId { get; init; }
    /// <summary>Exchange event time of the last applied update (UTC).</summary>
    [Id(3)] public DateTime? UpdatedAt { get; init; }
    /// <summary>Local receive time of the last applied update (UTC).</summary>
    [Id(4)] public DateTime? ReceivedAt { get; init; }
    /// <summary>The latest aggregated second that ended by the requested time (gap seconds included); null when none.</summary>
    [Id(5)] public Aggregation.CobSecond? Aggregate { get; init; }
    /// <summary>Trades of the 60 seconds ending with <see cref="Aggregate"/>, summed (VWAP over the minute).</summary>
    [Id(6)] public Aggregation.TradeFlow RecentFlow { get; init; }
    /// <summary>Seconds summed into <see cref="RecentFlow"/> (gap seconds excluded).</summary>
    [Id(7)] public int RecentFlowSeconds { get; init; }
    /// <summary>A heatmap over the seconds ending with <see cref="Aggregate"/>; null when there is no aggregate.</summary>
    [Id(8)] public Aggregation.Heatmap? Heatmap { get; init; }
    /// <summary>
    /// The verified range of the book and whether each touch lies within it: now, or as of the requested time (then
    /// from the aggregated second: its touch flags, no floor or level counts). Null while the book holds no levels.
    /// </summary>
    [Id(9)] public BookCoverage? Coverage { get; init; }
}
