using BenchmarkDotNet.Attributes;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Domain.Features;
using MarketData.Inputs;
using MarketData.Pivots;

namespace MarketData.Benchmarks;

/// <summary>
/// The float32 feature vector of a realistic snapshot in the default shape (300 frames of 1s, 1m, 1h, 1d and
/// reference 1s candles, 11 bucket slots: 7,653 floats). <see cref="BuildIntoBuffer"/> fills a reused buffer (what
/// a grain serving many requests would do); <see cref="BuildNewArray"/> allocates the vector (30.6 KB) as the
/// grain's <c>GetFeatureVectorAsync</c> does. <see cref="LayoutLookup"/> is the memoised layout for the shape.
/// The input is built here (Benchmarks cannot see the test project's samples): seeded random walks around
/// 3,000 (ETH-like) and 61,000 (BTC reference), 41 buckets of $0.5 around the mid, five pivot levels, four indicator sets.
/// Target: 100 µs.
/// <para>
/// Measured (--job short, 2-core VM, load ~4): BuildIntoBuffer 6.4 µs, 64 B (the enumerators of
/// <c>PivotBounds.DistanceToSupport/Resistance</c>); BuildNewArray 8.4 µs, 30.7 KB (the vector); LayoutLookup 25 ns, 0 B.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class FeatureVectorBenchmarks
{
    private const long Scale = 100_000_000;
    private const long Now = 1_709_294_400_000; // 2024-03-01T12:00:00Z

    private readonly FeatureVectorBuilder _builder = new();
    private BaseDataInput _input = null!;
    private FeatureLayout _layout = null!;
    private float[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        _input = RealisticInput(new Random(42));
        _layout = FeatureLayouts.Create(_input.Requirements, FeatureLayouts.DefaultBucketSlots);
        _buffer = new float[_layout.Length];
        _builder.Build(_input, _layout, _buffer);
        var finite = Array.TrueForAll(_buffer, float.IsFinite);
        Console.WriteLine($"// FeatureVectorBenchmarks: layout {_layout.Version}, {_layout.Length:N0} floats, all finite: {finite}, replaced: {_builder.NonFiniteReplaced}");
    }

    [Benchmark(Baseline = true)]
    public float BuildIntoBuffer()
    {
        _builder.Build(_input, _layout, _buffer);
        return _buffer[^1];
    }

    [Benchmark]
    public float[] BuildNewArray() => _builder.Build(_input, _layout);

    [Benchmark]
    public FeatureLayout LayoutLookup() => FeatureLayouts.Create(_input.Requirements, FeatureLayouts.DefaultBucketSlots);

    private static BaseDataInput RealisticInput(Random random)
    {
        var requirements = new InputRequirements();
        var candles1s = Series(random, "ETHUSDT", Timeframe.OneSecond, requirements.Frames1s, 3_000, 0.0002);
        var lastClose = candles1s.Candles[^1].Close;
        var aggregate = Aggregate(random, lastClose);
        return new BaseDataInput
        {
            Exchange = "binance",
            Symbol = "ETHUSDT",
            Timestamp = Now,
            AssembledAt = DateTimeOffset.FromUnixTimeMilliseconds(Now).UtcDateTime,
            Requirements = requirements,
            Candles1s = candles1s,
            Candles1m = Series(random, "ETHUSDT", Timeframe.OneMinute, requirements.Frames1m, 3_000, 0.001),
            Candles1h = Series(random, "ETHUSDT", Timeframe.OneHour, requirements.Frames1h, 3_000, 0.006),
            Candles1d = Series(random, "ETHUSDT", Timeframe.OneDay, requirements.Frames1d, 3_000, 0.03),
            Reference1s = Series(random, "BTCUSDT", Timeframe.OneSecond, requirements.ReferenceFrames1s, 61_000, 0.0002),
            Book = new BookInputView
            {
                Status = BookStatus.Synced,
                LastUpdateId = aggregate.BookUpdateId + 20,
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Now - 30).UtcDateTime,
                ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(Now - 25).UtcDateTime,
                Aggregate = aggregate,
                RecentFlow = new TradeFlow(40 * Scale, 35 * Scale, 900, lastClose, 225_000 * Scale),
                RecentFlowSeconds = 60,
            },
            Microstructure = new Microstructure
            {
                Time = aggregate.Time,
                BookUpdateId = aggregate.BookUpdateId,
                Mid = aggregate.Mid,
                Spread = aggregate.Spread,
                SpreadBps = (double)aggregate.Spread / aggregate.Mid * 10_000,
                BidDepth = aggregate.BidDepth,
                AskDepth = aggregate.AskDepth,
                Imbalance = aggregate.Imbalance,
                LastSecond = aggregate.Flow,
                LastMinute = new TradeFlow(40 * Scale, 35 * Scale, 900, lastClose, 225_000 * Scale),
            },
            Pivots = Pivots(random, lastClose),
            Indicators = [Indicators(Timeframe.OneSecond), Indicators(Timeframe.OneMinute), Indicators(Timeframe.OneHour), Indicators(Timeframe.OneDay)],
            ModelOutputs = [],
            Quality = new QualityReport
            {
                Score = 0.96,
                Uncapped = 0.96,
                Completeness = new QualityComponent { Name = "completeness", Score = 1, Weight = 0.4, Explanation = "all frames" },
                Freshness = new QualityComponent { Name = "freshness", Score = 0.9, Weight = 0.3, Explanation = "fresh" },
                Consistency = new QualityComponent { Name = "consistency", Score = 1, Weight = 0.3, Explanation = "consistent" },
                Problems = [],
                MinimumRequired = 0.8,
                Accepted = true,
                AsOf = Now,
            },
        };
    }

    /// <summary>A random walk of closed candles ending with the last one closed by <see cref="Now"/>; step = price × volatility.</summary>
    private static CandleFrames Series(Random random, string symbol, Timeframe timeframe, int count, double price, double volatility)
    {
        var candles = new Candle[count];
        var firstOpen = timeframe.OpenTimeOf(Now) - count * timeframe.Milliseconds;
        for (var i = 0; i < count; i++)
        {
            var open = price;
            var close = open * (1 + (random.NextDouble() - 0.5) * 2 * volatility);
            var high = Math.Max(open, close) * (1 + random.NextDouble() * volatility);
            var low = Math.Min(open, close) * (1 - random.NextDouble() * volatility);
            var volume = random.NextDouble() * 50;
            var time = firstOpen + i * timeframe.Milliseconds;
            candles[i] = new Candle
            {
                OpenTime = time,
                CloseTime = timeframe.CloseTimeOf(time),
                Open = Fixed(open),
                High = Fixed(high),
                Low = Fixed(low),
                Close = Fixed(close),
                Volume = Fixed(volume),
                QuoteVolume = Fixed(volume * (open + close) / 2),
                TradeCount = random.Next(1, 500),
                TakerBuyVolume = Fixed(volume / 2),
                Source = CandleSource.BinanceRest,
                Flags = CandleFlags.Closed,
            };
            price = close;
        }
        return new CandleFrames { Symbol = symbol, Timeframe = timeframe, Requested = count, Candles = candles, Source = "binance", Backfill = "done" };
    }

    /// <summary>41 buckets of $0.5 (±$10) around <paramref name="price"/>, bids below the mid, asks above, with moving averages.</summary>
    private static CobSecond Aggregate(Random random, long price)
    {
        const long size = Scale / 2;
        var low = (price - 10 * Scale) / size * size;
        var buckets = new PriceBucket[41];
        var averages = new ImbalanceAverages[41];
        long bidDepth = 0, askDepth = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            var from = low + i * size;
            var bid = from <= price ? random.NextInt64(1, 100) * Scale / 10 : 0;
            var ask = from + size > price ? random.NextInt64(1, 100) * Scale / 10 : 0;
            buckets[i] = new PriceBucket(from, bid, ask);
            var imbalance = buckets[i].Imbalance;
            averages[i] = new ImbalanceAverages(imbalance, imbalance * 0.9, imbalance * 0.8, imbalance * 0.7);
            bidDepth += bid;
            askDepth += ask;
        }
        var total = (double)(bidDepth - askDepth) / (bidDepth + askDepth);
        return new CobSecond
        {
            Time = Now - 1_000,
            BookUpdateId = 9_000_000,
            Mid = price,
            BucketSize = size,
            RangeLow = low,
            RangeHigh = low + buckets.Length * size,
            Buckets = buckets,
            Imbalance = total,
            BidVwap = price - 4 * Scale,
            AskVwap = price + 4 * Scale,
            Spread = Scale / 100,
            BidDepth = bidDepth,
            AskDepth = askDepth,
            Flow = new TradeFlow(2 * Scale, 1 * Scale, 14, price, 9_000 * Scale),
            Averages = new ImbalanceAverages(total, total * 0.9, total * 0.8, total * 0.7),
            BucketAverages = averages,
        };
    }

    private static PivotSet Pivots(Random random, long price)
    {
        var levels = new List<IReadOnlyList<SwingPoint>>();
        for (var level = 1; level <= 5; level++)
        {
            var points = new List<SwingPoint>();
            for (var i = 0; i < 60 / level; i++)
            {
                var kind = i % 2 == 0 ? SwingKind.Low : SwingKind.High;
                var offset = (long)(random.NextDouble() * 30 * level * Scale);
                points.Add(new SwingPoint
                {
                    Level = level,
                    Kind = kind,
                    Time = Now - (60 - i) * 60_000L * level,
                    ConfirmedAt = Now - (59 - i) * 60_000L * level,
                    Price = kind == SwingKind.High ? price + offset : price - offset,
                    Strength = 1,
                });
            }
            levels.Add(points);
        }
        return new PivotSet
        {
            Timeframe = Timeframe.OneMinute,
            Levels = levels,
            Trends = [Trend.Up, Trend.Down, Trend.Sideways, Trend.Up, Trend.Up],
            Bounds = new PivotBounds
            {
                PriceMin = price - 250 * Scale,
                PriceMax = price + 200 * Scale,
                VolumeMin = 0,
                VolumeMax = 500 * Scale,
                Support = [new() { Price = price - 20 * Scale, Touches = 3, Strength = 2, IsSupport = true }, new() { Price = price - 80 * Scale, Touches = 2, Strength = 4, IsSupport = true }],
                Resistance = [new() { Price = price + 15 * Scale, Touches = 2, Strength = 2 }, new() { Price = price + 120 * Scale, Touches = 5, Strength = 5 }],
                WindowStart = Now - 30L * 86_400_000,
                WindowEnd = Now,
                CandleCount = 2_592_000,
            },
            Progress = "done",
        };
    }

    private static IndicatorSet Indicators(Timeframe timeframe) => new()
    {
        Timeframe = timeframe,
        Candles = 300,
        AsOf = Now - 1,
        Close = 3_001.2,
        EmaFast = 3_000.8,
        EmaSlow = 2_999.6,
        Rsi = 54.3,
        Macd = 1.2,
        MacdSignal = 0.9,
        MacdHistogram = 0.3,
        BollingerMiddle = 3_000.1,
        BollingerUpper = 3_006.4,
        BollingerLower = 2_993.8,
        BollingerPercentB = 0.59,
        BollingerBandwidth = 0.0042,
        Atr = 3.7,
        Vwap = 3_000.3,
    };

    private static long Fixed(double value) => (long)Math.Round(value * Scale);
}
