using MarketData.Aggregation;
using MarketData.Domain.Books;
using MarketData.Streams;

namespace MarketData.Domain.Aggregation;

/// <summary>
/// Turns a synced <see cref="OrderBook"/> into one second's <see cref="CobSecond"/>: buckets on the absolute grid
/// around the mid, per-side depth and VWAP within the range, spread and imbalance. Only the levels inside the range
/// are visited (the book is sorted, so each side is walked from its best level outward and left at the range end).
/// One instance per symbol (or per thread): it reuses its scratch buffers, so the only allocations per second are
/// the <see cref="CobSecond"/> and its bucket array. Not thread-safe.
/// </summary>
public sealed class BookAggregator
{
    private PriceLevel[] _levels = new PriceLevel[256];
    private long[] _bidVolumes = new long[16];
    private long[] _askVolumes = new long[16];
    // How many levels a side needed last time: the next copy starts there so it rarely has to be repeated.
    private int _bidHint = 64, _askHint = 64;

    /// <summary>A second that could not be aggregated, with its reason; the trade flow is still real and kept.</summary>
    public static CobSecond Gap(long secondStart, string reason, in TradeFlow flow) => new()
    {
        Time = secondStart,
        IsGap = true,
        GapReason = string.IsNullOrWhiteSpace(reason) ? "unknown reason" : reason,
        Flow = flow,
    };

    /// <summary>
    /// Aggregates <paramref name="book"/> (the caller checked it is synced). A side without levels or a crossed book
    /// gives a gap with the reason, not an exception: the mid needs both sides.
    /// </summary>
    public CobSecond Aggregate(long secondStart, OrderBook book, BucketConfig config, in TradeFlow flow, long bookUpdateId)
        => Aggregate(secondStart, book, config, flow, bookUpdateId, VerifiedRange.Everything);

    /// <summary>
    /// As above, for a book that vouches only for <paramref name="verified"/>: every level in the range is aggregated, and
    /// the second says which buckets at either end reach beyond the verified range and whether each touch lies in it.
    /// </summary>
    public CobSecond Aggregate(long secondStart, OrderBook book, BucketConfig config, in TradeFlow flow, long bookUpdateId, VerifiedRange verified)
    {
        ArgumentNullException.ThrowIfNull(book);
        var hasBid = book.TryGetBestBid(out var bestBid);
        var hasAsk = book.TryGetBestAsk(out var bestAsk);
        if (!hasBid || !hasAsk)
            return Gap(secondStart, !hasBid && !hasAsk ? "book is empty" : !hasBid ? "book has no bids" : "book has no asks", flow);
        if (bestBid.Price >= bestAsk.Price)
            return Gap(secondStart, $"book crossed: bid {bestBid.Price} >= ask {bestAsk.Price}", flow);

        var size = config.BucketSize;
        var mid = bestBid.Price + (bestAsk.Price - bestBid.Price) / 2; // no overflow, floor for positive prices
        // Buckets [firstBucket, lastBucket] on the absolute grid; the one holding mid + range is included, so
        // RangeHigh (exclusive) is the end of that bucket. Prices are positive: nothing below bucket 0.
        var firstBucket = Math.Max(0, FloorDiv(mid - config.Range, size));
        var lastBucket = FloorDiv(mid + config.Range, size);
        var low = firstBucket * size;
        var high = (lastBucket + 1) * size;
        var count = (int)(lastBucket - firstBucket + 1);
        if (_bidVolumes.Length < count)
        {
            _bidVolumes = new long[count];
            _askVolumes = new long[count];
        }
        Array.Clear(_bidVolumes, 0, count);
        Array.Clear(_askVolumes, 0, count);

        var bids = WalkSide(book, isAsk: false, low, high, size, _bidVolumes, ref _bidHint);
        var asks = WalkSide(book, isAsk: true, low, high, size, _askVolumes, ref _askHint);

        var buckets = new PriceBucket[count];
        for (var i = 0; i < count; i++) buckets[i] = new PriceBucket(low + i * size, _bidVolumes[i], _askVolumes[i]);
        var total = bids.Volume + asks.Volume;
        return new CobSecond
        {
            Time = secondStart,
            BookUpdateId = bookUpdateId,
            Mid = mid,
            BucketSize = size,
            RangeLow = low,
            RangeHigh = high,
            Buckets = buckets,
            Imbalance = total == 0 ? 0 : (double)(bids.Volume - asks.Volume) / total,
            BidVwap = bids.Vwap,
            AskVwap = asks.Vwap,
            Spread = bestAsk.Price - bestBid.Price,
            BidDepth = bids.Volume,
            AskDepth = asks.Volume,
            Flow = flow,
            UnverifiedBidBuckets = UnverifiedBelow(verified, low, size, count),
            UnverifiedAskBuckets = UnverifiedAbove(verified, low, size, count),
            BidTouchVerified = verified.Covers(bids: true, bestBid.Price),
            AskTouchVerified = verified.Covers(bids: false, bestAsk.Price),
        };
    }

