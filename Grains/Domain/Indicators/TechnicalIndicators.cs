using System.Buffers;
using MarketData.Candles;
using MarketData.Inputs;
using MarketData.Instruments;

namespace MarketData.Domain.Indicators;

/// <summary>MACD as of the last close. <see cref="Signal"/> and <see cref="Histogram"/> warm up later than <see cref="Line"/>.</summary>
/// <param name="FastEma">The fast EMA the line is taken from: bit for bit <c>Ema(closes, fast)</c>, so a caller needing
/// both does not run the same recurrence twice. Null exactly when <see cref="Line"/> is.</param>
/// <param name="SlowEma">The slow EMA, likewise <c>Ema(closes, slow)</c>.</param>
public readonly record struct MacdValue(double? Line, double? Signal, double? Histogram, double? FastEma = null, double? SlowEma = null);

/// <summary>Bollinger bands as of the last close.</summary>
/// <param name="PercentB">(close - lower) / (upper - lower); null when the band has no width (flat window).</param>
/// <param name="Bandwidth">(upper - lower) / middle; null when the middle is 0.</param>
public readonly record struct BollingerValue(double Middle, double Upper, double Lower, double? PercentB, double? Bandwidth);

/// <summary>
/// Classic technical indicators, each the value as of the last element of its input (no series are returned).
/// Every function is one forward pass without heap allocation, so the market-data grain can afford them on each
/// snapshot. Prices are doubles in quote units: indicators are floating point by nature, and the fixed-point
/// candles are converted once, at the edge, in <see cref="Compute"/>. A value is null while its input is shorter
/// than its definition needs (the warm-up), never a guess from fewer points.
/// Formulas, warm-ups and defaults: docs/indicators.md.
/// </summary>
public static class TechnicalIndicators
{
    // Close series up to this length live on the stack (at most 8 KB); longer ones are rented.
    private const int StackCloses = 1024;

    /// <summary>
    /// Exponential moving average with smoothing a = 2/(period+1): seeded with the simple mean of the first
    /// <paramref name="period"/> values (so the start does not depend on one arbitrary first value), then
    /// e = a*x + (1-a)*e for every later value. Null with fewer than <paramref name="period"/> values.
    /// </summary>
    public static double? Ema(ReadOnlySpan<double> values, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        if (values.Length < period) return null;
        var ema = Mean(values[..period]);
        var a = 2.0 / (period + 1);
        var b = 1 - a;
        for (var i = period; i < values.Length; i++)
            ema = a * values[i] + b * ema;
        return ema;
    }

    /// <summary>
    /// Wilder's relative strength index, 0..100. Changes d = close[i] - close[i-1] split into gains (d &gt; 0) and
    /// losses (-d when d &lt; 0). The first average gain and loss are simple means of the first <paramref name="period"/>
    /// changes; later ones use Wilder's smoothing avg = (prev*(period-1) + x)/period (an EMA with a = 1/period, which
    /// is what makes RSI(14) "Wilder's"). RSI = 100 - 100/(1 + avgGain/avgLoss); no losses gives 100, and neither gains
    /// nor losses (a flat series) gives the neutral 50. Null with fewer than period+1 closes.
    /// </summary>
    public static double? Rsi(ReadOnlySpan<double> closes, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        if (closes.Length < period + 1) return null;
        double gain = 0, loss = 0;
        for (var i = 1; i <= period; i++)
        {
            var change = closes[i] - closes[i - 1];
            if (change > 0) gain += change;
            else loss -= change;
        }
        gain /= period;
        loss /= period;
        // (prev*(p-1) + x)/p written as prev*keep + x*take: a divide on the loop-carried chain costs about three times
        // a multiply, and the chain's latency is the whole cost of this loop.
        var take = 1.0 / period;
        var keep = (period - 1) * take;
        for (var i = period + 1; i < closes.Length; i++)
        {
            var change = closes[i] - closes[i - 1];
            // Both averages decay every step; only one of them takes the change.
            gain = gain * keep + (change > 0 ? change : 0) * take;
            loss = loss * keep + (change < 0 ? -change : 0) * take;
        }
        if (loss == 0) return gain == 0 ? 50 : 100;
        return 100 - 100 / (1 + gain / loss);
    }

