using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.Domain.Features;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.Pivots;
using MarketData.Tests.Domain.Inputs;

namespace MarketData.Tests.Domain.Features;

/// <summary>Features recomputed here from the snapshot, by the documented rules, and compared with the builder's.</summary>
public class FeatureVectorValueTests
{
    private static readonly FeatureLayout Layout = FeatureLayouts.Create(SampleInputs.SmallRequirements, 11);

    private static BaseDataInput Input() => SampleInputs.Healthy() with
    {
        Indicators = FeatureTestInputs.AllIndicators(),
        Quality = FeatureTestInputs.Scored(SampleInputs.Now),
    };

    private static float[] Build(BaseDataInput input) => new FeatureVectorBuilder().Build(input, Layout);

    /// <summary>(p - min) / (max - min) with the sample's pivot bounds, 2,990 to 3,010.</summary>
    private static double Norm(BaseDataInput input, long price)
    {
        var bounds = input.Pivots.Bounds!;
        return (double)(price - bounds.PriceMin) / (bounds.PriceMax - bounds.PriceMin);
    }

    private static void Near(double expected, float actual) => Assert.Equal(expected, actual, 1e-5);

    [Fact]
    public void Candles_are_normalised_with_the_pivot_bounds_newest_last()
    {
        var input = Input();
        var vector = Build(input);

        var candles = input.Candles1m.Candles;
        Near(Norm(input, candles[^1].Close), vector.Value(Layout, "candles.1m[-1].close"));
        Near(Norm(input, candles[^1].High), vector.Value(Layout, "candles.1m[-1].high"));
        Near(Norm(input, candles[0].Open), vector.Value(Layout, "candles.1m[-60].open"));
        Near(Norm(input, candles[^10].Low), vector.Value(Layout, "candles.1m[-10].low"));
        Near(Norm(input, input.Candles1d.Candles[^1].Close), vector.Value(Layout, "candles.1d[-1].close"));

        // Volume: over the largest volume of the same series.
        var hours = input.Candles1h.Candles;
        var largest = hours.Max(c => c.Volume);
        Near((double)hours[^5].Volume / largest, vector.Value(Layout, "candles.1h[-5].volume"));
        var volumes = Enumerable.Range(1, 48).Select(back => vector.Value(Layout, $"candles.1h[-{back}].volume")).ToArray();
        Assert.All(volumes, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(1f, volumes);

        Assert.All(["1s", "1m", "1h", "1d", "reference.1s"], name =>
            Assert.Equal(1f, vector.Value(Layout, name == "reference.1s" ? "presence.reference.1s" : "presence.candles." + name)));
    }

    [Fact]
    public void Missing_older_frames_are_zero_and_presence_is_the_fraction_present()
    {
        var healthy = Input();
        var kept = healthy.Candles1h.Candles.Skip(36).ToArray(); // the newest 12 of 48
        var input = healthy with { Candles1h = healthy.Candles1h with { Candles = kept } };

        var vector = Build(input);

        var block = Layout.Block("candles.1h");
        for (var i = block.Offset; i < block.Offset + (48 - 12) * 5; i++) Assert.Equal(0f, vector[i]);
        Near(Norm(input, kept[0].Open), vector.Value(Layout, "candles.1h[-12].open"));
        Near(Norm(input, kept[^1].Close), vector.Value(Layout, "candles.1h[-1].close"));
        Near(12.0 / 48, vector.Value(Layout, "presence.candles.1h"));
    }

    [Fact]
    public void More_candles_than_frames_keep_the_newest()
    {
        var healthy = Input();
        var longer = SampleInputs.Frames("ETHUSDT", Timeframe.OneMinute, 75, SampleInputs.Now, 3_000m);
        var vector = Build(healthy with { Candles1m = longer });

        Near(Norm(healthy, longer.Candles[15].Open), vector.Value(Layout, "candles.1m[-60].open"));
        Near(Norm(healthy, longer.Candles[^1].Close), vector.Value(Layout, "candles.1m[-1].close"));
        Assert.Equal(1f, vector.Value(Layout, "presence.candles.1m"));
    }

    [Fact]
    public void Without_usable_bounds_prices_fall_back_to_the_1m_window_then_another_series()
    {
        var healthy = Input();
        var minutes = healthy.Candles1m.Candles;
        double low = minutes.Min(c => c.Low), high = minutes.Max(c => c.High);
        var close = healthy.Candles1s.Candles[^1].Close;

        foreach (var bounds in new PivotBounds?[] { null, healthy.Pivots.Bounds! with { PriceMax = healthy.Pivots.Bounds!.PriceMin } })
        {
            var vector = Build(healthy with { Pivots = healthy.Pivots with { Bounds = bounds } });
            Near((close - low) / (high - low), vector.Value(Layout, "candles.1s[-1].close"));
            Assert.Equal(0f, vector.Value(Layout, "pivots.bounds.present"));
            Assert.Equal(0f, vector.Value(Layout, "pivots.support.present"));
        }

        // No bounds and no 1m candles: the 1s window gives the range.
        var seconds = healthy.Candles1s.Candles;
        double low1s = seconds.Min(c => c.Low), high1s = seconds.Max(c => c.High);
        var withoutMinutes = healthy with { Pivots = healthy.Pivots with { Bounds = null }, Candles1m = healthy.Candles1m with { Candles = [] } };
        Near((close - low1s) / (high1s - low1s), Build(withoutMinutes).Value(Layout, "candles.1s[-1].close"));
    }

    [Fact]
    public void Reference_candles_use_their_own_range()
    {
        var input = Input();
        var vector = Build(input);

        var reference = input.Reference1s.Candles;
        double low = reference.Min(c => c.Low), high = reference.Max(c => c.High);
        Near((reference[^1].Close - low) / (high - low), vector.Value(Layout, "reference.1s[-1].close"));
        Near((reference[0].High - low) / (high - low), vector.Value(Layout, "reference.1s[-60].high"));
        Near((double)reference[^3].Volume / reference.Max(c => c.Volume), vector.Value(Layout, "reference.1s[-3].volume"));
    }

    [Fact]
    public void Indicators_are_normalised_per_timeframe()
    {
        var input = Input();
        var vector = Build(input);
        var m = input.Indicators.Single(s => s.Timeframe == Timeframe.OneMinute);
        var bounds = input.Pivots.Bounds!;
        double min = bounds.PriceMin / 1e8, range = (bounds.PriceMax - bounds.PriceMin) / 1e8;

        Near((m.EmaFast!.Value - min) / range, vector.Value(Layout, "indicators.1m.ema.fast"));
        Near((m.BollingerUpper!.Value - min) / range, vector.Value(Layout, "indicators.1m.bb.upper"));
        Near((m.Vwap!.Value - min) / range, vector.Value(Layout, "indicators.1m.vwap"));
        Near(m.Rsi!.Value / 100, vector.Value(Layout, "indicators.1m.rsi"));
        Near(m.MacdHistogram!.Value / range, vector.Value(Layout, "indicators.1m.macd.histogram"));
        Near(m.Atr!.Value / range, vector.Value(Layout, "indicators.1m.atr"));
        Near(m.BollingerPercentB!.Value, vector.Value(Layout, "indicators.1m.bb.percent-b"));
        Near(m.BollingerBandwidth!.Value, vector.Value(Layout, "indicators.1m.bb.bandwidth"));
        Assert.Equal(1f, vector.Value(Layout, "indicators.1m.present"));
        var d = input.Indicators.Single(s => s.Timeframe == Timeframe.OneDay);
        Near((d.EmaSlow!.Value - min) / range, vector.Value(Layout, "indicators.1d.ema.slow"));

        // A timeframe without a set is all zero, its presence included; null fields are 0 with presence 1.
        var partial = Build(input with { Indicators = [m with { Rsi = null, EmaFast = null }] });
        var hour = Layout.Block("indicators.1h");
        Assert.All(partial.Skip(hour.Offset).Take(hour.Length), v => Assert.Equal(0f, v));
        Assert.Equal(0f, partial.Value(Layout, "indicators.1m.rsi"));
        Assert.Equal(0f, partial.Value(Layout, "indicators.1m.ema.fast"));
        Assert.Equal(1f, partial.Value(Layout, "indicators.1m.present"));
    }

    [Fact]
    public void Book_features_come_from_the_aggregate_and_microstructure()
    {
        var input = Input();
        var vector = Build(input);
        var aggregate = input.Book.Aggregate!;
        var micro = input.Microstructure!;

        Assert.Equal(1f, vector.Value(Layout, "book.synced"));
        Near(aggregate.Imbalance, vector.Value(Layout, "book.imbalance"));
        Near(aggregate.Averages.S60!.Value, vector.Value(Layout, "book.imbalance.s60"));
        Near(micro.SpreadBps / 100, vector.Value(Layout, "book.spread-bps"));
        Near((double)aggregate.BidDepth / (aggregate.BidDepth + aggregate.AskDepth), vector.Value(Layout, "book.depth.bid-share"));
        Near((double)aggregate.AskDepth / (aggregate.BidDepth + aggregate.AskDepth), vector.Value(Layout, "book.depth.ask-share"));
        Near(0.5 / 0.75, vector.Value(Layout, "book.flow.1s.buy-share"));
        Near(0.25 / 0.75, vector.Value(Layout, "book.flow.1s.sell-share"));
        // The sample's microstructure has no minute flow: the book's 60-second sum stands in (12 bought of 22).
        Near(12.0 / 22, vector.Value(Layout, "book.flow.1m.buy-share"));
        Near(Norm(input, input.Book.RecentFlow.Vwap), vector.Value(Layout, "book.flow.1m.vwap"));
        Near(Norm(input, aggregate.Mid), vector.Value(Layout, "book.mid"));
        Assert.Equal(1f, vector.Value(Layout, "book.aggregate.present"));

        // Without microstructure the aggregate alone gives the same numbers.
        var fromAggregate = Build(input with { Microstructure = null });
        Near(aggregate.Imbalance, fromAggregate.Value(Layout, "book.imbalance"));
        Near((double)aggregate.Spread / aggregate.Mid * 100, fromAggregate.Value(Layout, "book.spread-bps"));
        Near(Norm(input, aggregate.Mid), fromAggregate.Value(Layout, "book.mid"));
    }

    [Fact]
    public void Buckets_are_centred_on_the_mid_bucket()
    {
        var input = Input();
        var vector = Build(input);
        AssertBuckets(input.Book.Aggregate!, vector, Layout);

        // By hand: the mid (3,000.005) lies in bucket 5 (from 3,000), which holds 6 bid and 7 ask, the largest total (13).
        var centre = input.Book.Aggregate!.Buckets[5];
        Near(6.0 / 13, vector.Value(Layout, "buckets[0].bid"));
        Near(7.0 / 13, vector.Value(Layout, "buckets[0].ask"));
        Near(centre.Imbalance, vector.Value(Layout, "buckets[0].imbalance"));
        Near(5.0 / 13, vector.Value(Layout, "buckets[+2].ask"));
    }

    [Fact]
    public void Buckets_outside_the_aggregate_range_are_zero()
    {
        var healthy = Input();
        var aggregate = healthy.Book.Aggregate! with { Mid = FixedPoint.FromDecimal(2_995.5m) }; // mid in the lowest bucket
        var input = healthy with { Book = healthy.Book with { Aggregate = aggregate }, Microstructure = null };

        var vector = Build(input);

        for (var slot = -5; slot < 0; slot++)
            foreach (var field in new[] { "bid", "ask", "imbalance", "imbalance.avg" })
                Assert.Equal(0f, vector.Value(Layout, $"buckets[{slot}].{field}"));
        AssertBuckets(aggregate, vector, Layout);
        Near(1.0 / 13, vector.Value(Layout, "buckets[0].bid")); // bucket 0: 1 bid; the largest total shown is still bucket 5's 13
        Near(6.0 / 13, vector.Value(Layout, "buckets[+5].bid"));
    }

    /// <summary>Every bucket feature recomputed from the aggregate: slot s shows bucket (mid bucket + s - centre).</summary>
    private static void AssertBuckets(CobSecond aggregate, float[] vector, FeatureLayout layout)
    {
        const int slots = 11, centre = 5;
        var midBucket = (int)decimal.Floor((FixedPoint.ToDecimal(aggregate.Mid) - FixedPoint.ToDecimal(aggregate.RangeLow)) / FixedPoint.ToDecimal(aggregate.BucketSize));
        var shown = Enumerable.Range(0, slots).Select(s => midBucket + s - centre).Where(i => i >= 0 && i < aggregate.Buckets.Length).ToArray();
        double largest = shown.Max(i => aggregate.Buckets[i].Total);
        for (var s = 0; s < slots; s++)
        {
            var index = midBucket + s - centre;
            var name = $"buckets[{(s - centre > 0 ? "+" : "")}{s - centre}]";
            if (index < 0 || index >= aggregate.Buckets.Length) continue;
            var bucket = aggregate.Buckets[index];
            Near(bucket.BidVolume / largest, vector.Value(layout, name + ".bid"));
            Near(bucket.AskVolume / largest, vector.Value(layout, name + ".ask"));
            Near(bucket.Imbalance, vector.Value(layout, name + ".imbalance"));
            Near(aggregate.BucketAverages[index].S60!.Value, vector.Value(layout, name + ".imbalance.avg"));
        }
    }

    [Fact]
    public void Bucket_average_falls_back_to_shorter_spans()
    {
        var healthy = Input();
        var averages = healthy.Book.Aggregate!.BucketAverages.ToArray();
        averages[5] = new ImbalanceAverages(0.1, 0.2, null, null);
        averages[6] = new ImbalanceAverages(0.1, null, null, null);
        averages[7] = new ImbalanceAverages(null, null, null, null);
        var input = healthy with { Book = healthy.Book with { Aggregate = healthy.Book.Aggregate with { BucketAverages = averages } } };

        var vector = Build(input);

        Near(0.2, vector.Value(Layout, "buckets[0].imbalance.avg"));
        Near(0.1, vector.Value(Layout, "buckets[+1].imbalance.avg"));
        Assert.Equal(0f, vector.Value(Layout, "buckets[+2].imbalance.avg"));
    }

    [Fact]
    public void Pivots_give_the_last_swings_trend_and_distances()
    {
        var input = Input();
        var vector = Build(input);
        var set = input.Pivots;

        for (var level = 1; level <= 5; level++)
        {
            var points = set.Levels[level - 1];
            Near(Norm(input, points.Last(p => p.Kind == SwingKind.High).Price), vector.Value(Layout, $"pivots.l{level}.high"));
            Near(Norm(input, points.Last(p => p.Kind == SwingKind.Low).Price), vector.Value(Layout, $"pivots.l{level}.low"));
            Assert.Equal(1f, vector.Value(Layout, $"pivots.l{level}.present"));
        }
        Near(0.85, vector.Value(Layout, "pivots.l3.high")); // 3,007 in 2,990..3,010
        Assert.Equal(1f, vector.Value(Layout, "pivots.l1.trend"));
        Assert.Equal(0f, vector.Value(Layout, "pivots.l3.trend"));
        Assert.Equal(-1f, vector.Value(Layout, "pivots.l4.trend"));

        var bounds = set.Bounds!;
        var mid = input.Microstructure!.Mid;
        Near((double)bounds.DistanceToSupport(mid)!.Value / (bounds.PriceMax - bounds.PriceMin), vector.Value(Layout, "pivots.support.distance"));
        Near((3_006 - 3_000.005) / 20, vector.Value(Layout, "pivots.resistance.distance"));
        Assert.Equal(1f, vector.Value(Layout, "pivots.support.present"));
        Assert.Equal(1f, vector.Value(Layout, "pivots.resistance.present"));
        Assert.Equal(1f, vector.Value(Layout, "pivots.bounds.present"));

        // Two levels only, no mid: levels 3..5 absent, distances from the last 1s close.
        var close = input.Candles1s.Candles[^1].Close;
        var fewer = input with
        {
            Pivots = set with { Levels = set.Levels.Take(2).ToArray() },
            Microstructure = null,
            Book = input.Book with { Aggregate = null },
        };
        var sparse = Build(fewer);
        Assert.Equal(0f, sparse.Value(Layout, "pivots.l3.present"));
        Assert.Equal(0f, sparse.Value(Layout, "pivots.l3.high"));
        Assert.Equal(1f, sparse.Value(Layout, "pivots.l2.present"));
        Near((double)bounds.DistanceToSupport(close)!.Value / (bounds.PriceMax - bounds.PriceMin), sparse.Value(Layout, "pivots.support.distance"));
    }

    [Fact]
    public void Quality_and_time_features()
    {
        var input = Input();
        var vector = Build(input);

        Near(0.93, vector.Value(Layout, "quality.score"));
        Near(0.97, vector.Value(Layout, "quality.completeness"));
        Near(0.91, vector.Value(Layout, "quality.freshness"));
        Near(0.89, vector.Value(Layout, "quality.consistency"));

        // 2024-03-01T12:00Z: half the day gone; a Friday, so 4.5 days into a week that starts on Monday.
        var time = DateTimeOffset.FromUnixTimeMilliseconds(input.Timestamp);
        Assert.Equal(DayOfWeek.Friday, time.DayOfWeek);
        var dayAngle = 2 * Math.PI * time.TimeOfDay.TotalDays;
        var weekAngle = 2 * Math.PI * (((int)time.DayOfWeek + 6) % 7 + time.TimeOfDay.TotalDays) / 7;
        Near(Math.Sin(dayAngle), vector.Value(Layout, "time.day.sin"));
        Near(-1, vector.Value(Layout, "time.day.cos"));
        Near(Math.Sin(weekAngle), vector.Value(Layout, "time.week.sin"));
        Near(Math.Cos(weekAngle), vector.Value(Layout, "time.week.cos"));
    }

    [Fact]
    public void Span_and_array_builds_agree_and_repeat_exactly()
    {
        var input = Input();
        var builder = new FeatureVectorBuilder();
        var array = builder.Build(input, Layout);
        var span = new float[Layout.Length];
        Array.Fill(span, float.NaN); // whatever was in the destination is overwritten
        builder.Build(input, Layout, span);

        Assert.Equal(array, span);
        Assert.Equal(array, builder.Build(input, Layout));
        Assert.Equal(0, builder.NonFiniteReplaced);
    }

    [Fact]
    public void A_layout_that_travelled_through_a_serializer_is_accepted()
    {
        var copy = Layout with { Features = Layout.Features.ToList(), Blocks = Layout.Blocks.ToList() };
        Assert.NotSame(Layout, copy);

        Assert.Equal(Build(Input()), new FeatureVectorBuilder().Build(Input(), copy));
    }
}
