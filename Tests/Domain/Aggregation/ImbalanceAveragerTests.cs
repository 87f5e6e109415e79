using MarketData.Aggregation;
using MarketData.Domain.Aggregation;

namespace MarketData.Tests.Domain.Aggregation;

public class ImbalanceAveragerTests
{
    private static CobSecond Second(long time, long bucketSize, long firstBucket, params (long Bid, long Ask)[] volumes)
    {
        var buckets = volumes.Select((v, i) => new PriceBucket((firstBucket + i) * bucketSize, v.Bid, v.Ask)).ToArray();
        long bid = volumes.Sum(v => v.Bid), ask = volumes.Sum(v => v.Ask);
        return new CobSecond
        {
            Time = time, BucketSize = bucketSize, Buckets = buckets, BidDepth = bid, AskDepth = ask,
            Imbalance = bid + ask == 0 ? 0 : (double)(bid - ask) / (bid + ask),
            RangeLow = firstBucket * bucketSize, RangeHigh = (firstBucket + volumes.Length) * bucketSize,
        };
    }

    [Fact]
    public void Hand_checked_averages_with_a_gap_and_a_moving_grid()
    {
        var averager = new ImbalanceAverager();
        var s0 = averager.Apply(Second(0, 10, 100, (3, 1), (1, 1)));           // overall 0.333, bucket 100: 0.5, bucket 101: 0
        var s1 = averager.Apply(BookAggregator.Gap(1_000, "not synced", default));
        var s2 = averager.Apply(Second(2_000, 10, 101, (0, 2), (4, 0)));       // overall 0.333.., bucket 101: -1, bucket 102: 1

        Assert.Equal(1 / 3.0, s0.Averages.S1!.Value, 12);
        Assert.Equal(new ImbalanceAverages(0.5, 0.5, 0.5, 0.5), s0.BucketAverages[0]);
        Assert.Null(s1.Averages.S1);                        // the gap itself has no data
        Assert.Equal(1 / 3.0, s1.Averages.S5!.Value, 12);   // the seconds around it do
        Assert.Empty(s1.BucketAverages);
        Assert.Equal(new ImbalanceAverages(-1, -0.5, -0.5, -0.5), s2.BucketAverages[0]); // bucket 101 over 0 and -1
        Assert.Equal(new ImbalanceAverages(1, 1, 1, 1), s2.BucketAverages[1]);           // bucket 102 is new
        Assert.Equal(1 / 3.0, s2.Averages.S5!.Value, 12);
    }

    [Fact]
    public void Empty_buckets_and_an_empty_range_contribute_nothing()
    {
        var averager = new ImbalanceAverager();
        var s0 = averager.Apply(Second(0, 10, 100, (0, 0)));
        Assert.Equal(default, s0.Averages);
        Assert.Equal(default, s0.BucketAverages[0]);
        var s1 = averager.Apply(Second(1_000, 10, 100, (0, 0), (2, 0)));
        Assert.Equal(new ImbalanceAverages(1, 1, 1, 1), s1.Averages);
        Assert.Equal(default, s1.BucketAverages[0]);
    }

    [Fact]
    public void Seconds_leave_each_span_on_time()
    {
        var averager = new ImbalanceAverager();
        CobSecond last = null!;
        for (var t = 0; t < 61; t++) last = averager.Apply(Second(t * 1_000L, 10, 100, (t == 0 ? 1 : 0, t == 0 ? 0 : 1)));
        // second 0 had +1, the 60 after it -1: 0 is outside the 60 s span ending at 60.
        Assert.Equal(new ImbalanceAverages(-1, -1, -1, -1), last.Averages);
        Assert.Equal(1, averager.TrackedBuckets);
    }

    [Fact]
    public void Random_seconds_match_the_averages_recomputed_from_scratch()
    {
        var random = new Random(5);
        var averager = new ImbalanceAverager();
        var produced = new List<CobSecond>();
        long time = 0;
        for (var i = 0; i < 400; i++)
        {
            time += random.Next(10) == 0 ? random.Next(2, 20) * 1_000 : 1_000; // sometimes seconds are missing altogether
            CobSecond second;
            if (random.Next(8) == 0) second = BookAggregator.Gap(time, "resyncing", default);
            else
            {
                var size = i > 200 ? 5 : 10; // a configuration change half way: the grid changes
                var first = 100 + random.Next(-3, 4);
                var volumes = Enumerable.Range(0, 11).Select(_ => (random.Next(3) == 0 ? 0L : random.Next(1, 1000), random.Next(3) == 0 ? 0L : random.Next(1, 1000))).ToArray();
                second = Second(time, size, first, volumes);
            }
            produced.Add(averager.Apply(second));
        }
        for (var i = 0; i < produced.Count; i++) NaiveCob.AssertAverages(produced, i, 1e-9);
        Assert.True(averager.TrackedBuckets < 100);
    }

    [Fact]
    public void Out_of_order_seconds_are_rejected()
    {
        var averager = new ImbalanceAverager();
        averager.Apply(Second(1_000, 10, 100, (1, 1)));
        Assert.Throws<ArgumentException>(() => averager.Apply(Second(1_000, 10, 100, (1, 1))));
    }
}
