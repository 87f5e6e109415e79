using BenchmarkDotNet.Attributes;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Domain.Quality;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.Pivots;

namespace MarketData.Benchmarks;

/// <summary>
/// Validation and scoring of one <see cref="BaseDataInput"/> as on every request: 300 frames of 1s, 1m, 1h, 1d and
/// reference 1s candles (1,500 candles), five pivot levels of 100 points, a synced book with its aggregate.
/// <see cref="ScoreHealthy"/> is the common case (no problem); <see cref="ScoreBroken1m"/> has every 1m candle broken
/// (300 problems found, 10 formatted + a summary); <see cref="ValidateHealthy"/> is the validator alone.
/// Target: a few µs for the healthy case, no allocation per candle.
/// </summary>
[MemoryDiagnoser]
public class QualityBenchmarks
{
    private const long Now = 1_709_294_400_000;
    private readonly QualityThresholds _thresholds = new();
    private BaseDataInput _healthy = null!;
    private BaseDataInput _broken = null!;

    [GlobalSetup]
    public void Setup()
    {
        _healthy = Build();
        var broken = _healthy.Candles1m.Candles.Select(c => c with { High = c.Low - 1 }).ToArray();
        _broken = _healthy with { Candles1m = _healthy.Candles1m with { Candles = broken } };
        if (QualityScorer.Score(_healthy, 0.8, _thresholds).Score != 1) throw new InvalidOperationException("The benchmark input is not healthy.");
    }

    [Benchmark(Baseline = true)]
    public double ScoreHealthy() => QualityScorer.Score(_healthy, 0.8, _thresholds).Score;

    [Benchmark]
    public int ValidateHealthy() => BaseDataValidator.Validate(_healthy, _thresholds).Count;

    [Benchmark]
    public double ScoreBroken1m() => QualityScorer.Score(_broken, 0.8, _thresholds).Score;

    private static BaseDataInput Build()
    {
        var aggregate = new CobSecond
        {
            Time = Now - 1_000,
            BookUpdateId = 1_000,
            Mid = FixedPoint.FromDecimal(60_000.005m),
            Spread = FixedPoint.FromDecimal(0.01m),
            Buckets = Enumerable.Range(0, 11).Select(i => new PriceBucket(FixedPoint.FromDecimal(59_995m + i), FixedPoint.FromDecimal(1m), FixedPoint.FromDecimal(1m))).ToArray(),
        };
        var levels = Enumerable.Range(1, 5).Select(level => (IReadOnlyList<SwingPoint>)Enumerable.Range(0, 100)
            .Select(i => new SwingPoint { Level = level, Time = Now - 86_400_000 + i * 60_000L, ConfirmedAt = Now - 86_400_000 + i * 60_000L + 60_000, Price = FixedPoint.FromDecimal(60_000m + i) })
            .ToArray()).ToArray();
        var requirements = new InputRequirements();
        return new BaseDataInput
        {
            Exchange = "binance",
            Symbol = "ETHUSDT",
            Timestamp = Now,
            Requirements = requirements,
            Candles1s = Frames("ETHUSDT", Timeframe.OneSecond),
            Candles1m = Frames("ETHUSDT", Timeframe.OneMinute),
            Candles1h = Frames("ETHUSDT", Timeframe.OneHour),
            Candles1d = Frames("ETHUSDT", Timeframe.OneDay),
            Reference1s = Frames("BTCUSDT", Timeframe.OneSecond),
            Book = new BookInputView
            {
                Status = BookStatus.Synced,
                LastUpdateId = 1_050,
                ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(Now - 40).UtcDateTime,
                Aggregate = aggregate,
            },
            Microstructure = new Microstructure { Time = aggregate.Time, BookUpdateId = aggregate.BookUpdateId, Mid = aggregate.Mid, Spread = aggregate.Spread },
            Pivots = new PivotSet { Timeframe = Timeframe.OneMinute, Levels = levels, Trends = [], Bounds = new PivotBounds() },
            Indicators = [],
            ModelOutputs = [],
            Quality = new QualityReport
            {
                Completeness = new QualityComponent { Name = "completeness", Explanation = "" },
                Freshness = new QualityComponent { Name = "freshness", Explanation = "" },
                Consistency = new QualityComponent { Name = "consistency", Explanation = "" },
                Problems = [],
            },
        };
    }

    private static CandleFrames Frames(string symbol, Timeframe timeframe)
    {
        const int count = 300;
        var first = timeframe.OpenTimeOf(Now) - count * timeframe.Milliseconds;
        var candles = new Candle[count];
        for (var i = 0; i < count; i++)
        {
            var open = FixedPoint.FromDecimal(60_000m + i % 7);
            var close = FixedPoint.FromDecimal(60_000m + (i + 3) % 7);
            candles[i] = new Candle
            {
                OpenTime = first + i * timeframe.Milliseconds,
                CloseTime = timeframe.CloseTimeOf(first + i * timeframe.Milliseconds),
                Open = open,
                Close = close,
                High = Math.Max(open, close) + FixedPoint.Scale,
                Low = Math.Min(open, close) - FixedPoint.Scale,
                Volume = FixedPoint.Scale,
                Flags = CandleFlags.Closed,
            };
        }
        return new CandleFrames { Symbol = symbol, Timeframe = timeframe, Requested = count, Candles = candles };
    }
}
