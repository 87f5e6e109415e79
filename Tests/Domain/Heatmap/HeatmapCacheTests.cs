namespace MarketData.Tests.Domain.Heatmap;

using MarketData.Aggregation;
using MarketData.Domain.Heatmap;
using static MarketData.Tests.Domain.Heatmap.HeatmapTestData;

public sealed class HeatmapCacheTests
{
    [Fact]
    public void Same_second_returns_the_cached_instance_per_window_and_metric()
    {
        var history = Walk(400, 20);
        var cache = new HeatmapCache();
        var first = cache.GetOrBuild(history, 300, HeatmapMetric.Total);
        Assert.Same(first, cache.GetOrBuild(history, 300, HeatmapMetric.Total));
        var other = cache.GetOrBuild(history, 300, HeatmapMetric.Imbalance);
        Assert.NotSame(first, other);
        Assert.Same(other, cache.GetOrBuild(history, 300, HeatmapMetric.Imbalance));
        Assert.NotSame(first, cache.GetOrBuild(history, 60, HeatmapMetric.Total));
        Assert.Equal(2, cache.Hits);
        Assert.Equal(3, cache.Misses);
    }

    [Fact]
    public void The_window_is_the_last_n_seconds()
    {
        var history = Walk(400, 20);
        var map = new HeatmapCache().GetOrBuild(history, 300, HeatmapMetric.Bid);
        Assert.Equal(300, map.Times.Length);
        Assert.Equal(history[100].Time, map.Times[0]);
        Assert.Equal(history[^1].Time, map.Times[^1]);
        var shortHistory = Walk(10, 20);
        Assert.Equal(10, new HeatmapCache().GetOrBuild(shortHistory, 300, HeatmapMetric.Bid).Times.Length);
        Assert.Empty(new HeatmapCache().GetOrBuild([], 300, HeatmapMetric.Bid).Times);
    }

    [Fact]
    public void A_new_second_invalidates()
    {
        var history = Walk(301, 20);
        var cache = new HeatmapCache();
        var before = cache.GetOrBuild(history.GetRange(0, 300), 300, HeatmapMetric.Total);
        // Explicit notification, history not yet changed: rebuilt (same content).
        cache.OnSecond(history[300].Time);
        var rebuilt = cache.GetOrBuild(history.GetRange(0, 300), 300, HeatmapMetric.Total);
        Assert.NotSame(before, rebuilt);
        // A history whose latest second is newer invalidates by itself.
        var after = cache.GetOrBuild(history, 300, HeatmapMetric.Total);
        Assert.NotSame(rebuilt, after);
        Assert.Equal(history[^1].Time, after.Times[^1]);
        Assert.Same(after, cache.GetOrBuild(history, 300, HeatmapMetric.Total));
        cache.OnSecond(history[^1].Time); // same second again: still cached
        Assert.Same(after, cache.GetOrBuild(history, 300, HeatmapMetric.Total));
    }
}
