using MarketData.Candles;
using MarketData.Domain.Features;
using MarketData.Inputs;
using MarketData.Tests.Domain.Inputs;

namespace MarketData.Tests.Domain.Features;

public class FeatureLayoutTests
{
    /// <summary>
    /// Golden values of the default layout. If this test fails, the layout changed: models trained on the old one would
    /// read the wrong numbers. Raise <see cref="FeatureLayouts.SchemaVersion"/>, update docs/feature-layout.md, then these.
    /// </summary>
    [Fact]
    public void Default_layout_is_pinned()
    {
        var layout = FeatureLayouts.Create(new InputRequirements(), FeatureLayouts.DefaultBucketSlots);

        Assert.Equal("1:f300.300.300.300:r300:b11", layout.Version);
        Assert.Equal(7_653, layout.Length);
        Assert.Equal(7_653, layout.Features.Count);

        var blocks = layout.Blocks.Select(b => (b.Name, b.Offset, b.Length)).ToArray();
        Assert.Equal(
        [
            ("candles.1s", 0, 1_500), ("candles.1m", 1_500, 1_500), ("candles.1h", 3_000, 1_500), ("candles.1d", 4_500, 1_500),
            ("reference.1s", 6_000, 1_500), ("presence", 7_500, 5),
            ("indicators.1s", 7_505, 14), ("indicators.1m", 7_519, 14), ("indicators.1h", 7_533, 14), ("indicators.1d", 7_547, 14),
            ("book", 7_561, 15), ("buckets", 7_576, 44), ("pivots", 7_620, 25), ("quality", 7_645, 4), ("time", 7_649, 4),
        ], blocks);

        Assert.Equal(0, layout.Offset("candles.1s[-300].open"));
        Assert.Equal(1_499, layout.Offset("candles.1s[-1].volume"));
        Assert.Equal(2_998, layout.Offset("candles.1m[-1].close"));
        Assert.Equal(6_002, layout.Offset("reference.1s[-300].low"));
        Assert.Equal(7_502, layout.Offset("presence.candles.1h"));
        Assert.Equal(7_525, layout.Offset("indicators.1m.rsi"));
        Assert.Equal(7_566, layout.Offset("book.imbalance.s60"));
        Assert.Equal(7_576, layout.Offset("buckets[-5].bid"));
        Assert.Equal(7_596, layout.Offset("buckets[0].bid"));
        Assert.Equal(7_605, layout.Offset("buckets[+2].ask"));
        Assert.Equal(7_628, layout.Offset("pivots.l3.high"));
        Assert.Equal(7_640, layout.Offset("pivots.support.distance"));
        Assert.Equal(7_645, layout.Offset("quality.score"));
        Assert.Equal(7_652, layout.Offset("time.week.cos"));
    }

