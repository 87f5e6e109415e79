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