    /// <summary>
    /// Moving average convergence/divergence. Line = EMA(fast) - EMA(slow) of the same closes, each EMA seeded as in
    /// <see cref="Ema"/> on its own first values and run through, so the line exists from close index slow-1 on.
    /// Signal = EMA(signal) of that line series, seeded with the mean of its first <paramref name="signal"/> values;
    /// histogram = line - signal. Line null with fewer than <paramref name="slow"/> closes; signal and histogram null
    /// with fewer than slow+signal-1.
    /// </summary>
    public static MacdValue Macd(ReadOnlySpan<double> closes, int fast, int slow, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fast, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(slow, fast);
        if (closes.Length < slow) return default;

        // Fast EMA: seeded at index fast-1, brought up to index slow-1 where both series start.
        var aFast = 2.0 / (fast + 1);
        var bFast = 1 - aFast;
        var emaFast = Mean(closes[..fast]);
        for (var i = fast; i < slow; i++) emaFast = aFast * closes[i] + bFast * emaFast;
        var emaSlow = Mean(closes[..slow]);
        var aSlow = 2.0 / (slow + 1);
        var bSlow = 1 - aSlow;

        // The line series is never stored: its first `signal` values are summed for the seed, later ones smoothed.
        var line = emaFast - emaSlow;
        var aSignal = 2.0 / (signal + 1);
        var bSignal = 1 - aSignal;
        var seen = 1;
        var signalValue = line; // running sum until `signal` line values were seen, then the EMA
        if (seen == signal) signalValue /= signal;
        for (var i = slow; i < closes.Length; i++)
        {
            var x = closes[i];
            emaFast = aFast * x + bFast * emaFast;
            emaSlow = aSlow * x + bSlow * emaSlow;
            line = emaFast - emaSlow;
            seen++;
            if (seen < signal) signalValue += line;
            else if (seen == signal) signalValue = (signalValue + line) / signal;
            else signalValue = aSignal * line + bSignal * signalValue;
        }
        return seen < signal
            ? new MacdValue(line, null, null, emaFast, emaSlow)
            : new MacdValue(line, signalValue, line - signalValue, emaFast, emaSlow);
    }

