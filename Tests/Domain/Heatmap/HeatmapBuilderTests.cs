namespace MarketData.Tests.Domain.Heatmap;

using MarketData.Aggregation;
using MarketData.Domain.Heatmap;
using static MarketData.Tests.Domain.Heatmap.HeatmapTestData;

public sealed class HeatmapBuilderTests
{
    private static double At(Heatmap map, int row, int col) => map.Values[row * map.PriceBuckets.Length + col];

    [Fact]
    public void Axes_are_the_seconds_and_the_union_of_buckets_as_the_mid_moves()
    {
        var seconds = new List<CobSecond>
        {
            Second(0, 10, 100, (1, 0), (2, 0), (0, 3)),       // 100, 110, 120
            Second(1, 10, 110, (4, 0), (0, 5), (0, 6)),       // 110, 120, 130
            Second(2, 10, 130, (7, 0), (0, 8), (0, 9)),       // 130, 140, 150
        };
        var map = HeatmapBuilder.Build(seconds, HeatmapMetric.Total);

        Assert.Equal(new[] { T0, T0 + 1000, T0 + 2000 }, map.Times);
        Assert.Equal(new[] { 100m, 110, 120, 130, 140, 150 }.Select(Fp).ToArray(), map.PriceBuckets);
        Assert.Equal(Fp(10), map.BucketSize);
        Assert.Equal(3 * 6, map.Values.Length);
        // Row 0 covers 100..120 only.
        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(c => At(map, 0, c)));
        Assert.True(double.IsNaN(At(map, 0, 3)) && double.IsNaN(At(map, 0, 5)));
        // Row 1 is shifted one bucket up.
        Assert.True(double.IsNaN(At(map, 1, 0)));
        Assert.Equal([4, 5, 6], Enumerable.Range(1, 3).Select(c => At(map, 1, c)));
        Assert.True(double.IsNaN(At(map, 1, 4)));
        Assert.Equal([7, 8, 9], Enumerable.Range(3, 3).Select(c => At(map, 2, c)));
        Assert.Equal(1, map.Min);
        Assert.Equal(9, map.Max);
    }

    [Fact]
    public void A_mid_jump_leaves_the_buckets_between_as_NaN_columns()
    {
        var map = HeatmapBuilder.Build([Second(0, 1, 10, (1, 1)), Second(1, 1, 13, (2, 2))], HeatmapMetric.Bid);
        Assert.Equal(new[] { 10m, 11, 12, 13 }.Select(Fp).ToArray(), map.PriceBuckets);
        Assert.True(double.IsNaN(At(map, 0, 1)) && double.IsNaN(At(map, 1, 1)) && double.IsNaN(At(map, 1, 2)));
        Assert.Equal(1, At(map, 0, 0));
        Assert.Equal(2, At(map, 1, 3));
    }

    [Fact]
    public void Gap_seconds_are_NaN_rows_and_do_not_affect_min_max()
    {
        var seconds = new List<CobSecond> { Second(0, 10, 100, (1, 2), (3, 4)), Gap(1), Second(2, 10, 100, (5, 6), (7, 8)) };
        var map = HeatmapBuilder.Build(seconds, HeatmapMetric.Ask);
        Assert.Equal(3, map.Times.Length);
        Assert.Equal(T0 + 1000, map.Times[1]);
        Assert.True(double.IsNaN(At(map, 1, 0)) && double.IsNaN(At(map, 1, 1)));
        Assert.Equal([2, 4, 6, 8], new[] { At(map, 0, 0), At(map, 0, 1), At(map, 2, 0), At(map, 2, 1) });
        Assert.Equal(2, map.Min);
        Assert.Equal(8, map.Max);
    }

    [Theory]
    [InlineData(HeatmapMetric.Bid, 1.5, 0)]
    [InlineData(HeatmapMetric.Ask, 0.5, 2)]
    [InlineData(HeatmapMetric.Total, 2.0, 2)]
    [InlineData(HeatmapMetric.Imbalance, 0.5, -1)]
    public void Each_metric_reads_its_value(HeatmapMetric metric, double first, double second)
    {
        var map = HeatmapBuilder.Build([Second(0, 0.01m, 3000.25m, (1.5m, 0.5m), (0, 2))], metric);
        Assert.Equal(metric, map.Metric);
        Assert.Equal(first, At(map, 0, 0), 12);
        Assert.Equal(second, At(map, 0, 1), 12);
        Assert.Equal(new[] { Fp(3000.25m), Fp(3000.26m) }, map.PriceBuckets);
    }

    [Fact]
    public void Imbalance_range_is_fixed_and_an_empty_bucket_is_zero()
    {
        var map = HeatmapBuilder.Build([Second(0, 1, 1, (1, 1), (0, 0), (3, 1))], HeatmapMetric.Imbalance);
        Assert.Equal(-1, map.Min);
        Assert.Equal(1, map.Max);
        Assert.Equal([0, 0, 0.5], map.Values);
    }

    [Fact]
    public void Volume_range_includes_empty_buckets_and_a_flat_window_gives_equal_ends()
    {
        var map = HeatmapBuilder.Build([Second(0, 1, 1, (0, 0), (3, 1))], HeatmapMetric.Total);
        Assert.Equal(0, map.Min);
        Assert.Equal(4, map.Max);
        var flat = HeatmapBuilder.Build([Second(0, 1, 1, (2, 0))], HeatmapMetric.Bid);
        Assert.Equal(2, flat.Min);
        Assert.Equal(2, flat.Max);
    }

    [Fact]
    public void Seconds_with_another_bucket_size_become_NaN_rows_on_the_latest_grid()
    {
        var seconds = new List<CobSecond>
        {
            Second(0, 5, 100, (1, 0), (1, 0), (1, 0), (1, 0)), // old configuration: $5 buckets
            Second(1, 10, 100, (2, 0), (3, 0)),
            Second(2, 10, 110, (4, 0), (5, 0)),
            Gap(3),
        };
        var map = HeatmapBuilder.Build(seconds, HeatmapMetric.Bid);
        Assert.Equal(Fp(10), map.BucketSize);
        Assert.Equal(new[] { 100m, 110, 120 }.Select(Fp).ToArray(), map.PriceBuckets);
        Assert.All(Enumerable.Range(0, 3), c => Assert.True(double.IsNaN(At(map, 0, c))));
        Assert.Equal(2, At(map, 1, 0));
        Assert.Equal(5, At(map, 2, 2));
        Assert.All(Enumerable.Range(0, 3), c => Assert.True(double.IsNaN(At(map, 3, c))));
        Assert.Equal(2, map.Min);
        Assert.Equal(5, map.Max);
    }

    [Fact]
    public void Only_gaps_or_nothing_give_an_empty_matrix_with_the_rows()
    {
        var map = HeatmapBuilder.Build([Gap(0), Gap(1)], HeatmapMetric.Total);
        Assert.Equal(2, map.Times.Length);
        Assert.Empty(map.PriceBuckets);
        Assert.Empty(map.Values);
        Assert.Equal(0, map.BucketSize);
        var none = HeatmapBuilder.Build([], HeatmapMetric.Imbalance);
        Assert.Empty(none.Times);
        Assert.Equal(-1, none.Min);
        Assert.Equal(1, none.Max);
    }

    [Fact]
    public void A_sub_window_of_a_longer_history_is_built_without_copying()
    {
        var history = Walk(400, 90);
        var map = HeatmapBuilder.Build(history, 100, 300, HeatmapMetric.Total);
        Assert.Equal(300, map.Times.Length);
        Assert.Equal(history[100].Time, map.Times[0]);
        Assert.Equal(history[399].Time, map.Times[^1]);
        var copy = HeatmapBuilder.Build(history.GetRange(100, 300), HeatmapMetric.Total);
        Assert.Equal(copy.PriceBuckets, map.PriceBuckets);
        Assert.Equal(copy.Values, map.Values);
    }

    [Fact]
    public void Every_cell_matches_its_source_bucket_on_a_random_walk()
    {
        var history = Walk(300, 90);
        var map = HeatmapBuilder.Build(history, HeatmapMetric.Total);
        var cols = map.PriceBuckets.Length;
        for (var r = 0; r < history.Count; r++)
        {
            var s = history[r];
            var byPrice = s.Buckets.ToDictionary(b => b.PriceFrom, b => b.Total / 1e8);
            for (var c = 0; c < cols; c++)
            {
                var v = map.Values[r * cols + c];
                if (byPrice.TryGetValue(map.PriceBuckets[c], out var expected)) Assert.Equal(expected, v);
                else Assert.True(double.IsNaN(v));
            }
        }
        var finite = map.Values.Where(double.IsFinite).ToArray();
        Assert.Equal(finite.Min(), map.Min);
        Assert.Equal(finite.Max(), map.Max);
    }
}
