using MarketData.Books;
using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// The price range of a book that its snapshots vouch for, and the one rule every view of a book follows: serve every
/// level held, best first, and mark those beyond this range (exact, since a diff gives an absolute quantity, but with
/// possible holes between them, since a level beyond the last snapshot that no diff touched is unknown). Bids are
/// verified at or above <see cref="BidFloor"/>, asks at or below <see cref="AskCeiling"/>; <see cref="long.MinValue"/>
/// and <see cref="long.MaxValue"/> mean the whole side.
/// </summary>
public readonly record struct VerifiedRange(long BidFloor, long AskCeiling)
{
    /// <summary>Everything verified: a snapshot that held whole sides, or a book with no bound known.</summary>
    public static VerifiedRange Everything { get; } = new(long.MinValue, long.MaxValue);

    public bool BidBounded => BidFloor != long.MinValue;
    public bool AskBounded => AskCeiling != long.MaxValue;

    /// <summary>The floor (bids) or ceiling (asks) of a side.</summary>
    public long Bound(bool bids) => bids ? BidFloor : AskCeiling;

    public bool Covers(bool bids, long price) => bids ? price >= BidFloor : price <= AskCeiling;

    /// <summary>
    /// The range a REST snapshot vouches for: a side holding as many levels as were asked for may have stopped short
    /// of the real book, so it vouches down to its worst level; a shorter side is the whole side. When the limit is
    /// unknown (someone else's recording) a side of <see cref="DefaultSnapshotLimit"/> levels or more is taken as cut off.
    /// </summary>
    public static VerifiedRange OfSnapshot(DepthSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var limit = snapshot.Limit > 0 ? snapshot.Limit : DefaultSnapshotLimit;
        return new VerifiedRange(
            snapshot.Bids.Length >= limit ? Worst(snapshot.Bids, bids: true) : long.MinValue,
            snapshot.Asks.Length >= limit ? Worst(snapshot.Asks, bids: false) : long.MaxValue);
    }

    /// <summary>
    /// The range of a state stored by a live book: the range it reported when stored, or, for rows stored without one,
    /// only the stored levels' own range.
    /// </summary>
    public static VerifiedRange OfStoredState(DepthSnapshot state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var bid = state.VerifiedBidFloor != 0 ? state.VerifiedBidFloor : state.Bids.Length > 0 ? Worst(state.Bids, bids: true) : long.MinValue;
        var ask = state.VerifiedAskCeiling != 0 ? state.VerifiedAskCeiling : state.Asks.Length > 0 ? Worst(state.Asks, bids: false) : long.MaxValue;
        return new VerifiedRange(bid, ask);
    }

    /// <summary>
    /// The range a stored copy of the book can vouch for: this range, narrowed on each side whose stored levels
    /// (best first) stop short of the book's (<paramref name="bidsCut"/>, <paramref name="asksCut"/>) to the last stored
    /// level, since the levels below it were not stored.
    /// </summary>
    public VerifiedRange Stored(ReadOnlySpan<PriceLevel> bids, bool bidsCut, ReadOnlySpan<PriceLevel> asks, bool asksCut) => new(
        bidsCut && bids.Length > 0 ? Math.Max(BidFloor, bids[^1].Price) : BidFloor,
        asksCut && asks.Length > 0 ? Math.Min(AskCeiling, asks[^1].Price) : AskCeiling);

    /// <summary>The usual default REST depth limit: a side this long from a snapshot of unknown limit may be cut off.</summary>
    public const int DefaultSnapshotLimit = 100;

    /// <summary>Both ranges together: valid while the book has stayed synced since the older one was set.</summary>
    public VerifiedRange Union(VerifiedRange other) => new(Math.Min(BidFloor, other.BidFloor), Math.Max(AskCeiling, other.AskCeiling));

    /// <summary>
    /// Of <paramref name="bestFirst"/> (one side's levels, best first, as a view serves them), how many lie beyond the
    /// range: they are the last ones, so this is the length minus the index of the first one beyond.
    /// </summary>
    public int CountBeyond(ReadOnlySpan<PriceLevel> bestFirst, bool bids)
    {
        var n = bestFirst.Length;
        var i = n;
        while (i > 0 && !Covers(bids, bestFirst[i - 1].Price)) i--;
        return n - i;
    }

    /// <summary>Levels <paramref name="book"/> holds beyond the range on one side (walks only those levels).</summary>
    public int CountBeyond(OrderBook book, bool bids)
    {
        ArgumentNullException.ThrowIfNull(book);
        return bids ? book.CountBidsBelow(BidFloor) : book.CountAsksAbove(AskCeiling);
    }

    /// <summary>True when the side's best level is within the range (false for an empty side).</summary>
    public bool TouchCovered(OrderBook book, bool bids)
    {
        ArgumentNullException.ThrowIfNull(book);
        return bids
            ? book.TryGetBestBid(out var bid) && Covers(true, bid.Price)
            : book.TryGetBestAsk(out var ask) && Covers(false, ask.Price);
    }

    /// <summary>The range as the views report it, with the levels held beyond it and the touches' state.</summary>
    public BookCoverage Describe(OrderBook book, DateTime? verifiedAt) => new()
    {
        VerifiedBidFloor = BidBounded ? BidFloor : null,
        VerifiedAskCeiling = AskBounded ? AskCeiling : null,
        BidLevelsBeyond = CountBeyond(book, bids: true),
        AskLevelsBeyond = CountBeyond(book, bids: false),
        BidTouchVerified = TouchCovered(book, bids: true),
        AskTouchVerified = TouchCovered(book, bids: false),
        VerifiedAt = verifiedAt,
    };

    private static long Worst(PriceLevel[] levels, bool bids)
    {
        var worst = levels[0].Price;
        foreach (var level in levels)
            worst = bids ? Math.Min(worst, level.Price) : Math.Max(worst, level.Price);
        return worst;
    }
}
