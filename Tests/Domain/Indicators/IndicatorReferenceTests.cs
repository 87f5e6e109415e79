using MarketData.Candles;
using MarketData.Domain.Indicators;
using MarketData.Inputs;
using static MarketData.Tests.Domain.Indicators.IndicatorTestData;

namespace MarketData.Tests.Domain.Indicators;

/// <summary>The optimised indicators against <see cref="ReferenceIndicators"/> (naive, from the definitions) on seeded random walks.</summary>
public class IndicatorReferenceTests
{
    // Same formulas, different summation order and streaming: agreement to ~1e-9 relative is all floating point allows.
    private static void Close(double? expected, double? actual, string what)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{what}: expected {expected?.ToString() ?? "null"}, got {actual?.ToString() ?? "null"}");
        if (expected is not { } e || actual is not { } a) return;
        var tolerance = 1e-9 * Math.Max(1, Math.Abs(e));
        Assert.True(Math.Abs(e - a) <= tolerance, $"{what}: expected {e:R}, got {a:R}");
    }

    public static TheoryData<int, int> Series()
    {
        var data = new TheoryData<int, int>();
        // Every length across all default warm-ups, then typical snapshot sizes (1,500 takes the rented-buffer path).
        for (var n = 0; n <= 40; n++) data.Add(n, 100 + n);
        data.Add(300, 1);
        data.Add(300, 2);
        data.Add(1_500, 3);
        return data;
    }

    [Theory]
    [MemberData(nameof(Series))]
    public void Compute_matches_the_reference_with_default_settings(int count, int seed)
        => CompareAll(RandomWalk(count, seed), new IndicatorSettings());

    [Theory]
    [InlineData(1, 2, 1, 2, 3, 1, 2, 0.5, 1, 11)]
    [InlineData(3, 7, 2, 5, 8, 3, 5, 3, 3, 12)]
    [InlineData(50, 200, 21, 50, 100, 20, 50, 2.5, 30, 13)]
    public void Compute_matches_the_reference_with_other_periods(int emaFast, int emaSlow, int rsi, int macdFast, int macdSlow, int macdSignal, int bollinger, double width, int atr, int seed)
    {
        var settings = new IndicatorSettings
        {
            EmaFast = emaFast, EmaSlow = emaSlow, Rsi = rsi, MacdFast = macdFast, MacdSlow = macdSlow, MacdSignal = macdSignal,
            Bollinger = bollinger, BollingerWidth = width, Atr = atr,
        };
        foreach (var count in new[] { 0, 1, 2, 5, 50, 119, 120, 300 })
            CompareAll(RandomWalk(count, seed + count), settings);
    }

    private static void CompareAll(Candle[] candles, IndicatorSettings s)
    {
        var closes = Closes(candles);
        var set = TechnicalIndicators.Compute(Timeframe.OneHour, candles, s);
        var n = candles.Length;

        Assert.Equal(n, set.Candles);
        Close(n == 0 ? null : closes[^1], set.Close, $"close n={n}");
        Close(ReferenceIndicators.Ema(closes, s.EmaFast), set.EmaFast, $"EMA({s.EmaFast}) n={n}");
        Close(ReferenceIndicators.Ema(closes, s.EmaSlow), set.EmaSlow, $"EMA({s.EmaSlow}) n={n}");
        Close(ReferenceIndicators.Rsi(closes, s.Rsi), set.Rsi, $"RSI({s.Rsi}) n={n}");
        var macd = ReferenceIndicators.Macd(closes, s.MacdFast, s.MacdSlow, s.MacdSignal);
        Close(macd.Line, set.Macd, $"MACD line n={n}");
        Close(macd.Signal, set.MacdSignal, $"MACD signal n={n}");
        // The histogram is a small difference of two large numbers: compare it on the scale of the line.
        Assert.Equal(macd.Histogram.HasValue, set.MacdHistogram.HasValue);
        if (macd.Histogram is { } h) Assert.True(Math.Abs(h - set.MacdHistogram!.Value) <= 1e-9 * Math.Max(1, Math.Abs(macd.Line!.Value)), $"MACD histogram n={n}");
        var bands = ReferenceIndicators.Bollinger(closes, s.Bollinger, s.BollingerWidth);
        Close(bands?.Middle, set.BollingerMiddle, $"Bollinger middle n={n}");
        Close(bands?.Upper, set.BollingerUpper, $"Bollinger upper n={n}");
        Close(bands?.Lower, set.BollingerLower, $"Bollinger lower n={n}");
        Close(bands?.PercentB, set.BollingerPercentB, $"Bollinger %B n={n}");
        Close(bands?.Bandwidth, set.BollingerBandwidth, $"Bollinger bandwidth n={n}");
        Close(ReferenceIndicators.Atr(candles, s.Atr), set.Atr, $"ATR({s.Atr}) n={n}");
        Close(ReferenceIndicators.Vwap(candles), set.Vwap, $"VWAP n={n}");
    }
}
