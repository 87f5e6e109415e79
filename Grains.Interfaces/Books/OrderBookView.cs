namespace MarketData.Books;

/// <summary>
/// A copy of an order book at one moment, best levels first. While the book is not
/// <see cref="BookStatus.Synced"/> the level lists are as of <see cref="UpdatedAt"/> (stale) or empty
/// (syncing, resyncing): callers must look at <see cref="Status"/> before trusting the levels. A book that holds levels
/// serves them up to the depth asked for; those beyond the range its snapshots vouched for are counted in
/// <see cref="BidsBeyondVerified"/> and <see cref="AsksBeyondVerified"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.OrderBookView")]
public sealed record OrderBookView
{
    [Id(0)] public required string Exchange { get; init; }
    [Id(1)] public required string Symbol { get; init; }
    [Id(2)] public required BookStatus Status { get; init; }
    /// <summary>The exchange's update id of the last applied diff (or of the snapshot).</summary>
    [Id(3)] public long LastUpdateId { get; init; }
    [Id(4)] public required IReadOnlyList<BookLevel> Bids { get; init; }
    [Id(5)] public required IReadOnlyList<BookLevel> Asks { get; init; }
    [Id(6)] public BookLevel? BestBid { get; init; }
    [Id(7)] public BookLevel? BestAsk { get; init; }
    /// <summary>Exchange event time of the last applied update (UTC); null before the first.</summary>
    [Id(8)] public DateTime? UpdatedAt { get; init; }
    /// <summary>Local receive time of the last applied update (UTC).</summary>
    [Id(9)] public DateTime? ReceivedAt { get; init; }
    /// <summary>Why the book is not synced, when it is not.</summary>
    [Id(10)] public string? StatusReason { get; init; }
    /// <summary>
    /// Lowest bid price the book vouches for (see <see cref="BookCoverage"/>); null when the whole bid side is verified.
    /// Bids below it are served, best first, and counted in <see cref="BidsBeyondVerified"/>: they are exact, but there
    /// may be holes between them.
    /// </summary>
    [Id(11)] public decimal? VerifiedBidFloor { get; init; }
    /// <summary>Highest ask price the book vouches for; null when the whole ask side is verified.</summary>
    [Id(12)] public decimal? VerifiedAskCeiling { get; init; }
    /// <summary>How many of the served bids (the last ones of <see cref="Bids"/>) lie below <see cref="VerifiedBidFloor"/>.</summary>
    [Id(13)] public int BidsBeyondVerified { get; init; }
    /// <summary>How many of the served asks (the last ones of <see cref="Asks"/>) lie above <see cref="VerifiedAskCeiling"/>.</summary>
    [Id(14)] public int AsksBeyondVerified { get; init; }
    /// <summary>Local receive time of the snapshot or coverage refresh that last set the verified range.</summary>
    [Id(15)] public DateTime? VerifiedAt { get; init; }
}
