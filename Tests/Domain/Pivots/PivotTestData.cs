using MarketData.Candles;
using MarketData.Domain.Pivots;
using MarketData.Pivots;

namespace MarketData.Tests.Domain.Pivots;

/// <summary>Candle builders and an independent, deliberately plain batch implementation of the definitions.</summary>
internal static class PivotTestData
{
    public const long Start = 1_700_000_000_000;
    public const long Step = 1_000;

    public static Candle C(int i, long high, long low, long volume = 1)
        => new() { OpenTime = Start + (i * Step), CloseTime = Start + (i * Step) + Step - 1, Open = low, High = high, Low = low, Close = high, Volume = volume, Flags = CandleFlags.Closed };

    /// <summary>Candles from (high, low) pairs, one a second.</summary>
    public static Candle[] Series(params (long High, long Low)[] bars) => bars.Select((b, i) => C(i, b.High, b.Low)).ToArray();

    /// <summary>Candles whose high and low are the given values plus/minus 1 (lows mirrored from highs for symmetric tests).</summary>
    public static Candle[] FromHighs(params long[] highs) => highs.Select((h, i) => C(i, h, h - 1)).ToArray();

    public static Candle[] FromLows(params long[] lows) => lows.Select((l, i) => C(i, l + 1, l)).ToArray();

    /// <summary>A seeded random walk on a coarse grid (many ties and inside candles).</summary>
    public static Candle[] RandomWalk(int count, int seed, int spread = 3, long startPrice = 1_000, long gapEvery = 0)
    {
        var random = new Random(seed);
        var candles = new Candle[count];
        long price = startPrice;
        long time = Start;
        for (var i = 0; i < count; i++)
        {
            var open = price;
            price = Math.Max(spread + 2, price + random.Next(-spread, spread + 1));
            var high = Math.Max(open, price) + random.Next(0, spread);
            var low = Math.Max(1, Math.Min(open, price) - random.Next(0, spread));
            if (gapEvery > 0 && i % gapEvery == gapEvery - 1) time += Step * random.Next(1, 5); // missing candles
            candles[i] = new Candle { OpenTime = time, CloseTime = time + Step - 1, Open = open, High = high, Low = low, Close = price, Volume = random.Next(0, 100), Flags = CandleFlags.Closed };
            time += Step;
        }
        return candles;
    }

    /// <summary>Reference: the definitions applied in batch to a whole series, then the window applied.</summary>
    public static List<SwingPoint>[,] Reference(ReadOnlySpan<Candle> candles, PivotOptions options)
    {
        var levels = options.Levels;
        var s = options.Strength;
        var kept = new List<int>();
        foreach (var i in Enumerable.Range(0, candles.Length))
        {
            if (options.SkipInsideCandles && kept.Count > 0)
            {
                var last = candles[kept[^1]];
                if (candles[i].High <= last.High && candles[i].Low >= last.Low) continue;
            }
            kept.Add(i);
        }
        var result = new List<SwingPoint>[levels + 1, 2];
        for (var kind = 0; kind < 2; kind++)
        {
            var isHigh = kind == 0;
            var level1 = new List<SwingPoint>();
            for (var k = s; k + s < kept.Count; k++)
            {
                var c = candles[kept[k]];
                var price = isHigh ? c.High : c.Low;
                var ok = true;
                for (var j = 1; j <= s; j++)
                {
                    var left = candles[kept[k - j]];
                    var right = candles[kept[k + j]];
                    ok &= isHigh ? price > left.High && price >= right.High : price < left.Low && price <= right.Low;
                }
                if (ok)
                    level1.Add(new SwingPoint { Level = 1, Kind = isHigh ? SwingKind.High : SwingKind.Low, Time = c.OpenTime, Price = price, Strength = s, ConfirmedAt = candles[kept[k + s]].CloseTime, CandleIndex = kept[k] });
            }
            result[1, kind] = level1;
            for (var level = 2; level <= levels; level++)
            {
                var below = result[level - 1, kind];
                var points = new List<SwingPoint>();
                for (var j = 1; j + 1 < below.Count; j++)
                {
                    var p = below[j].Price;
                    var ok = isHigh ? p > below[j - 1].Price && p >= below[j + 1].Price : p < below[j - 1].Price && p <= below[j + 1].Price;
                    if (ok) points.Add(below[j] with { Level = level, Strength = 1, ConfirmedAt = below[j + 1].ConfirmedAt });
                }
                result[level, kind] = points;
            }
        }
        if (candles.Length > 0)
        {
            var cutoff = long.MinValue;
            foreach (var c in candles) cutoff = Math.Max(cutoff, c.CloseTime + 1 - options.WindowMs);
            for (var level = 1; level <= levels; level++)
                for (var kind = 0; kind < 2; kind++)
                    result[level, kind] = result[level, kind].Where(p => p.Time >= cutoff).ToList();
        }
        return result;
    }

    public static IReadOnlyList<SwingPoint> Pivots(this WilliamsPivotEngine engine, int level, SwingKind kind, long? asOf = null)
        => engine.GetPivots(level, kind, asOf);

    /// <summary>Asserts the engine holds exactly the reference's pivots on every level.</summary>
    public static void AssertMatchesReference(WilliamsPivotEngine engine, List<SwingPoint>[,] reference, string context)
    {
        for (var level = 1; level <= engine.Levels; level++)
        {
            foreach (var kind in (SwingKind[])[SwingKind.High, SwingKind.Low])
            {
                var expected = reference[level, (int)kind];
                var actual = engine.GetPivots(level, kind);
                if (!expected.SequenceEqual(actual))
                    Assert.Fail($"{context}: level {level} {kind}: expected {expected.Count} [{Describe(expected)}], got {actual.Count} [{Describe(actual)}]");
            }
        }
    }

    public static string Describe(IEnumerable<SwingPoint> points)
        => string.Join(", ", points.Take(12).Select(p => $"#{p.CandleIndex}@{p.Price}/c{p.ConfirmedAt - Start}"));
}
