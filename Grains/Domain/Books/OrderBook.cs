using System.Buffers;
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
    /// <paramref name="keepBids"/> and <paramref name="keepAsks"/> (ascending; changed by diffs newer than the snapshot:
    /// the book holds their newer quantities). Levels outside the range are left alone. Invalid or duplicate levels change
    /// nothing and return false with a reason. <paramref name="corrected"/> counts the levels changed, added or removed at
    /// prices <paramref name="previouslyVerified"/> covered (the book should have been right there), <paramref name="filled"/>
    /// those beyond it (holes filled). The update id is not changed: the caller merges at the book's own state.
    /// One ordered walk of each side against the snapshot (sorted first only if it is not already best first), on pooled
    /// buffers: no allocation, and only the levels that differ are written.
    /// </summary>
    public bool TryMergeWithin(VerifiedRange range, ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks,
        ReadOnlySpan<long> keepBids, ReadOnlySpan<long> keepAsks, VerifiedRange previouslyVerified,
        out int corrected, out int filled, out string? error)
    {
        corrected = filled = 0;
        error = Validate(bids, asks);
        if (error is not null) return false;
        var bidBuffer = ArrayPool<PriceLevel>.Shared.Rent(Math.Max(1, bids.Length));
        var askBuffer = ArrayPool<PriceLevel>.Shared.Rent(Math.Max(1, asks.Length));
        try
        {
            var bidLevels = BestFirst(bids, bidBuffer, isBid: true, ref error);
            var askLevels = BestFirst(asks, askBuffer, isBid: false, ref error);
            if (error is not null) return false;
            MergeSide(_bids, isBid: true, range, bidLevels, keepBids, previouslyVerified, ref corrected, ref filled);
            MergeSide(_asks, isBid: false, range, askLevels, keepAsks, previouslyVerified, ref corrected, ref filled);
            return true;
        }
        finally
        {
            ArrayPool<PriceLevel>.Shared.Return(bidBuffer);
            ArrayPool<PriceLevel>.Shared.Return(askBuffer);
        }
    }

    private static bool Better(bool isBid, long a, long b) => isBid ? a > b : a < b;

    /// <summary>The non-empty levels best first (copied into <paramref name="buffer"/>); a duplicate price sets <paramref name="error"/>.</summary>
    private static ReadOnlySpan<PriceLevel> BestFirst(ReadOnlySpan<PriceLevel> levels, PriceLevel[] buffer, bool isBid, ref string? error)
    {
        var n = 0;
        var sorted = true;
        foreach (var level in levels)
        {
            if (level.Quantity == 0) continue;
            if (n > 0 && !Better(isBid, buffer[n - 1].Price, level.Price)) sorted = false;
            buffer[n++] = level;
        }
        var span = buffer.AsSpan(0, n);
        if (!sorted)
        {
            if (isBid) span.Sort(static (a, b) => b.Price.CompareTo(a.Price));
            else span.Sort(static (a, b) => a.Price.CompareTo(b.Price));
        }
        for (var i = 1; i < n; i++)
        {
            if (span[i].Price != span[i - 1].Price) continue;
            error ??= $"{(isBid ? "bids" : "asks")}: duplicate price {FixedPoint.ToText(span[i].Price)} in snapshot";
            break;
        }
        return span;
    }

    private static void MergeSide(BookSide side, bool isBid, VerifiedRange range, ReadOnlySpan<PriceLevel> snapshot,
        ReadOnlySpan<long> keep, VerifiedRange previouslyVerified, ref int corrected, ref int filled)
    {
        var inRange = side.CountAtOrBetter(range.Bound(isBid), int.MaxValue);
        var buffer = ArrayPool<PriceLevel>.Shared.Rent(Math.Max(1, inRange));
        try
        {
            var held = buffer.AsSpan(0, side.CopyTo(buffer.AsSpan(0, inRange)));
            int i = 0, j = 0;
            while (i < held.Length || j < snapshot.Length)
            {
                long price, had = 0, has = 0;
                if (j == snapshot.Length || (i < held.Length && Better(isBid, held[i].Price, snapshot[j].Price)))
                {
                    price = held[i].Price;
                    had = held[i++].Quantity;
                }
                else if (i == held.Length || Better(isBid, snapshot[j].Price, held[i].Price))
                {
                    price = snapshot[j].Price;
                    has = snapshot[j++].Quantity;
                }
                else
                {
                    price = held[i].Price;
                    had = held[i++].Quantity;
                    has = snapshot[j++].Quantity;
                }
                if (had == has || !range.Covers(isBid, price) || keep.BinarySearch(price) >= 0) continue;
                side.Set(price, has);
                if (previouslyVerified.Covers(isBid, price)) corrected++;
                else filled++;
            }
        }
        finally
        {
            ArrayPool<PriceLevel>.Shared.Return(buffer);
        }
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
