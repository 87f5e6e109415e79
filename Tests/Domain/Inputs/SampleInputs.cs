using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Pivots;

namespace MarketData.Tests.Domain.Inputs;

/// <summary>
/// Healthy <see cref="BaseDataInput"/> snapshots for domain tests: every series full, aligned and fresh, the book synced,
/// an aggregate of the last second, pivots with bounds. Tests degrade them with <c>with</c> expressions.
/// Shared by several test classes: change it only additively.
/// </summary>
public static class SampleInputs
{
    /// <summary>2024-03-01T12:00:00Z, a whole day, hour, minute and second.</summary>
    public const long Now = 1_709_294_400_000;

    public static readonly InputRequirements SmallRequirements = new()
    {
        Frames1s = 60, Frames1m = 60, Frames1h = 48, Frames1d = 30, ReferenceFrames1s = 60, ReferenceSymbol = "BTCUSDT",
        PivotTimeframe = Timeframe.OneMinute, HeatmapSeconds = 10,
    };

    /// <summary>A healthy snapshot of ETHUSDT as of <paramref name="now"/>, with <paramref name="requirements"/> frames in every series.</summary>
    public static BaseDataInput Healthy(InputRequirements? requirements = null, long now = Now, string symbol = "ETHUSDT")
    {
        var req = requirements ?? SmallRequirements;
        var aggregate = Aggregate(now - 1_000, updateId: 1_000_000);
        var input = new BaseDataInput
        {
            Exchange = "binance",
            Symbol = symbol,
            Timestamp = now,
            AssembledAt = DateTimeOffset.FromUnixTimeMilliseconds(now).UtcDateTime,
            Requirements = req,
            Candles1s = Frames(symbol, Timeframe.OneSecond, req.Frames1s, now, 3_000m),
            Candles1m = Frames(symbol, Timeframe.OneMinute, req.Frames1m, now, 3_000m),
            Candles1h = Frames(symbol, Timeframe.OneHour, req.Frames1h, now, 3_000m),
            Candles1d = Frames(symbol, Timeframe.OneDay, req.Frames1d, now, 3_000m),
            Reference1s = Frames(req.ReferenceSymbol, Timeframe.OneSecond, req.ReferenceFrames1s, now, 60_000m),
            Book = new BookInputView
            {
                Status = BookStatus.Synced,
                LastUpdateId = 1_000_050,
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(now - 50).UtcDateTime,
                ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(now - 40).UtcDateTime,
                Aggregate = aggregate,
                RecentFlow = new TradeFlow(FixedPoint.FromDecimal(12m), FixedPoint.FromDecimal(10m), 60, FixedPoint.FromDecimal(3_000m), FixedPoint.FromDecimal(66_000m)),
                RecentFlowSeconds = 60,
                Heatmap = null,
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
            },
            Pivots = Pivots(now),
            Indicators = [],
            ModelOutputs = [],
            Quality = Unscored(now),
        };
        return input;
    }

    /// <summary>A report standing in until the scorer runs.</summary>
    public static QualityReport Unscored(long asOf) => new()
    {
        Completeness = new QualityComponent { Name = "completeness", Explanation = "not scored" },
        Freshness = new QualityComponent { Name = "freshness", Explanation = "not scored" },
        Consistency = new QualityComponent { Name = "consistency", Explanation = "not scored" },
        Problems = [],
        AsOf = asOf,
    };

    /// <summary><paramref name="count"/> closed, aligned candles ending with the last one closed by <paramref name="now"/>; a gentle zig-zag around <paramref name="price"/>.</summary>
    public static CandleFrames Frames(string symbol, Timeframe timeframe, int count, long now, decimal price)
    {
        var candles = new Candle[count];
        var firstOpen = timeframe.OpenTimeOf(now) - count * timeframe.Milliseconds;
        for (var i = 0; i < count; i++)
        {
            var open = firstOpen + i * timeframe.Milliseconds;
            var o = price + (i % 7) - 3;
            var c = price + ((i + 3) % 7) - 3;
            candles[i] = new Candle
            {
                OpenTime = open,
                CloseTime = timeframe.CloseTimeOf(open),
                Open = FixedPoint.FromDecimal(o),
                Close = FixedPoint.FromDecimal(c),
                High = FixedPoint.FromDecimal(Math.Max(o, c) + 1.5m),
                Low = FixedPoint.FromDecimal(Math.Min(o, c) - 1.25m),
                Volume = FixedPoint.FromDecimal(2m + i % 5),
                QuoteVolume = FixedPoint.FromDecimal((2m + i % 5) * (o + c) / 2),
                TradeCount = 10 + i % 3,
                TakerBuyVolume = FixedPoint.FromDecimal(1m),
                TakerBuyQuoteVolume = FixedPoint.FromDecimal(price),
                Source = CandleSource.BinanceRest,
                Flags = CandleFlags.Closed,
            };
        }
        return new CandleFrames { Symbol = symbol, Timeframe = timeframe, Requested = count, Candles = candles, Source = "binance", Backfill = "done" };
    }

