using System.Collections.ObjectModel;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Domain.Features;
using MarketData.Inputs;
using MarketData.Pivots;
using MarketData.Tests.Domain.Inputs;

namespace MarketData.Tests.Domain.Features;

/// <summary>No NaN or infinity, whatever the snapshot looks like; layouts that do not fit are refused.</summary>
public class FeatureVectorRobustnessTests
{
    private static readonly FeatureLayout Layout = FeatureLayouts.Create(SampleInputs.SmallRequirements, 11);

    private static void AssertFinite(float[] vector)
    {
        for (var i = 0; i < vector.Length; i++)
            Assert.True(float.IsFinite(vector[i]), $"feature {i} ({Layout.Features[i].Name}) is {vector[i]}");
    }

    private static CandleFrames Empty(CandleFrames frames) => frames with { Candles = [] };

    private static CandleFrames Flat(CandleFrames frames, long price, long volume) => frames with
    {
        Candles = frames.Candles.Select(c => c with { Open = price, High = price, Low = price, Close = price, Volume = volume }).ToArray(),
    };

    /// <summary>Degradations made of missing or degenerate data: the guards alone must keep them finite (nothing for the last pass to fix).</summary>
    public static TheoryData<string> Degradations() =>
    [
        "empty-series", "null-bounds", "zero-price-range", "zero-volumes", "gap-aggregate", "no-aggregate", "empty-aggregate",
        "null-indicator-fields", "huge-prices", "no-pivots", "nan-heatmap", "everything-missing",
    ];

