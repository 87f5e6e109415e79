namespace MarketData.Tests.Domain.Heatmap;

using MarketData.Aggregation;
using MarketData.Instruments;

/// <summary>Hand-built per-second aggregates (prices and volumes in whole units, converted to fixed point here).</summary>
internal static class HeatmapTestData
{
    public const long T0 = 1_714_521_600_000; // 2024-05-01 00:00:00 UTC

    public static long Fp(decimal units) => FixedPoint.FromDecimal(units);

    /// <summary>A second whose buckets start at <paramref name="firstPrice"/>, one per (bid, ask) pair, ascending.</summary>
    public static CobSecond Second(int index, decimal bucketSize, decimal firstPrice, params (decimal Bid, decimal Ask)[] volumes)
    {
        var size = Fp(bucketSize);
        var buckets = new PriceBucket[volumes.Length];
        for (var i = 0; i < volumes.Length; i++) buckets[i] = new PriceBucket(Fp(firstPrice) + i * size, Fp(volumes[i].Bid), Fp(volumes[i].Ask));
        return new CobSecond
        {
            Time = T0 + index * 1000L,
            BucketSize = size,
            Buckets = buckets,
            RangeLow = buckets.Length == 0 ? 0 : buckets[0].PriceFrom,
            RangeHigh = buckets.Length == 0 ? 0 : buckets[^1].PriceFrom + size,
            Mid = buckets.Length == 0 ? 0 : (buckets[0].PriceFrom + buckets[^1].PriceFrom + size) / 2,
        };
    }

    public static CobSecond Gap(int index, string reason = "book not synced") => new() { Time = T0 + index * 1000L, IsGap = true, GapReason = reason };

    /// <summary>
    /// A realistic-looking window: mid a seeded random walk around 60,000 in $10 buckets, ±<paramref name="halfRange"/>
    /// buckets around it, liquidity thinning away from the mid with a few walls; every 97th second a gap.
    /// </summary>
    public static List<CobSecond> Walk(int seconds, int halfRange, int seed = 7, long startIndex = 0, bool gaps = true)
    {
        var random = new Random(seed);
        var size = Fp(10);
        var midBucket = 6_000L;
        var list = new List<CobSecond>(seconds);
        for (var s = 0; s < seconds; s++)
        {
            var index = (int)(startIndex + s);
            if (gaps && s % 97 == 50) { list.Add(Gap(index)); continue; }
            midBucket += random.Next(-1, 2) * (random.Next(4) == 0 ? 1 : 0);
            var buckets = new PriceBucket[2 * halfRange];
            for (var b = 0; b < buckets.Length; b++)
            {
                var bucket = midBucket - halfRange + b;
                var distance = Math.Abs(bucket - midBucket) + 1;
                var wall = (bucket * 7919 % 37) == 0 ? 40.0 : 1.0;
                var volume = (long)(FixedPoint.Scale * wall * (0.5 + random.NextDouble()) * 20 / distance);
                buckets[b] = bucket < midBucket ? new PriceBucket(bucket * size, volume, 0) : new PriceBucket(bucket * size, volume / 8, volume);
            }
            list.Add(new CobSecond
            {
                Time = T0 + index * 1000L,
                BucketSize = size,
                Buckets = buckets,
                Mid = midBucket * size,
                RangeLow = buckets[0].PriceFrom,
                RangeHigh = buckets[^1].PriceFrom + size,
            });
        }
        return list;
    }
}
