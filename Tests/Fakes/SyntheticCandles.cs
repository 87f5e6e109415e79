using System.Globalization;
using System.Text;
using MarketData.Candles;
using MarketData.Instruments;

namespace MarketData.Tests.Fakes;

/// <summary>
/// Deterministic synthetic candles: the same (symbol, interval, open time) always gives the same candle, so the
/// fake Binance and fake MEXC servers serve identical series and tests can compute what they expect.
/// Prices have 2 decimals, volumes 3, so every value is exact in fixed point.
/// </summary>
public static class SyntheticCandles
{
    public static Candle At(string symbol, long intervalMs, long openTime)
    {
        var seed = Mix((ulong)StableHash(symbol) ^ Mix((ulong)intervalMs) ^ Mix((ulong)openTime * 0x9E3779B97F4A7C15UL));
        ulong Next() => seed = Mix(seed + 0x9E3779B97F4A7C15UL);
        var basePrice = (100 + (long)(StableHash(symbol) % 900)) * FixedPoint.Scale;
        var cent = FixedPoint.Scale / 100;
        var open = basePrice + (long)(Next() % 10_000) * cent;
        var close = basePrice + (long)(Next() % 10_000) * cent;
        var high = Math.Max(open, close) + (long)(Next() % 500) * cent;
        var low = Math.Min(open, close) - (long)(Next() % 500) * cent;
        var volume = (long)(Next() % 100_000) * (FixedPoint.Scale / 1000);
        var quote = (long)((Int128)volume * close / FixedPoint.Scale / cent) * cent;
        return new Candle
        {
            OpenTime = openTime,
            CloseTime = openTime + intervalMs - 1,
            Open = open,
            High = high,
            Low = low,
            Close = close,
            Volume = volume,
            QuoteVolume = quote,
            TradeCount = (long)(Next() % 1000),
            TakerBuyVolume = volume / 2,
            TakerBuyQuoteVolume = quote / 2,
        };
    }

    /// <summary>A "last price" for tickers: the close of the 1-second candle containing <paramref name="unixMs"/>.</summary>
    public static long LastPrice(string symbol, long unixMs) => At(symbol, 1000, unixMs - (unixMs % 1000)).Close;

    /// <summary>Binance's 12-column row.</summary>
    public static void AppendBinanceRow(StringBuilder sb, Candle c)
        => sb.Append('[').Append(c.OpenTime.ToString(CultureInfo.InvariantCulture)).Append(",\"").Append(T(c.Open)).Append("\",\"").Append(T(c.High))
             .Append("\",\"").Append(T(c.Low)).Append("\",\"").Append(T(c.Close)).Append("\",\"").Append(T(c.Volume)).Append("\",")
             .Append(c.CloseTime.ToString(CultureInfo.InvariantCulture)).Append(",\"").Append(T(c.QuoteVolume)).Append("\",")
             .Append(c.TradeCount.ToString(CultureInfo.InvariantCulture)).Append(",\"").Append(T(c.TakerBuyVolume)).Append("\",\"")
             .Append(T(c.TakerBuyQuoteVolume)).Append("\",\"0\"]");

    /// <summary>MEXC's 8-column row; its close time is open + interval (exclusive), as MEXC sends it.</summary>
    public static void AppendMexcRow(StringBuilder sb, Candle c)
        => sb.Append('[').Append(c.OpenTime.ToString(CultureInfo.InvariantCulture)).Append(",\"").Append(T(c.Open)).Append("\",\"").Append(T(c.High))
             .Append("\",\"").Append(T(c.Low)).Append("\",\"").Append(T(c.Close)).Append("\",\"").Append(T(c.Volume)).Append("\",")
             .Append((c.CloseTime + 1).ToString(CultureInfo.InvariantCulture)).Append(",\"").Append(T(c.QuoteVolume)).Append("\"]");

    /// <summary>
    /// Open times served for a kline request with Binance's semantics: with a start, the oldest from it; with only an
    /// end, the newest up to it; neither, the newest. Never later than the candle containing <paramref name="nowMs"/>
    /// (which is still forming) nor earlier than <paramref name="availableFrom"/>.
    /// </summary>
    public static IEnumerable<long> OpenTimes(long intervalMs, long? startTime, long? endTime, int limit, long nowMs, long availableFrom)
    {
        static long Floor(long t, long ms) => t - (((t % ms) + ms) % ms);
        var first = Floor(availableFrom, intervalMs);
        if (first < availableFrom) first += intervalMs;
        var last = Floor(nowMs, intervalMs);
        if (endTime is { } e) last = Math.Min(last, Floor(e, intervalMs));
        long from;
        if (startTime is { } s)
        {
            from = Floor(s, intervalMs);
            if (from < s) from += intervalMs;
            from = Math.Max(from, first);
        }
        else from = Math.Max(first, last - (limit - 1) * intervalMs);
        for (long t = from, n = 0; t <= last && n < limit; t += intervalMs, n++) yield return t;
    }

    private static string T(long value) => FixedPoint.ToText(value);

    private static uint StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text) h = (h ^ c) * 16777619u;
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
