using MarketData.Candles;
using MarketData.Instruments;

namespace MarketData.Tests.Domain.Indicators;

/// <summary>Candle builders for indicator tests: decimal prices in, fixed-point candles out.</summary>
internal static class IndicatorTestData
{
    public const long Start = 1_700_000_000_000; // a whole minute, so 1m candles are aligned

    public static long Px(decimal value) => FixedPoint.FromDecimal(value);

    /// <summary>One closed 1m candle (index <paramref name="i"/> from <see cref="Start"/>).</summary>
    public static Candle Bar(int i, decimal high, decimal low, decimal close, decimal volume = 1m, decimal? quoteVolume = null)
        => new()
        {
            OpenTime = Start + i * 60_000L,
            CloseTime = Start + i * 60_000L + 59_999,
            Open = Px(close),
            High = Px(high),
            Low = Px(low),
            Close = Px(close),
            Volume = Px(volume),
            QuoteVolume = Px(quoteVolume ?? volume * close),
            TradeCount = 1,
            Source = CandleSource.BinanceRest,
            Flags = CandleFlags.Closed,
        };

    /// <summary>Candles whose high, low and close are all <paramref name="closes"/>[i] (for close-only indicators).</summary>
    public static Candle[] FromCloses(params decimal[] closes)
        => closes.Select((c, i) => Bar(i, c, c, c)).ToArray();

    /// <summary>
    /// A seeded random walk around 60,000 in 0.01 ticks with a random range and volume per candle, so every code path
    /// (gaps beyond the range, zero changes, rises and falls) is exercised.
    /// </summary>
    public static Candle[] RandomWalk(int count, int seed, decimal start = 60_000m)
    {
        var random = new Random(seed);
        var result = new Candle[count];
        var close = start;
        for (var i = 0; i < count; i++)
        {
            var open = close;
            close = Math.Max(1m, open + random.Next(-500, 501) / 100m);
            if (random.Next(10) == 0) close = open; // unchanged closes happen in real data
            var high = Math.Max(open, close) + random.Next(0, 300) / 100m;
            var low = Math.Max(0.01m, Math.Min(open, close) - random.Next(0, 300) / 100m);
            var volume = random.Next(0, 5) == 0 ? 0m : random.Next(1, 1_000_000) / 10_000m;
            var vwapInside = low + (high - low) * random.Next(0, 101) / 100m;
            result[i] = Bar(i, high, low, close, volume, decimal.Round(volume * vwapInside, 8)) with { Open = Px(open) };
        }
        return result;
    }

    public static double[] Closes(ReadOnlySpan<Candle> candles)
    {
        var result = new double[candles.Length];
        for (var i = 0; i < candles.Length; i++) result[i] = candles[i].Close / (double)FixedPoint.Scale;
        return result;
    }
}
