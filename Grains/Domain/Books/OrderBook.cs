using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// A fixed-point L2 order book (prices and quantities scaled 1e8, see <see cref="FixedPoint"/>).
/// Every update is validated as a whole before anything changes, so a bad level leaves the book as it
/// was. Sequencing (which updates may be applied) is the job of <see cref="OrderBookSynchronizer"/>.
/// Not thread-safe.
/// </summary>
public sealed class OrderBook
{
    private readonly BookSide _bids = new(isAsk: false);
    private readonly BookSide _asks = new(isAsk: true);

    /// <summary>The exchange update id of the snapshot or last applied update.</summary>
    public long LastUpdateId { get; private set; }
    public int BidCount => _bids.Count;
    public int AskCount => _asks.Count;

    public bool TryGetBestBid(out PriceLevel level) => _bids.TryGetBest(out level);
    public bool TryGetBestAsk(out PriceLevel level) => _asks.TryGetBest(out level);

    /// <summary>True when both sides have levels and the best bid is at or above the best ask.</summary>
    public bool IsCrossed =>
        _bids.TryGetBest(out var bid) && _asks.TryGetBest(out var ask) && bid.Price >= ask.Price;

    /// <summary>Bid number <paramref name="rank"/> from the top (0 = best).</summary>
    public PriceLevel BidAt(int rank) => (uint)rank < (uint)_bids.Count ? _bids.At(rank) : throw new ArgumentOutOfRangeException(nameof(rank));
    public PriceLevel AskAt(int rank) => (uint)rank < (uint)_asks.Count ? _asks.At(rank) : throw new ArgumentOutOfRangeException(nameof(rank));

    /// <summary>Copies bids best first; returns how many were written.</summary>
    public int CopyBids(Span<PriceLevel> destination) => _bids.CopyTo(destination);
    public int CopyAsks(Span<PriceLevel> destination) => _asks.CopyTo(destination);

    /// <summary>Bids held below <paramref name="floor"/> (walks only those).</summary>
    public int CountBidsBelow(long floor) => _bids.CountWorseThan(floor);
    /// <summary>Asks held above <paramref name="ceiling"/> (walks only those).</summary>
    public int CountAsksAbove(long ceiling) => _asks.CountWorseThan(ceiling);
    /// <summary>Bids at or above <paramref name="floor"/>, counted from the best up to <paramref name="cap"/>.</summary>
    public int CountBidsAtOrAbove(long floor, int cap) => _bids.CountAtOrBetter(floor, cap);
    /// <summary>Asks at or below <paramref name="ceiling"/>, counted from the best up to <paramref name="cap"/>.</summary>
    public int CountAsksAtOrBelow(long ceiling, int cap) => _asks.CountAtOrBetter(ceiling, cap);

    public void Clear()
    {
        _bids.Clear();
        _asks.Clear();
        LastUpdateId = 0;
    }

    /// <summary>Makes this book an exact copy of <paramref name="other"/> (no allocation once capacity suffices).</summary>
    public void CopyFrom(OrderBook other)
    {
        _bids.CopyFrom(other._bids);
        _asks.CopyFrom(other._asks);
        LastUpdateId = other.LastUpdateId;
    }

    /// <summary>
    /// Checks that every level is usable: price &gt; 0 and quantity &gt;= 0. Returns null when valid, else a
    /// reason naming the first bad level (for example <c>bids[3]: negative quantity -1.00000000</c>).
    /// </summary>
    public static string? Validate(ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks)
    {
        var bad = FirstBad(bids);
        if (bad >= 0) return Describe("bids", bad, bids[bad]);
        bad = FirstBad(asks);
        if (bad >= 0) return Describe("asks", bad, asks[bad]);
        return null;
    }

    /// <summary>
    /// Applies absolute level quantities (0 removes the level) and sets <see cref="LastUpdateId"/>.
    /// If any level is invalid nothing changes and <paramref name="error"/> says which.
    /// </summary>
    public bool TryApply(ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, long updateId, out string? error)
    {
        error = Validate(bids, asks);
        if (error is not null) return false;
        foreach (var level in bids) _bids.Set(level.Price, level.Quantity);
        foreach (var level in asks) _asks.Set(level.Price, level.Quantity);
        LastUpdateId = updateId;
        return true;
    }