    /// <summary>An aggregated second starting at <paramref name="time"/>: 11 buckets of $1 around a $3,000 mid.</summary>
    public static CobSecond Aggregate(long time, long updateId)
    {
        var size = FixedPoint.FromDecimal(1m);
        var low = FixedPoint.FromDecimal(2_995m);
        var buckets = new PriceBucket[11];
        var averages = new ImbalanceAverages[11];
        for (var i = 0; i < buckets.Length; i++)
        {
            var bid = i <= 5 ? FixedPoint.FromDecimal(1m + i) : 0;
            var ask = i >= 5 ? FixedPoint.FromDecimal(12m - i) : 0;
            buckets[i] = new PriceBucket(low + i * size, bid, ask);
            averages[i] = new ImbalanceAverages(buckets[i].Imbalance, buckets[i].Imbalance, buckets[i].Imbalance, buckets[i].Imbalance);
        }
        long bidDepth = buckets.Sum(b => b.BidVolume), askDepth = buckets.Sum(b => b.AskVolume);
        var imbalance = (double)(bidDepth - askDepth) / (bidDepth + askDepth);
        return new CobSecond
        {
            Time = time,
            BookUpdateId = updateId,
            Mid = FixedPoint.FromDecimal(3_000.005m),
            BucketSize = size,
            RangeLow = low,
            RangeHigh = low + 11 * size,
            Buckets = buckets,
            Imbalance = imbalance,
            BidVwap = FixedPoint.FromDecimal(2_998m),
            AskVwap = FixedPoint.FromDecimal(3_002m),
            Spread = FixedPoint.FromDecimal(0.01m),
            BidDepth = bidDepth,
            AskDepth = askDepth,
            Flow = new TradeFlow(FixedPoint.FromDecimal(0.5m), FixedPoint.FromDecimal(0.25m), 3, FixedPoint.FromDecimal(3_000m), FixedPoint.FromDecimal(2_250m)),
            Averages = new ImbalanceAverages(imbalance, imbalance, imbalance, imbalance),
            BucketAverages = averages,
        };
    }

    /// <summary>Pivots of five levels, all confirmed before <paramref name="now"/>, with bounds from 2,990 to 3,010.</summary>
    public static PivotSet Pivots(long now)
    {
        var levels = new List<IReadOnlyList<SwingPoint>>();
        for (var level = 1; level <= 5; level++)
        {
            var t = now - 3_600_000L * level;
            levels.Add(
            [
                new SwingPoint { Level = level, Kind = SwingKind.Low, Time = t - 120_000, ConfirmedAt = t - 60_001, Price = FixedPoint.FromDecimal(2_995m - level), Strength = 1, CandleIndex = level * 10 },
                new SwingPoint { Level = level, Kind = SwingKind.High, Time = t, ConfirmedAt = t + 59_999, Price = FixedPoint.FromDecimal(3_004m + level), Strength = 1, CandleIndex = level * 10 + 2 },
            ]);
        }
        return new PivotSet
        {
            Timeframe = Timeframe.OneMinute,
            Levels = levels,
            Trends = [Trend.Up, Trend.Up, Trend.Sideways, Trend.Down, Trend.Sideways],
            Bounds = new PivotBounds
            {
                PriceMin = FixedPoint.FromDecimal(2_990m),
                PriceMax = FixedPoint.FromDecimal(3_010m),
                VolumeMin = FixedPoint.FromDecimal(1m),
                VolumeMax = FixedPoint.FromDecimal(10m),
                Support = [new SupportResistanceLevel { Price = FixedPoint.FromDecimal(2_993m), Touches = 2, Strength = 2, IsSupport = true, LastTouch = now - 3_600_000 }],
                Resistance = [new SupportResistanceLevel { Price = FixedPoint.FromDecimal(3_006m), Touches = 3, Strength = 3, IsSupport = false, LastTouch = now - 7_200_000 }],
                WindowStart = now - 30L * 86_400_000,
                WindowEnd = now,
                CandleCount = 43_200,
                ComputedAt = DateTimeOffset.FromUnixTimeMilliseconds(now).UtcDateTime,
            },
            Progress = "done",
        };
    }

    /// <summary>A valid output of <paramref name="model"/> at <paramref name="time"/>.</summary>
    public static ModelOutput Output(string model, long time, string type = "cnn") => new()
    {
        ModelType = type,
        ModelName = model,
        Time = time,
        Confidence = 0.75,
        Predictions = [0.1, 0.7, 0.2],
        Metadata = new Dictionary<string, string> { ["version"] = "1" },
    };
}