    private static BaseDataInput Degrade(string how)
    {
        var input = SampleInputs.Healthy() with { Indicators = FeatureTestInputs.AllIndicators() };
        var flatPrice = 3_000L * 100_000_000;
        return how switch
        {
            "empty-series" => input with
            {
                Candles1s = Empty(input.Candles1s), Candles1m = Empty(input.Candles1m), Candles1h = Empty(input.Candles1h),
                Candles1d = Empty(input.Candles1d), Reference1s = Empty(input.Reference1s),
            },
            "null-bounds" => input with { Pivots = input.Pivots with { Bounds = null } },
            "zero-price-range" => input with
            {
                Pivots = input.Pivots with { Bounds = input.Pivots.Bounds! with { PriceMin = flatPrice, PriceMax = flatPrice, Support = [], Resistance = [] } },
                Candles1s = Flat(input.Candles1s, flatPrice, 100), Candles1m = Flat(input.Candles1m, flatPrice, 100),
                Candles1h = Flat(input.Candles1h, flatPrice, 100), Candles1d = Flat(input.Candles1d, flatPrice, 100),
                Reference1s = Flat(input.Reference1s, flatPrice, 100),
            },
            "zero-volumes" => input with
            {
                Candles1s = input.Candles1s with { Candles = input.Candles1s.Candles.Select(c => c with { Volume = 0 }).ToArray() },
                Reference1s = input.Reference1s with { Candles = input.Reference1s.Candles.Select(c => c with { Volume = 0 }).ToArray() },
                Book = input.Book with
                {
                    Aggregate = input.Book.Aggregate! with
                    {
                        Buckets = input.Book.Aggregate.Buckets.Select(b => b with { BidVolume = 0, AskVolume = 0 }).ToArray(),
                        BidDepth = 0, AskDepth = 0, Flow = default,
                    },
                    RecentFlow = default,
                },
                Microstructure = input.Microstructure! with { BidDepth = 0, AskDepth = 0, LastSecond = default, LastMinute = default },
            },
            "gap-aggregate" => input with
            {
                Book = input.Book with { Status = BookStatus.Resyncing, Aggregate = new CobSecond { Time = SampleInputs.Now - 1_000, IsGap = true, GapReason = "resyncing" } },
                Microstructure = null,
            },
            "no-aggregate" => input with { Book = input.Book with { Aggregate = null, RecentFlow = default }, Microstructure = null },
            "empty-aggregate" => input with
            {
                Book = input.Book with { Aggregate = new CobSecond { Time = SampleInputs.Now - 1_000, Mid = 0, BucketSize = 0 } },
                Microstructure = new Microstructure(),
            },
            "null-indicator-fields" => input with
            {
                Indicators = [new IndicatorSet { Timeframe = Timeframe.OneSecond }, new IndicatorSet { Timeframe = Timeframe.OneMinute, Candles = 3, Rsi = 50 }],
            },
            "huge-prices" => input with
            {
                Candles1m = Flat(input.Candles1m, long.MaxValue / 2, long.MaxValue / 3),
                Reference1s = input.Reference1s with { Candles = input.Reference1s.Candles.Select((c, i) => c with { High = long.MaxValue - i, Low = 1 }).ToArray() },
                Pivots = input.Pivots with { Bounds = input.Pivots.Bounds! with { PriceMin = 0, PriceMax = 1 } },
                Microstructure = input.Microstructure! with { Mid = long.MaxValue, BidDepth = long.MaxValue, AskDepth = long.MaxValue },
                Book = input.Book with { Aggregate = input.Book.Aggregate! with { Mid = long.MaxValue, RangeLow = long.MinValue + 1 } },
            },
            "no-pivots" => input with { Pivots = new PivotSet { Timeframe = Timeframe.OneMinute, Levels = [], Trends = [] } },
            "nan-heatmap" => input with
            {
                Book = input.Book with
                {
                    Heatmap = new MarketData.Aggregation.Heatmap
                    {
                        Metric = HeatmapMetric.Total, Times = [1, 2], PriceBuckets = [1, 2], BucketSize = 1,
                        Values = [double.NaN, 1, double.PositiveInfinity, double.NaN], Min = double.NaN, Max = double.NaN,
                    },
                },
            },
            "everything-missing" => new BaseDataInput
            {
                Exchange = "binance",
                Symbol = "XYZUSDT",
                Timestamp = 0,
                Requirements = SampleInputs.SmallRequirements,
                Candles1s = Empty(input.Candles1s), Candles1m = Empty(input.Candles1m), Candles1h = Empty(input.Candles1h),
                Candles1d = Empty(input.Candles1d), Reference1s = Empty(input.Reference1s),
                Book = new BookInputView { Status = BookStatus.Syncing },
                Pivots = new PivotSet { Timeframe = Timeframe.OneMinute, Levels = [], Trends = [] },
                Indicators = [],
                ModelOutputs = [],
                Quality = SampleInputs.Unscored(0),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        };
    }

    [Theory]
    [MemberData(nameof(Degradations))]
    public void Degraded_inputs_stay_finite_without_the_last_pass(string how)
    {
        var builder = new FeatureVectorBuilder();

        var vector = builder.Build(Degrade(how), Layout);

        AssertFinite(vector);
        Assert.Equal(0, builder.NonFiniteReplaced);
    }

    [Fact]
    public void Missing_data_reads_as_zero_with_presence_flags_down()
    {
        var vector = new FeatureVectorBuilder().Build(Degrade("everything-missing"), Layout);

        foreach (var name in new[] { "presence.candles.1s", "presence.reference.1s", "indicators.1m.present", "book.synced", "book.aggregate.present",
                     "pivots.l1.present", "pivots.bounds.present", "candles.1m[-1].close", "buckets[0].bid", "book.mid" })
            Assert.Equal(0f, vector.Value(Layout, name));
        Assert.Equal(1f, vector.Value(Layout, "time.day.cos")); // midnight of the epoch: time still counts
    }

    [Fact]
    public void NaN_and_infinity_inside_the_snapshot_are_replaced_and_counted()
    {
        var healthy = SampleInputs.Healthy();
        var input = healthy with
        {
            Microstructure = healthy.Microstructure! with { Imbalance = double.NaN, SpreadBps = double.PositiveInfinity },
            Indicators = [new IndicatorSet { Timeframe = Timeframe.OneMinute, Candles = 10, Rsi = double.NaN, EmaFast = 1e300, Atr = double.NegativeInfinity, BollingerPercentB = 1e39 }],
            Quality = healthy.Quality with { Score = double.NaN },
        };
        var builder = new FeatureVectorBuilder();

        var vector = builder.Build(input, Layout);

        AssertFinite(vector);
        Assert.Equal(7, builder.NonFiniteReplaced); // imbalance, spread, rsi, ema fast, atr, %B, score
        Assert.Equal(0f, vector.Value(Layout, "book.imbalance"));
        Assert.Equal(0f, vector.Value(Layout, "indicators.1m.ema.fast"));
        Assert.Equal(1f, vector.Value(Layout, "indicators.1m.present"));
    }

    [Fact]
    public void The_last_pass_finds_every_non_finite_lane()
    {
        var values = new float[1_003];
        int[] bad = [0, 7, 8, 15, 16, 500, 1_000, 1_002];
        foreach (var i in bad) values[i] = i % 2 == 0 ? float.NaN : float.NegativeInfinity;
        values[3] = float.MaxValue;
        values[4] = float.Epsilon;

        Assert.Equal(bad.Length, FeatureVectorBuilder.ReplaceNonFinite(values));
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(float.MaxValue, values[3]);
        Assert.Equal(float.Epsilon, values[4]);
    }

    /// <summary>1,000 random snapshots (fixed seed): random counts, prices from 0 to huge, odd aggregates, random nulls and NaNs.</summary>
    [Fact]
    public void Fuzzed_inputs_never_produce_NaN_or_infinity()
    {
        var random = new Random(20_240_301);
        var builder = new FeatureVectorBuilder();
        var template = SampleInputs.Healthy();
        for (var round = 0; round < 1_000; round++)
        {
            var input = Fuzz(random, template);
            var vector = builder.Build(input, Layout);
            for (var i = 0; i < vector.Length; i++)
                Assert.True(float.IsFinite(vector[i]), $"round {round}: feature {Layout.Features[i].Name} is {vector[i]}");
        }
    }

    private static BaseDataInput Fuzz(Random random, BaseDataInput template)
    {
        var magnitude = random.Next(4) switch { 0 => 0L, 1 => 1_000_000L, 2 => 300_000_000_000L, _ => long.MaxValue / 4 };
        long Price() => random.Next(20) == 0 ? 0 : (long)(random.NextDouble() * magnitude);
        long Volume() => random.Next(5) == 0 ? 0 : random.Next(3) == 0 ? random.NextInt64() : random.NextInt64(1_000_000_000);
        double? Maybe(double value) => random.Next(6) switch { 0 => null, 1 => double.NaN, 2 => double.PositiveInfinity, _ => value };

        CandleFrames Series(CandleFrames frames)
        {
            var count = random.Next(frames.Requested + 10);
            var candles = new Candle[count];
            for (var i = 0; i < count; i++)
            {
                long a = Price(), b = Price();
                candles[i] = new Candle { OpenTime = i, Open = a, Close = b, High = Math.Max(a, b) + Price() / 100, Low = Math.Min(a, b) - Price() / 100, Volume = Volume() };
            }
            IReadOnlyList<Candle> list = random.Next(3) switch { 0 => candles, 1 => candles.ToList(), _ => new ReadOnlyCollection<Candle>(candles) };
            return frames with { Candles = list };
        }

        CobSecond? Aggregate()
        {
            switch (random.Next(5))
            {
                case 0: return null;
                case 1: return new CobSecond { IsGap = true, GapReason = "fuzz" };
            }
            var size = random.Next(4) == 0 ? 0 : random.NextInt64(1, 1_000_000_000);
            var buckets = new PriceBucket[random.Next(0, 30)];
            for (var i = 0; i < buckets.Length; i++) buckets[i] = new PriceBucket(i * size, Volume(), Volume());
            var averages = new ImbalanceAverages[random.Next(0, 30)];
            for (var i = 0; i < averages.Length; i++) averages[i] = new ImbalanceAverages(Maybe(0.5), Maybe(-0.5), null, Maybe(random.NextDouble()));
            return new CobSecond
            {
                Mid = Price(), RangeLow = random.Next(3) == 0 ? -Price() : Price(), BucketSize = size, Buckets = buckets, BucketAverages = averages,
                Imbalance = Maybe(0.1) ?? 0, Spread = Price(), BidDepth = Volume(), AskDepth = Volume(),
                Flow = new TradeFlow(Volume(), Volume(), 1, Price(), Volume()),
                Averages = new ImbalanceAverages(Maybe(0.1), Maybe(0.2), Maybe(0.3), Maybe(0.4)),
            };
        }

        PivotSet Pivots()
        {
            var levels = new List<IReadOnlyList<SwingPoint>>();
            for (var level = 0; level < random.Next(8); level++)
                levels.Add(Enumerable.Range(0, random.Next(4)).Select(i => new SwingPoint { Level = level + 1, Kind = (SwingKind)random.Next(2), Price = Price() }).ToArray());
            var trends = Enumerable.Range(0, random.Next(8)).Select(_ => (Trend)random.Next(3)).ToArray();
            long min = Price(), max = Price();
            var bounds = random.Next(3) == 0 ? null : new PivotBounds
            {
                PriceMin = min, PriceMax = max,
                Support = [new SupportResistanceLevel { Price = Price(), IsSupport = true }],
                Resistance = [new SupportResistanceLevel { Price = Price() }],
            };
            return new PivotSet { Timeframe = Timeframe.OneMinute, Levels = levels, Trends = trends, Bounds = bounds };
        }

        IndicatorSet Indicators(Timeframe timeframe) => new()
        {
            Timeframe = timeframe, Candles = random.Next(-1, 100),
            EmaFast = Maybe(random.NextDouble() * 1e6), EmaSlow = Maybe(1e308), Rsi = Maybe(random.NextDouble() * 100), Macd = Maybe(-3),
            MacdSignal = Maybe(2), MacdHistogram = Maybe(-5), BollingerUpper = Maybe(1e10), BollingerMiddle = Maybe(0), BollingerLower = Maybe(-1e10),
            BollingerPercentB = Maybe(0.5), BollingerBandwidth = Maybe(0.01), Atr = Maybe(1e-300), Vwap = Maybe(random.NextDouble()),
        };

        var aggregate = Aggregate();
        var micro = random.Next(3) == 0 ? null : new Microstructure
        {
            Mid = Price(), Spread = Price(), SpreadBps = Maybe(random.NextDouble() * 10) ?? 0, BidDepth = Volume(), AskDepth = Volume(),
            Imbalance = Maybe(0.3) ?? 0, LastSecond = new TradeFlow(Volume(), Volume(), 1, Price(), 0), LastMinute = new TradeFlow(Volume(), Volume(), 1, Price(), 0),
        };
        var qualityScore = Maybe(random.NextDouble()) ?? 1;
        return template with
        {
            Timestamp = random.Next(4) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : SampleInputs.Now + random.Next(),
            Candles1s = Series(template.Candles1s), Candles1m = Series(template.Candles1m), Candles1h = Series(template.Candles1h),
            Candles1d = Series(template.Candles1d), Reference1s = Series(template.Reference1s),
            Book = template.Book with
            {
                Status = (BookStatus)random.Next(4), Aggregate = aggregate,
                RecentFlow = new TradeFlow(Volume(), Volume(), 1, Price(), Volume()),
            },
            Microstructure = micro,
            Pivots = Pivots(),
            Indicators = Timeframe.All.Where(_ => random.Next(2) == 0).Select(Indicators).ToArray(),
            Quality = template.Quality with { Score = qualityScore },
        };
    }

    [Fact]
    public void A_layout_of_another_shape_is_refused()
    {
        var input = SampleInputs.Healthy();
        var builder = new FeatureVectorBuilder();

        var wrongFrames = FeatureLayouts.Create(input.Requirements with { Frames1h = 47 }, 11);
        var error = Assert.Throws<ArgumentException>(() => builder.Build(input, wrongFrames));
        Assert.Contains("1:f60.60.48.30:r60:b11", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => builder.Build(input, FeatureLayouts.Create(input.Requirements with { ReferenceFrames1s = 61 }, 11)));
        Assert.Throws<ArgumentException>(() => builder.Build(input, FeatureLayouts.Create(new InputRequirements(), 11)));

        // Same frames, other slot count: the layout decides, so it fits; the destination must then have its length.
        var nine = FeatureLayouts.Create(input.Requirements, 9);
        Assert.Equal(nine.Length, builder.Build(input, nine).Length);
        Assert.Throws<ArgumentException>(() => builder.Build(input, nine, new float[Layout.Length]));
        Assert.Throws<ArgumentException>(() => builder.Build(input, Layout, new float[Layout.Length + 1]));
    }

    [Fact]
    public void A_layout_not_made_here_is_refused()
    {
        var input = SampleInputs.Healthy();
        var builder = new FeatureVectorBuilder();

        Assert.Throws<ArgumentException>(() => builder.Build(input, Layout with { Version = "2:f60.60.48.30:r60:b11" }));
        Assert.Throws<ArgumentException>(() => builder.Build(input, Layout with { Version = "garbage" }));
        Assert.Throws<ArgumentException>(() => builder.Build(input, Layout with { Length = Layout.Length - 1 }));
        Assert.Throws<ArgumentNullException>(() => builder.Build(input, null!));
    }
}