    /// <summary>Buckets from the low end of the range holding prices below the verified bid floor.</summary>
    internal static int UnverifiedBelow(VerifiedRange verified, long low, long size, int count)
    {
        if (!verified.BidBounded || verified.BidFloor <= low) return 0;
        // Bucket k holds the floor; it reaches below the floor unless the floor is its first price.
        var k = (verified.BidFloor - low) / size;
        var n = k + (verified.BidFloor > low + k * size ? 1 : 0);
        return (int)Math.Min(n, count);
    }

    /// <summary>Buckets from the high end of the range holding prices above the verified ask ceiling.</summary>
    internal static int UnverifiedAbove(VerifiedRange verified, long low, long size, int count)
    {
        if (!verified.AskBounded) return 0;
        if (verified.AskCeiling < low) return count;
        // Bucket j holds the ceiling; it reaches above it unless the ceiling is its last price.
        var j = (verified.AskCeiling - low) / size;
        if (j >= count) return 0;
        var firstBeyond = verified.AskCeiling < low + (j + 1) * size - 1 ? j : j + 1;
        return (int)Math.Max(0, count - firstBeyond);
    }

    private readonly record struct SideTotals(long Volume, long Vwap);

    /// <summary>
    /// Adds the side's levels in [low, high) to <paramref name="volumes"/>. Levels are copied best first in a chunk
    /// sized by the last second's need; only when every copied level is still inside the range is a bigger chunk taken.
    /// </summary>
    private SideTotals WalkSide(OrderBook book, bool isAsk, long low, long high, long size, long[] volumes, ref int hint)
    {
        var available = isAsk ? book.AskCount : book.BidCount;
        var want = Math.Min(available, Math.Max(hint, 16));
        int copied;
        while (true)
        {
            if (_levels.Length < want) _levels = new PriceLevel[Math.Max(want, _levels.Length * 2)];
            var span = _levels.AsSpan(0, want);
            copied = isAsk ? book.CopyAsks(span) : book.CopyBids(span);
            if (copied == available) break;
            var last = _levels[copied - 1].Price;
            if (isAsk ? last >= high : last < low) break; // the range ends inside this chunk
            want = Math.Min(available, want * 2);
        }

        long volume = 0;
        Int128 notional = 0;
        var used = 0;
        for (var i = 0; i < copied; i++)
        {
            var level = _levels[i];
            used = i + 1;
            if (isAsk)
            {
                if (level.Price >= high) break;
                if (level.Price < low) continue; // only in a crossed book, which is rejected before
            }
            else
            {
                if (level.Price < low) break;
                if (level.Price >= high) continue;
            }
            volumes[(level.Price - low) / size] += level.Quantity;
            volume += level.Quantity;
            notional += (Int128)level.Price * level.Quantity;
        }
        hint = used + used / 4 + 1;
        return new SideTotals(volume, volume == 0 ? 0 : RoundedDivide(notional, volume));
    }

    /// <summary>Nearest integer of a / b for a &gt;= 0, b &gt; 0 (halves round up).</summary>
    internal static long RoundedDivide(Int128 a, long b) => (long)((a + b / 2) / b);

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
