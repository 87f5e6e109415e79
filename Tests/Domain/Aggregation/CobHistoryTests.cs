using MarketData.Aggregation;
using MarketData.Domain.Aggregation;

namespace MarketData.Tests.Domain.Aggregation;

public class CobHistoryTests
{
    private static CobSecond At(long seconds) => BookAggregator.Gap(seconds * 1_000, "test", default);

    [Fact]
    public void Keeps_the_last_capacity_seconds_and_queries_by_time()
    {
        var history = new CobHistory(capacity: 5);
        Assert.Null(history.Latest);
        for (var s = 0; s < 7; s++) history.Add(At(s));
        Assert.Equal(5, history.Count);
        Assert.Equal(2_000, history.Oldest!.Time);
        Assert.Equal(6_000, history.Latest!.Time);
        Assert.Equal([3_000L, 4_000L], history.Query(3_000, 5_000).Select(c => c.Time));
        Assert.Equal([2_000L, 3_000L], history.Query(0, 3_500).Select(c => c.Time));
        Assert.Empty(history.Query(7_000, 9_000));
        Assert.Equal([5_000L, 6_000L], history.Last(2).Select(c => c.Time));
    }

    /// <summary>Seconds compared by content: the history stores them column-wise and hands out new instances.</summary>
    internal static void AssertSameSeconds(IReadOnlyList<CobSecond> expected, IReadOnlyList<CobSecond> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i] with { Buckets = [], BucketAverages = [] }, actual[i] with { Buckets = [], BucketAverages = [] });
            Assert.Equal(expected[i].Buckets, actual[i].Buckets);
            Assert.Equal(expected[i].BucketAverages, actual[i].BucketAverages);
        }
    }

    private static CobSecond WithBuckets(long seconds, int buckets) => new()
    {
        Time = seconds * 1_000,
        Mid = 100 + seconds,
        BucketSize = 10,
        RangeLow = 50,
        RangeHigh = 50 + buckets * 10,
        Buckets = [.. Enumerable.Range(0, buckets).Select(b => new PriceBucket(50 + b * 10, seconds * 100 + b, b))],
        BucketAverages = [.. Enumerable.Range(0, buckets).Select(b => new ImbalanceAverages(b / 10.0, null, seconds, -b))],
        Flow = new TradeFlow(seconds, 2, 3, 4, 5),
        Averages = new ImbalanceAverages(0.5, 0.25, null, 1),
        Imbalance = 0.125,
    };

    [Fact]
    public void Seconds_come_back_with_every_field_and_bucket_even_after_the_bucket_count_grows()
    {
        var history = new CobHistory(capacity: 4);
        var added = new List<CobSecond>();
        for (var s = 0; s < 6; s++)
        {
            var second = s == 3 ? BookAggregator.Gap(s * 1_000, "book stale", default) : WithBuckets(s, s < 4 ? 3 : 9); // 9 buckets: wider rows
            history.Add(second);
            added.Add(second);
        }
        Assert.True(history.BucketWidth >= 9);
        AssertSameSeconds(added[2..], history.Query(long.MinValue, long.MaxValue));
        Assert.Equal(added[^1].Flow, history.FlowAt(history.Count - 1));
        Assert.True(history.IsGapAt(1));
        Assert.Equal(3_000, history.TimeAt(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => history.At(4));
        history.Clear();
        Assert.Equal(0, history.Count);
        Assert.Null(history.Latest);
    }

    [Fact]
    public void Seconds_older_than_the_window_leave_even_with_room()
    {
        var history = new CobHistory(capacity: 5);
        history.Add(At(0));
        history.Add(At(1));
        history.Add(At(5)); // window 5 s: 0 leaves, 1 stays
        Assert.Equal([1_000L, 5_000L], history.Query(long.MinValue, long.MaxValue).Select(c => c.Time));
        history.Add(At(100));
        Assert.Equal(1, history.Count);
        Assert.Throws<ArgumentException>(() => history.Add(At(100)));
    }
}
