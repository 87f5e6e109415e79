using MarketData.Aggregation;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Books;
using MarketData.Streams;

namespace MarketData.Tests.Domain.Aggregation;

/// <summary>
/// Independent, deliberately simple recomputations used as the oracle: every level of a copy of the book is looked
/// at, bucket bounds come from decimal arithmetic, and averages are recomputed from scratch for every second.
/// </summary>
internal static class NaiveCob
{
    public sealed record Expected(long Mid, long Low, long High, PriceBucket[] Buckets, long BidDepth, long AskDepth, long BidVwap, long AskVwap, long Spread);

    public static Expected Compute(OrderBook source, BucketConfig config)
    {
        var book = new OrderBook();
        book.CopyFrom(source);
        var bids = new PriceLevel[book.BidCount];
        var asks = new PriceLevel[book.AskCount];
        book.CopyBids(bids);
        book.CopyAsks(asks);
        var bestBid = bids.Max(l => l.Price);
        var bestAsk = asks.Min(l => l.Price);
        var mid = (long)Math.Floor(((decimal)bestBid + bestAsk) / 2);
        var size = (decimal)config.BucketSize;
        var low = (long)(Math.Max(0, Math.Floor((mid - config.Range) / size)) * size);
        var high = (long)((Math.Floor((mid + config.Range) / size) + 1) * size);
        var count = (int)((high - low) / config.BucketSize);
        var buckets = new PriceBucket[count];
        for (var i = 0; i < count; i++)
        {
            var from = low + i * config.BucketSize;
            var to = from + config.BucketSize;
            buckets[i] = new PriceBucket(from,
                bids.Where(l => l.Price >= from && l.Price < to).Sum(l => l.Quantity),
                asks.Where(l => l.Price >= from && l.Price < to).Sum(l => l.Quantity));
        }
        var inBids = bids.Where(l => l.Price >= low && l.Price < high).ToArray();
        var inAsks = asks.Where(l => l.Price >= low && l.Price < high).ToArray();
        return new Expected(mid, low, high, buckets, inBids.Sum(l => l.Quantity), inAsks.Sum(l => l.Quantity),
            Vwap(inBids), Vwap(inAsks), bestAsk - bestBid);
    }

    private static long Vwap(PriceLevel[] levels)
    {
        var volume = levels.Sum(l => (decimal)l.Quantity);
        if (volume == 0) return 0;
        // Exact integer numerator via BigInteger, rounded half up.
        var notional = levels.Aggregate(System.Numerics.BigInteger.Zero, (sum, l) => sum + (System.Numerics.BigInteger)l.Price * l.Quantity);
        var v = (System.Numerics.BigInteger)volume;
        return (long)((notional * 2 + v) / (v * 2));
    }

    public static void AssertMatches(Expected expected, CobSecond actual)
    {
        Assert.False(actual.IsGap, actual.GapReason);
        Assert.Equal(expected.Mid, actual.Mid);
        Assert.Equal(expected.Low, actual.RangeLow);
        Assert.Equal(expected.High, actual.RangeHigh);
        Assert.Equal(expected.Buckets, actual.Buckets);
        Assert.Equal(expected.BidDepth, actual.BidDepth);
        Assert.Equal(expected.AskDepth, actual.AskDepth);
        Assert.Equal(expected.BidVwap, actual.BidVwap);
        Assert.Equal(expected.AskVwap, actual.AskVwap);
        Assert.Equal(expected.Spread, actual.Spread);
        var total = expected.BidDepth + expected.AskDepth;
        Assert.Equal(total == 0 ? 0 : (double)(expected.BidDepth - expected.AskDepth) / total, actual.Imbalance);
    }

    /// <summary>Averages recomputed from scratch for the second at <paramref name="index"/> of <paramref name="seconds"/>.</summary>
    public static void AssertAverages(IReadOnlyList<CobSecond> seconds, int index, double tolerance = 1e-12)
    {
        var s = seconds[index];
        var overall = new double?[4];
        for (var k = 0; k < 4; k++)
        {
            var span = ImbalanceAverager.Spans[k];
            var values = seconds.Where(x => x.Time > s.Time - span * 1000L && x.Time <= s.Time && !x.IsGap && x.BidDepth + x.AskDepth > 0)
                .Select(x => x.Imbalance).ToList();
            overall[k] = values.Count == 0 ? null : values.Average();
        }
        AssertClose(overall, s.Averages, tolerance);
        if (s.IsGap)
        {
            Assert.Empty(s.BucketAverages);
            return;
        }
        Assert.Equal(s.Buckets.Length, s.BucketAverages.Length);
        for (var b = 0; b < s.Buckets.Length; b++)
        {
            var price = s.Buckets[b].PriceFrom;
            var perSpan = new double?[4];
            for (var k = 0; k < 4; k++)
            {
                var span = ImbalanceAverager.Spans[k];
                var values = seconds.Where(x => x.Time > s.Time - span * 1000L && x.Time <= s.Time && !x.IsGap && x.BucketSize == s.BucketSize)
                    .SelectMany(x => x.Buckets.Where(bk => bk.PriceFrom == price && bk.Total > 0))
                    .Select(bk => bk.Imbalance).ToList();
                perSpan[k] = values.Count == 0 ? null : values.Average();
            }
            AssertClose(perSpan, s.BucketAverages[b], tolerance);
        }
    }

    private static void AssertClose(double?[] expected, ImbalanceAverages actual, double tolerance)
    {
        double?[] got = [actual.S1, actual.S5, actual.S15, actual.S60];
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(expected[k].HasValue, got[k].HasValue);
            if (expected[k] is { } e) Assert.True(Math.Abs(e - got[k]!.Value) <= tolerance, $"span {ImbalanceAverager.Spans[k]}: expected {e}, got {got[k]}");
        }
    }
}
