using MarketData.Exchanges.Binance;
using MarketData.Recording;

namespace MarketData.Tests.Recording;

/// <summary>Facts read straight from a recording, for tests to compare what the grains made of it.</summary>
internal static class RecordedFacts
{
    /// <summary>The first and the last second (exchange time) of the symbol's depth diffs.</summary>
    public static (long First, long Last) DepthSeconds(string file, string symbol)
    {
        var parser = new BinanceFrameParser();
        long first = long.MaxValue, last = long.MinValue;
        foreach (var frame in new RecordingReader([file]).ReadFrames())
        {
            if (parser.Parse(frame.Payload.Span) != BinanceFrameKind.DepthUpdate || parser.Symbol != symbol) continue;
            var second = parser.EventTime - parser.EventTime % 1000;
            first = Math.Min(first, second);
            last = Math.Max(last, second);
        }
        return (first, last);
    }

    /// <summary>Trades per symbol.</summary>
    public static Dictionary<string, long> TradeCounts(string file)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var parser = new BinanceFrameParser();
        foreach (var frame in new RecordingReader([file]).ReadFrames())
            if (parser.Parse(frame.Payload.Span) == BinanceFrameKind.Trade)
                counts[parser.Symbol!] = counts.GetValueOrDefault(parser.Symbol!) + 1;
        return counts;
    }
}