    [Theory]
    [InlineData(300, 300, 300, 300, 300, 11)]
    [InlineData(60, 60, 48, 30, 60, 10)]
    [InlineData(0, 1, 0, 2, 0, 1)]
    public void Names_are_unique_offsets_contiguous_and_blocks_cover_the_vector(int f1s, int f1m, int f1h, int f1d, int reference, int slots)
    {
        var layout = FeatureLayouts.Create(new FeatureShape(f1s, f1m, f1h, f1d, reference, slots));

        Assert.Equal(layout.Length, layout.Features.Count);
        for (var i = 0; i < layout.Features.Count; i++) Assert.Equal(i, layout.Features[i].Offset);
        Assert.Equal(layout.Features.Count, layout.Features.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(layout.Features, f => Assert.False(string.IsNullOrWhiteSpace(f.Name)));

        var next = 0;
        foreach (var block in layout.Blocks)
        {
            Assert.Equal(next, block.Offset);
            Assert.False(string.IsNullOrWhiteSpace(block.Description));
            // Every feature of a block carries the block's name (or, for presence, its own prefix).
            for (var i = block.Offset; i < block.Offset + block.Length; i++)
                Assert.StartsWith(block.Name == "presence" ? "presence." : block.Name, layout.Features[i].Name, StringComparison.Ordinal);
            next += block.Length;
        }
        Assert.Equal(layout.Length, next);
        Assert.Equal((f1s + f1m + f1h + f1d + reference) * 5 + 5 + 4 * 14 + 15 + 4 * slots + 5 * 4 + 5 + 4 + 4, layout.Length);
    }

    [Fact]
    public void Candle_slots_count_back_from_the_newest()
    {
        var layout = FeatureLayouts.Create(SampleInputs.SmallRequirements, 11);
        var block = layout.Block("candles.1h");

        Assert.Equal("candles.1h[-48].open", layout.Features[block.Offset].Name);
        Assert.Equal("candles.1h[-1].volume", layout.Features[block.Offset + block.Length - 1].Name);
        Assert.Equal("candles.1h[-1].open", layout.Features[block.Offset + block.Length - 5].Name);
    }

    [Fact]
    public void Bucket_slots_are_named_around_the_centre()
    {
        var odd = FeatureLayouts.Create(SampleInputs.SmallRequirements, 5).Block("buckets");
        var even = FeatureLayouts.Create(SampleInputs.SmallRequirements, 4);

        var layout = FeatureLayouts.Create(SampleInputs.SmallRequirements, 5);
        Assert.Equal(["buckets[-2].bid", "buckets[-2].ask", "buckets[-2].imbalance", "buckets[-2].imbalance.avg"],
            layout.Features.Skip(odd.Offset).Take(4).Select(f => f.Name));
        Assert.Equal(odd.Offset + 2 * 4, layout.Offset("buckets[0].bid"));
        Assert.Equal("buckets[+2].imbalance.avg", layout.Features[odd.Offset + odd.Length - 1].Name);

        // An even count puts the centre at slots / 2: one more slot below than above.
        var evenBlock = even.Block("buckets");
        Assert.Equal("buckets[-2].bid", even.Features[evenBlock.Offset].Name);
        Assert.Equal("buckets[+1].imbalance.avg", even.Features[evenBlock.Offset + evenBlock.Length - 1].Name);
    }

    [Fact]
    public void Same_shape_gives_the_same_layout()
    {
        var a = FeatureLayouts.Create(new InputRequirements(), 11);
        // Equal numbers in a different record instance, with settings that do not move offsets changed.
        var b = FeatureLayouts.Create(new InputRequirements { ReferenceSymbol = "ETHUSDT", PivotTimeframe = Timeframe.OneHour, HeatmapSeconds = 5 }, 11);
        var c = FeatureLayouts.FromVersion("1:f300.300.300.300:r300:b11");

        Assert.Same(a, b);
        Assert.Same(a, c);
        Assert.Equal(a.Features, b.Features);
    }

    [Fact]
    public void Different_shapes_give_different_versions()
    {
        var baseline = new FeatureShape(300, 300, 300, 300, 300, 11);
        FeatureShape[] variants =
        [
            baseline, new(301, 300, 300, 300, 300, 11), new(300, 299, 300, 300, 300, 11), new(300, 300, 30, 300, 300, 11),
            new(300, 300, 300, 3, 300, 11), new(300, 300, 300, 300, 0, 11), new(300, 300, 300, 300, 300, 12),
            new(300, 300, 300, 300, 11, 300),
        ];

        var versions = variants.Select(v => FeatureLayouts.Create(v).Version).ToArray();

        Assert.Equal(versions.Length, versions.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEqual(FeatureLayouts.Create(variants[0]).Length, FeatureLayouts.Create(variants[1]).Length);
    }

    [Theory]
    [InlineData("1:f300.300.300.300:r300:b11", true)]
    [InlineData("1:f0.0.0.0:r0:b1", true)]
    [InlineData("2:f300.300.300.300:r300:b11", false)]
    [InlineData("1:f300.300.300:r300:b11", false)]
    [InlineData("1:f300.300.300.300:r300:b0", false)]
    [InlineData("1:f300.300.300.300:r300:b11 ", false)]
    [InlineData("1:f0300.300.300.300:r300:b11", false)]
    [InlineData("1:f-1.300.300.300:r300:b11", false)]
    [InlineData("1:f999999.300.300.300:r300:b11", false)]
    [InlineData("", false)]
    public void Versions_parse_back_to_their_shape(string version, bool valid)
    {
        Assert.Equal(valid, FeatureShape.TryParse(version, out var shape));
        if (valid) Assert.Equal(version, shape.Version);
        Assert.Equal(valid, FeatureLayouts.FromVersion(version) is not null);
    }

    [Fact]
    public void Out_of_range_shapes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureLayouts.Create(new InputRequirements(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureLayouts.Create(new InputRequirements(), FeatureShape.MaxBucketSlots + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureLayouts.Create(new InputRequirements { Frames1h = -1 }, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureLayouts.Create(new InputRequirements { Frames1d = FeatureShape.MaxFrames + 1 }, 11));
        Assert.Throws<ArgumentException>(() => FeatureLayouts.Create(default(FeatureShape)));
    }
}