    /// <summary>
    /// Bollinger bands over the last <paramref name="period"/> closes: middle = their simple mean, sd = their
    /// population standard deviation (divide by N: the window is the whole population being described),
    /// upper/lower = middle ± <paramref name="width"/>*sd. %B places the last close in the band (0 = lower, 1 = upper);
    /// bandwidth is the band's width relative to its middle. Null with fewer than <paramref name="period"/> closes.
    /// A window of identical closes has exactly zero width (no rounding residue), hence a null %B.
    /// </summary>
    public static BollingerValue? Bollinger(ReadOnlySpan<double> closes, int period, double width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        if (!(width > 0)) throw new ArgumentOutOfRangeException(nameof(width), width, "Bollinger width must be positive.");
        if (closes.Length < period) return null;
        var window = closes[^period..];
        double sum = 0, min = window[0], max = window[0];
        foreach (var x in window)
        {
            sum += x;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        double middle, sd;
        if (min == max)
        {
            middle = min;
            sd = 0;
        }
        else
        {
            middle = sum / period;
            // Two passes (deviations from the mean) rather than E[x²] - E[x]²: prices near 60,000 with a spread of a
            // few units would lose most digits to cancellation in the one-pass form.
            double squares = 0;
            foreach (var x in window)
            {
                var d = x - middle;
                squares += d * d;
            }
            sd = Math.Sqrt(squares / period);
        }
        var upper = middle + width * sd;
        var lower = middle - width * sd;
        double? percentB = upper == lower ? null : (closes[^1] - lower) / (upper - lower);
        double? bandwidth = middle == 0 ? null : (upper - lower) / middle;
        return new BollingerValue(middle, upper, lower, percentB, bandwidth);
    }

    /// <summary>
    /// Wilder's average true range, in quote units. The true range of candle i (i &gt;= 1) is
    /// max(high - low, |high - previous close|, |low - previous close|), so gaps between candles count as range.
    /// Seeded with the mean of the first <paramref name="period"/> true ranges (candles 1..period), then
    /// atr = (atr*(period-1) + tr)/period. True ranges are taken exactly in fixed point and converted once each.
    /// Null with fewer than period+1 candles.
    /// </summary>
    public static double? Atr(ReadOnlySpan<Candle> candles, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        if (candles.Length < period + 1) return null;
        long seed = 0; // sum of `period` exact true ranges: far below long.MaxValue for any real price
        for (var i = 1; i <= period; i++) seed += TrueRange(candles[i], candles[i - 1].Close);
        var atr = seed / (double)FixedPoint.Scale / period;
        var take = 1.0 / period; // multiplies instead of divides on the loop-carried chain, as in Rsi
        var keep = (period - 1) * take;
        for (var i = period + 1; i < candles.Length; i++)
            atr = atr * keep + TrueRange(candles[i], candles[i - 1].Close) / (double)FixedPoint.Scale * take;
        return atr;
    }

    /// <summary>
    /// Volume-weighted average price over all the candles: sum(quote volume) / sum(base volume). This is the exact
    /// traded VWAP (each candle's quote volume is the sum of price*quantity of its trades), not the usual
    /// typical-price approximation. Both sums are exact (128-bit) and the 10^8 scales cancel in the ratio.
    /// Null when the total volume is 0.
    /// </summary>
    public static double? Vwap(ReadOnlySpan<Candle> candles)
    {
        Int128 quote = 0, volume = 0;
        foreach (ref readonly var candle in candles)
        {
            quote += candle.QuoteVolume;
            volume += candle.Volume;
        }
        return volume == 0 ? null : (double)quote / (double)volume;
    }

    /// <summary>
    /// Every indicator of <paramref name="settings"/> as of the last of <paramref name="candles"/> (oldest first; the
    /// caller passes the candles it wants counted, normally the closed ones). Empty input gives every value null,
    /// Candles 0 and AsOf 0. Throws <see cref="ArgumentException"/> with the reason when the settings are invalid.
    /// </summary>
    public static IndicatorSet Compute(Timeframe timeframe, ReadOnlySpan<Candle> candles, IndicatorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Validate() is { } problem) throw new ArgumentException(problem, nameof(settings));
        if (candles.IsEmpty) return new IndicatorSet { Timeframe = timeframe };

        double[]? rented = null;
        Span<double> closes = candles.Length <= StackCloses
            ? stackalloc double[candles.Length]
            : (rented = ArrayPool<double>.Shared.Rent(candles.Length)).AsSpan(0, candles.Length);
        try
        {
            for (var i = 0; i < candles.Length; i++) closes[i] = candles[i].Close / (double)FixedPoint.Scale;
            var macd = Macd(closes, settings.MacdFast, settings.MacdSlow, settings.MacdSignal);
            var bands = Bollinger(closes, settings.Bollinger, settings.BollingerWidth);
            return new IndicatorSet
            {
                Timeframe = timeframe,
                Candles = candles.Length,
                AsOf = candles[^1].CloseTime,
                Close = closes[^1],
                EmaFast = EmaReusingMacd(closes, settings.EmaFast, settings, macd),
                EmaSlow = EmaReusingMacd(closes, settings.EmaSlow, settings, macd),
                Rsi = Rsi(closes, settings.Rsi),
                Macd = macd.Line,
                MacdSignal = macd.Signal,
                MacdHistogram = macd.Histogram,
                BollingerMiddle = bands?.Middle,
                BollingerUpper = bands?.Upper,
                BollingerLower = bands?.Lower,
                BollingerPercentB = bands?.PercentB,
                BollingerBandwidth = bands?.Bandwidth,
                Atr = Atr(candles, settings.Atr),
                Vwap = Vwap(candles),
            };
        }
        finally
        {
            if (rented is not null) ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>With the default periods the MACD pass has already run both EMAs: take them rather than run the
    /// same recurrence again (each pass is about a nanosecond a candle, a third of <see cref="Compute"/>).</summary>
    private static double? EmaReusingMacd(ReadOnlySpan<double> closes, int period, IndicatorSettings settings, in MacdValue macd)
        => period == settings.MacdFast && macd.FastEma is { } fast ? fast
            : period == settings.MacdSlow && macd.SlowEma is { } slow ? slow
            : Ema(closes, period);

    private static long TrueRange(in Candle candle, long previousClose)
        => Math.Max(candle.High - candle.Low, Math.Max(Math.Abs(candle.High - previousClose), Math.Abs(candle.Low - previousClose)));

    private static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (var x in values) sum += x;
        return sum / values.Length;
    }
}
