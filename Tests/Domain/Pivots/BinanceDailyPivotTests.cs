using MarketData.Candles;
using MarketData.Domain.Pivots;
using MarketData.Instruments;
using MarketData.Pivots;
using MarketData.Tests.Recording;
using Xunit.Abstractions;

namespace MarketData.Tests.Domain.Pivots;

/// <summary>Invariants of the pivot structure on real daily BTCUSDT klines (../shared/data/static-klines, test-only data).</summary>
public sealed class BinanceDailyPivotTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Daily_btcusdt_structure_satisfies_the_definitions()
    {
        var path = RecordingTestFiles.SharedData("static-klines/BTCUSDT-1d.csv");
        if (path is null)
            throw new SkipException("../shared/data/static-klines/BTCUSDT-1d.csv absent");
        var candles = File.ReadLines(path).Where(l => l.Length > 0).Select(Parse).ToArray();
        Assert.True(candles.Length > 3000);

        foreach (var skipInside in new[] { false, true })
        {
            var options = new PivotOptions { SkipInsideCandles = skipInside, WindowMs = 20L * 365 * 86_400_000, SupportResistanceMinLevel = 1 };
            var engine = WilliamsPivotEngine.Compute(candles, options);
            Assert.Equal(candles.Length, engine.TotalCandles);
            PivotTestData.AssertMatchesReference(engine, PivotTestData.Reference(candles, options), $"skipInside={skipInside}");

            var byIndex = candles;
            foreach (var kind in (SwingKind[])[SwingKind.High, SwingKind.Low])
            {
                foreach (var p in engine.GetPivots(1, kind))
                {
                    var i = (int)p.CandleIndex;
                    var c = byIndex[i];
                    Assert.Equal(kind == SwingKind.High ? c.High : c.Low, p.Price);
                    Assert.True(p.ConfirmedAt > p.Time);
                    if (!skipInside)
                    {
                        // Local extreme under the tie rule: strictly beyond the previous candle, at least equal to the next,
                        // and confirmed by the next candle's close.
                        Assert.True(kind == SwingKind.High ? p.Price > byIndex[i - 1].High && p.Price >= byIndex[i + 1].High : p.Price < byIndex[i - 1].Low && p.Price <= byIndex[i + 1].Low);
                        Assert.Equal(byIndex[i + 1].CloseTime, p.ConfirmedAt);
                    }
                }
                for (var level = 2; level <= 5; level++)
                {
                    var below = engine.GetPivots(level - 1, kind).ToDictionary(p => p.CandleIndex);
                    foreach (var p in engine.GetPivots(level, kind))
                    {
                        Assert.True(below.TryGetValue(p.CandleIndex, out var lower), $"level {level} point not at level {level - 1}");
                        Assert.True(p.ConfirmedAt >= lower.ConfirmedAt);
                    }
                }
            }

            // No look-ahead on a few dates: recomputing on the truncated history gives the filtered structure.
            foreach (var cut in new[] { 400, 1_234, 2_000, candles.Length - 7 })
            {
                var t = candles[cut].CloseTime;
                var truncated = WilliamsPivotEngine.Compute(candles.AsSpan(0, cut + 1), options);
                for (var level = 1; level <= 5; level++)
                    Assert.Equal(engine.GetPivots(level, t), truncated.GetPivots(level));
            }

            var counts = string.Join(", ", Enumerable.Range(1, 5).Select(k => $"L{k} {engine.GetPivots(k).Count}"));
            var top = engine.GetPivots(5, maxCount: 4);
            output.WriteLine($"skipInside={skipInside}: {candles.Length} days; {counts}; trends {string.Join("/", Enumerable.Range(1, 5).Select(k => engine.TrendOf(k)))}; " +
                $"last level-5: {string.Join(", ", top.Select(p => $"{p.Kind} {FixedPoint.ToText(p.Price)} on {DateTimeOffset.FromUnixTimeMilliseconds(p.Time):yyyy-MM-dd}"))}");
            var bounds = engine.GetBounds()!;
            Assert.Equal(candles.Min(c => c.Low), bounds.PriceMin);
            Assert.Equal(candles.Max(c => c.High), bounds.PriceMax);
        }
    }

    private static Candle Parse(string line)
    {
        var f = line.Split(',');
        return new Candle
        {
            OpenTime = long.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture),
            Open = Fixed(f[1]),
            High = Fixed(f[2]),
            Low = Fixed(f[3]),
            Close = Fixed(f[4]),
            Volume = Fixed(f[5]),
            CloseTime = long.Parse(f[6], System.Globalization.CultureInfo.InvariantCulture),
            Source = CandleSource.BinanceRest,
            Flags = CandleFlags.Closed,
        };

        static long Fixed(string text) => FixedPoint.TryParse(text, out var value) ? value : throw new FormatException(text);
    }
}