    /// <summary>
    /// Replaces the book with a snapshot (levels in any order; zero quantities are ignored). Invalid or
    /// duplicate levels leave the book empty and return false with a reason.
    /// </summary>
    public bool TryLoadSnapshot(long lastUpdateId, ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, out string? error)
    {
        error = Validate(bids, asks);
        if (error is not null) return false;
        if (!_bids.Load(bids)) error = "bids: duplicate price in snapshot";
        else if (!_asks.Load(asks)) error = "asks: duplicate price in snapshot";
        if (error is not null)
        {
            Clear();
            return false;
        }
        LastUpdateId = lastUpdateId;
        return true;
    }

    /// <summary>
    /// Makes the part of the book inside <paramref name="range"/> equal to a snapshot's levels, except at the prices in
    /// <paramref name="keepBids"/> and <paramref name="keepAsks"/> (changed by diffs newer than the snapshot: the book holds
    /// their newer quantities). Levels outside the range are left alone. Invalid or duplicate levels change nothing and
    /// return false with a reason. <paramref name="corrected"/> counts the levels changed, added or removed at prices
    /// <paramref name="previouslyVerified"/> covered (the book should have been right there), <paramref name="filled"/>
    /// those beyond it (holes filled). The update id is not changed: the caller merges at the book's own state.
    /// </summary>
    public bool TryMergeWithin(VerifiedRange range, ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks,
        IReadOnlySet<long> keepBids, IReadOnlySet<long> keepAsks, VerifiedRange previouslyVerified,
        out int corrected, out int filled, out string? error)
    {
        corrected = filled = 0;
        error = Validate(bids, asks);
        if (error is not null) return false;
        var bidLevels = ToMap(bids, "bids", ref error);
        var askLevels = ToMap(asks, "asks", ref error);
        if (error is not null) return false;
        MergeSide(_bids, bids: true, range, bidLevels!, keepBids, previouslyVerified, ref corrected, ref filled);
        MergeSide(_asks, bids: false, range, askLevels!, keepAsks, previouslyVerified, ref corrected, ref filled);
        return true;
    }

    private static Dictionary<long, long>? ToMap(ReadOnlySpan<PriceLevel> levels, string side, ref string? error)
    {
        var map = new Dictionary<long, long>(levels.Length);
        foreach (var level in levels)
        {
            if (level.Quantity == 0) continue;
            if (!map.TryAdd(level.Price, level.Quantity))
            {
                error ??= $"{side}: duplicate price {FixedPoint.ToText(level.Price)} in snapshot";
                return null;
            }
        }
        return map;
    }

    private static void MergeSide(BookSide side, bool bids, VerifiedRange range, Dictionary<long, long> snapshot,
        IReadOnlySet<long> keep, VerifiedRange previouslyVerified, ref int corrected, ref int filled)
    {
        var held = new PriceLevel[side.Count];
        var n = side.CopyTo(held);
        var heldInRange = new HashSet<long>();
        for (var i = 0; i < n; i++)
        {
            var level = held[i];
            if (!range.Covers(bids, level.Price)) break; // best first: every later level is beyond too
            heldInRange.Add(level.Price);
            if (keep.Contains(level.Price)) continue;
            var quantity = snapshot.GetValueOrDefault(level.Price);
            if (quantity == level.Quantity) continue;
            side.Set(level.Price, quantity);
            Count(previouslyVerified.Covers(bids, level.Price), ref corrected, ref filled);
        }
        foreach (var (price, quantity) in snapshot)
        {
            if (heldInRange.Contains(price) || keep.Contains(price) || !range.Covers(bids, price)) continue;
            side.Set(price, quantity);
            Count(previouslyVerified.Covers(bids, price), ref corrected, ref filled);
        }
    }

    private static void Count(bool verified, ref int corrected, ref int filled)
    {
        if (verified) corrected++;
        else filled++;
    }

    private static int FirstBad(ReadOnlySpan<PriceLevel> levels)
    {
        for (var i = 0; i < levels.Length; i++)
        {
            if (levels[i].Price <= 0 || levels[i].Quantity < 0) return i;
        }
        return -1;
    }

    private static string Describe(string side, int index, PriceLevel level) => level.Price <= 0
        ? $"{side}[{index}]: non-positive price {FixedPoint.ToText(level.Price)}"
        : $"{side}[{index}]: negative quantity {FixedPoint.ToText(level.Quantity)}";
}
