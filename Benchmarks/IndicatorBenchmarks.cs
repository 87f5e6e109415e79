using BenchmarkDotNet.Attributes;
using MarketData.Candles;
using MarketData.Domain.Indicators;
using MarketData.Inputs;

namespace MarketData.Benchmarks;

/// <summary>
/// <see cref="TechnicalIndicators.Compute"/> with the default <see cref="IndicatorSettings"/> over the last
/// <see cref="Count"/> closed 1m candles (seeded random walk around 60,000 USDT in 0.01 ticks). A BaseDataInput
/// snapshot calls it about five times (one per timeframe plus the reference symbol) with 300 candles, so the budget
/// is a few microseconds each; 1,500 (a full cache) takes the rented-buffer path instead of the stack.
/// <para>
/// Measured (ShortRun, AMD EPYC 2.6 GHz VM, 2 cores shared, load average 8-13): 300 candles 3.1 µs, 1,500 candles
/// 15-16 µs, 272 B allocated (the returned IndicatorSet) in both. Per pass at 300 (same conditions, before the EMA
/// reuse): convert 0.33 µs, EMA 0.39, RSI 0.44, MACD 0.45, ATR 0.47, VWAP 0.30.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class IndicatorBenchmarks
{
    private const long T0 = 1_723_161_600_000; // 2024-08-09 00:00 UTC

    private readonly IndicatorSettings _settings = new();
    private Candle[] _candles = [];

    [Params(300, 1_500)]
    public int Count { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _candles = new Candle[Count];
        var close = 6_000_000_000_000L;
        for (var i = 0; i < Count; i++)
        {
            var open = close;
            close += random.Next(-500, 501) * 1_000_000L;
            var volume = random.Next(1, 1_000_000) * 10_000L;
            _candles[i] = new Candle
            {
                OpenTime = T0 + i * 60_000L,
                CloseTime = T0 + i * 60_000L + 59_999,
                Open = open,
                High = Math.Max(open, close) + random.Next(0, 300) * 1_000_000L,
                Low = Math.Min(open, close) - random.Next(0, 300) * 1_000_000L,
                Close = close,
                Volume = volume,
                QuoteVolume = (long)(volume / 1e8 * (close / 1e8) * 1e8),
                TradeCount = 100,
                Source = CandleSource.BinanceRest,
                Flags = CandleFlags.Closed,
            };
        }
    }

    [Benchmark(Description = "TechnicalIndicators.Compute")]
    public IndicatorSet Compute() => TechnicalIndicators.Compute(Timeframe.OneMinute, _candles, _settings);
}
