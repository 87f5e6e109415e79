namespace MarketData.Books;

/// <summary>
/// What part of a book the exchange has vouched for. A snapshot holds at most its limit of levels per side, so below
/// its worst bid (above its worst ask) a level that existed but never changed since is unknown to the book. Diffs give
/// absolute quantities, so a level a diff set there is exact, but the levels between may be missing: the book serves
/// them (never a thinned or empty side) and says which part is verified. While the book stays synced the verified
/// range only grows: every change inside it arrives as a diff, and each coverage refresh (a fresh snapshot merged
/// without leaving <c>synced</c>) adds its own range. Prices fixed point 10^8.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.BookCoverage")]
public sealed record BookCoverage
{
    /// <summary>Lowest verified bid price; null when the whole bid side is verified (the snapshot held all of it).</summary>
    [Id(0)] public long? VerifiedBidFloor { get; init; }
    /// <summary>Highest verified ask price; null when the whole ask side is verified.</summary>
    [Id(1)] public long? VerifiedAskCeiling { get; init; }
    /// <summary>Bid levels held below <see cref="VerifiedBidFloor"/> (served, but there may be holes between them).</summary>
    [Id(2)] public int BidLevelsBeyond { get; init; }
    /// <summary>Ask levels held above <see cref="VerifiedAskCeiling"/>.</summary>
    [Id(3)] public int AskLevelsBeyond { get; init; }
    /// <summary>True when the best bid lies within the verified range (false also when the side is empty).</summary>
    [Id(4)] public bool BidTouchVerified { get; init; }
    [Id(5)] public bool AskTouchVerified { get; init; }
    /// <summary>Local receive time of the snapshot or refresh that last set the range; null before the first.</summary>
    [Id(6)] public DateTime? VerifiedAt { get; init; }
}
