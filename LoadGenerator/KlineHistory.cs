using MarketData.Instruments;

namespace MarketData.LoadGeneration;

/// <summary>
/// REST kline rows for <c>/api/v3/klines</c>: finished intervals are synthetic but deterministic (the same symbol,
/// interval and open time always give the same row; each row closes where the next one opens, prices on the symbol's
/// tick grid within ±0.5% of its starting price); the interval still forming comes from the market itself
/// (<see cref="SymbolMarket.TryGetLiveCandle"/>), so the newest row agrees with the kline stream.
/// </summary>
internal static class KlineHistory
{
    /// <summary>
    /// Open times served with Binance's semantics: with a start, the oldest from it; with only an end, the newest up to
    /// it; neither, the newest. Never later than the interval containing <paramref name="nowMs"/>.
    /// </summary>
    public static IEnumerable<long> OpenTimes(long intervalMs, long? startTime, long? endTime, int limit, long nowMs)
    {
        var last = Floor(nowMs, intervalMs);
        if (endTime is { } e) last = Math.Min(last, Floor(e, intervalMs));
        long from;
        if (startTime is { } s)
        {
            from = Floor(s, intervalMs);
            if (from < s) from += intervalMs;
        }
        else from = last - (limit - 1) * intervalMs;
        for (long t = from, n = 0; t <= last && n < limit; t += intervalMs, n++) yield return t;
    }

    public static LiveCandle At(SymbolMarket market, long intervalMs, long openTime)
    {
        var open = PriceAt(market, intervalMs, openTime);
        var close = PriceAt(market, intervalMs, openTime + intervalMs);
        var h = Mix(Seed(market, intervalMs) ^ (ulong)openTime * 0xC2B2AE3D27D4EB4FUL);
        var tick = market.TickSize;
        var high = Math.Max(open, close) + (long)(h % 20) * tick;
        var low = Math.Min(open, close) - (long)((h >> 8) % 20) * tick;
        var count = (long)((h >> 16) % 1000);
        var volume = count * market.LotSize * (long)(1 + (h >> 32) % 50);
        var quote = (long)((Int128)volume * close / FixedPoint.Scale);
        return new LiveCandle
        {
            OpenTime = openTime,
            Open = open,
            High = high,
            Low = Math.Max(tick, low),
            Close = close,
            Volume = volume,
            QuoteVolume = quote,
            TakerVolume = volume / 2,
            TakerQuoteVolume = quote / 2,
            Count = count,
        };
    }

    /// <summary>Binance's 12-column row.</summary>
    public static void WriteRow(FrameWriter writer, in LiveCandle c, long intervalMs)
    {
        writer.Byte((byte)'[');
        writer.Integer(c.OpenTime);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.Open);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.High);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.Low);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.Close);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.Volume);
        writer.Byte((byte)',');
        writer.Integer(c.OpenTime + intervalMs - 1);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.QuoteVolume);
        writer.Byte((byte)',');
        writer.Integer(c.Count);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.TakerVolume);
        writer.Byte((byte)',');
        writer.QuotedDecimal(c.TakerQuoteVolume);
        writer.Raw(",\"0\"]"u8);
    }

    /// <summary>A deterministic price for an instant on the interval grid, within ±0.5% of the starting price.</summary>
    private static long PriceAt(SymbolMarket market, long intervalMs, long time)
    {
        var h = Mix(Seed(market, intervalMs) ^ (ulong)time * 0x9E3779B97F4A7C15UL);
        var ticks = market.InitialPrice / market.TickSize;
        var offset = ((long)(h % 10_001) - 5_000) * ticks / 1_000_000; // ±0.5%
        return (ticks + offset) * market.TickSize;
    }

    private static ulong Seed(SymbolMarket market, long intervalMs) => Mix((ulong)market.Rank * 0xD1B54A32D192ED03UL ^ (ulong)intervalMs);

    private static long Floor(long t, long ms) => t - (((t % ms) + ms) % ms);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
