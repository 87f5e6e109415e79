using MarketData.Candles;
using MarketData.Instruments;

namespace MarketData.Tests.Domain.Indicators;

/// <summary>
/// Naive indicators written straight from their definitions (whole series as lists, no streaming, no tricks), to
/// check the optimised <c>TechnicalIndicators</c> against. Each returns the full series; callers take the last value.
/// </summary>
internal static class ReferenceIndicators
{
    /// <summary>EMA series; element k is the EMA at value index k + period - 1.</summary>
    public static List<double> EmaSeries(IReadOnlyList<double> values, int period)
    {
        var result = new List<double>();
        if (values.Count < period) return result;
        var seed = 0.0;
        for (var i = 0; i < period; i++) seed += values[i];
        result.Add(seed / period);
        var alpha = 2.0 / (period + 1);
        for (var i = period; i < values.Count; i++)
            result.Add(alpha * values[i] + (1 - alpha) * result[^1]);
        return result;
    }

    public static double? Ema(IReadOnlyList<double> values, int period)
    {
        var series = EmaSeries(values, period);
        return series.Count == 0 ? null : series[^1];
    }

    public static double? Rsi(IReadOnlyList<double> closes, int period)
    {
        if (closes.Count < period + 1) return null;
        var gains = new List<double>();
        var losses = new List<double>();
        for (var i = 1; i < closes.Count; i++)
        {
            var change = closes[i] - closes[i - 1];
            gains.Add(Math.Max(change, 0));
            losses.Add(Math.Max(-change, 0));
        }
        var avgGain = gains.Take(period).Average();
        var avgLoss = losses.Take(period).Average();
        for (var i = period; i < gains.Count; i++)
        {
            avgGain = (avgGain * (period - 1) + gains[i]) / period;
            avgLoss = (avgLoss * (period - 1) + losses[i]) / period;
        }
        if (avgGain == 0 && avgLoss == 0) return 50;
        if (avgLoss == 0) return 100;
        return 100 - 100 / (1 + avgGain / avgLoss);
    }

    public static (double? Line, double? Signal, double? Histogram) Macd(IReadOnlyList<double> closes, int fast, int slow, int signal)
    {
        var fastSeries = EmaSeries(closes, fast);   // starts at close index fast-1
        var slowSeries = EmaSeries(closes, slow);   // starts at close index slow-1
        var line = new List<double>();
        for (var k = 0; k < slowSeries.Count; k++)
            line.Add(fastSeries[k + slow - fast] - slowSeries[k]); // both at close index k + slow - 1
        if (line.Count == 0) return (null, null, null);
        var signalSeries = EmaSeries(line, signal);
        if (signalSeries.Count == 0) return (line[^1], null, null);
        return (line[^1], signalSeries[^1], line[^1] - signalSeries[^1]);
    }

    public static (double Middle, double Upper, double Lower, double? PercentB, double? Bandwidth)? Bollinger(IReadOnlyList<double> closes, int period, double width)
    {
        if (closes.Count < period) return null;
        var window = closes.Skip(closes.Count - period).ToList();
        var middle = window.Average();
        var variance = window.Sum(x => (x - middle) * (x - middle)) / period;
        var sd = Math.Sqrt(variance);
        var upper = middle + width * sd;
        var lower = middle - width * sd;
        double? percentB = upper == lower ? null : (closes[^1] - lower) / (upper - lower);
        double? bandwidth = middle == 0 ? null : (upper - lower) / middle;
        return (middle, upper, lower, percentB, bandwidth);
    }

    public static double? Atr(IReadOnlyList<Candle> candles, int period)
    {
        if (candles.Count < period + 1) return null;
        var ranges = new List<double>();
        for (var i = 1; i < candles.Count; i++)
        {
            var high = ToDouble(candles[i].High);
            var low = ToDouble(candles[i].Low);
            var previousClose = ToDouble(candles[i - 1].Close);
            ranges.Add(new[] { high - low, Math.Abs(high - previousClose), Math.Abs(low - previousClose) }.Max());
        }
        var atr = ranges.Take(period).Average();
        for (var i = period; i < ranges.Count; i++)
            atr = (atr * (period - 1) + ranges[i]) / period;
        return atr;
    }

    /// <summary>In decimal: the exact sums, then one division.</summary>
    public static double? Vwap(IReadOnlyList<Candle> candles)
    {
        var quote = candles.Sum(c => FixedPoint.ToDecimal(c.QuoteVolume));
        var volume = candles.Sum(c => FixedPoint.ToDecimal(c.Volume));
        return volume == 0 ? null : (double)(quote / volume);
    }

    private static double ToDouble(long fixedPoint) => (double)FixedPoint.ToDecimal(fixedPoint);
}
