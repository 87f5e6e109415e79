using MarketData.Candles;
using MarketData.Domain.Indicators;
using MarketData.Inputs;
using static MarketData.Tests.Domain.Indicators.IndicatorTestData;

namespace MarketData.Tests.Domain.Indicators;

/// <summary>Each indicator on tiny series worked out by hand (arithmetic in the comments), warm-up boundaries and edge cases.</summary>
public class TechnicalIndicatorsTests
{
    private const double Tolerance = 1e-12;

    // ---------------------------------------------------------------- EMA

    [Fact]
    public void Ema_of_one_to_five_period_three_by_hand()
    {
        // a = 2/(3+1) = 0.5; seed = mean(1, 2, 3) = 2; then 0.5*4 + 0.5*2 = 3; 0.5*5 + 0.5*3 = 4.
        Assert.Equal(4, TechnicalIndicators.Ema([1, 2, 3, 4, 5], 3)!.Value, Tolerance);
        Assert.Equal(3, TechnicalIndicators.Ema([1, 2, 3, 4], 3)!.Value, Tolerance);
        Assert.Equal(2, TechnicalIndicators.Ema([1, 2, 3], 3)!.Value, Tolerance); // exactly `period` values: the seed
    }

    [Fact]
    public void Ema_with_non_half_alpha_by_hand()
    {
        // period 2: a = 2/3; seed = mean(2, 4) = 3; 2/3*6 + 1/3*3 = 5; 2/3*8 + 1/3*5 = 7; 2/3*12 + 1/3*7 = 31/3.
        Assert.Equal(31.0 / 3, TechnicalIndicators.Ema([2, 4, 6, 8, 12], 2)!.Value, Tolerance);
    }

    [Fact]
    public void Ema_warm_up_is_exactly_period_values()
    {
        Assert.Null(TechnicalIndicators.Ema([1, 2], 3));
        Assert.NotNull(TechnicalIndicators.Ema([1, 2, 3], 3));
        Assert.Null(TechnicalIndicators.Ema([], 1));
        Assert.Equal(7, TechnicalIndicators.Ema([7], 1)!.Value); // period 1: a = 1, the EMA is the last value
        Assert.Throws<ArgumentOutOfRangeException>(() => TechnicalIndicators.Ema([1, 2], 0));
    }

    [Fact]
    public void Ema_of_a_ramp_lags_by_half_the_period_minus_one()
    {
        // Derived from the definition: on x_i = i the seed mean of the first p values lags the last of them by (p-1)/2,
        // and if e = x - L then the next e = x' - (1-a)(1+L), whose fixed point is L = (1-a)/a = (p-1)/2. So the lag
        // stays exactly (p-1)/2 forever: EMA(12) of 1..300 is 300 - 5.5 and EMA(26) is 300 - 12.5.
        var ramp = Enumerable.Range(1, 300).Select(i => (double)i).ToArray();
        Assert.Equal(294.5, TechnicalIndicators.Ema(ramp, 12)!.Value, 1e-9);
        Assert.Equal(287.5, TechnicalIndicators.Ema(ramp, 26)!.Value, 1e-9);
    }

    // ---------------------------------------------------------------- RSI

    [Fact]
    public void Rsi_period_three_by_hand()
    {
        // closes 10, 11, 10.5, 11.5, 11, 12 -> changes +1, -0.5, +1, -0.5, +1.
        // First three: avgGain = (1 + 1)/3 = 2/3, avgLoss = 0.5/3 = 1/6 -> RS = 4 -> RSI = 100 - 100/5 = 80.
        // -0.5: gain = (2/3*2 + 0)/3 = 4/9, loss = (1/6*2 + 0.5)/3 = 5/18.
        // +1:   gain = (4/9*2 + 1)/3 = 17/27, loss = (5/18*2 + 0)/3 = 5/27 -> RS = 3.4 -> RSI = 100 - 100/4.4 = 850/11.
        double[] closes = [10, 11, 10.5, 11.5, 11, 12];
        Assert.Equal(80, TechnicalIndicators.Rsi(closes.AsSpan(0, 4), 3)!.Value, 1e-10);
        Assert.Equal(100 - 100 / (1 + (4.0 / 9) / (5.0 / 18)), TechnicalIndicators.Rsi(closes.AsSpan(0, 5), 3)!.Value, 1e-10); // RS 1.6 -> 61.538...
        Assert.Equal(850.0 / 11, TechnicalIndicators.Rsi(closes, 3)!.Value, 1e-10);
    }

    [Fact]
    public void Rsi_warm_up_needs_period_plus_one_closes()
    {
        Assert.Null(TechnicalIndicators.Rsi([1, 2, 3], 3));
        Assert.NotNull(TechnicalIndicators.Rsi([1, 2, 3, 4], 3));
    }

    [Fact]
    public void Rsi_flat_is_50_only_rises_is_100_only_falls_is_0()
    {
        Assert.Equal(50, TechnicalIndicators.Rsi(Enumerable.Repeat(61_234.56, 40).ToArray(), 14));
        Assert.Equal(100, TechnicalIndicators.Rsi(Enumerable.Range(1, 40).Select(i => (double)i).ToArray(), 14));
        Assert.Equal(0, TechnicalIndicators.Rsi(Enumerable.Range(1, 40).Select(i => 100.0 - i).ToArray(), 14));
        // Rises with flat steps in between still have no loss at all.
        Assert.Equal(100, TechnicalIndicators.Rsi([1, 1, 2, 2, 3, 3, 4], 3));
    }

    // ---------------------------------------------------------------- MACD

    [Fact]
    public void Macd_fast2_slow3_signal2_by_hand()
    {
        // closes 2, 4, 6, 5, 7.
        // fast (a = 2/3): seed mean(2, 4) = 3 at index 1; index 2: 2/3*6 + 1/3*3 = 5; index 3: 10/3 + 5/3 = 5; index 4: 14/3 + 5/3 = 19/3.
        // slow (a = 1/2): seed mean(2, 4, 6) = 4 at index 2; index 3: 2.5 + 2 = 4.5; index 4: 3.5 + 2.25 = 5.75.
        // line: 5 - 4 = 1, 5 - 4.5 = 0.5, 19/3 - 23/4 = 7/12.
        // signal (a = 2/3): seed mean(1, 0.5) = 0.75 at index 3; index 4: 2/3*7/12 + 1/3*3/4 = 14/36 + 9/36 = 23/36.
        // histogram: 7/12 - 23/36 = -1/18; at index 3: 0.5 - 0.75 = -0.25.
        double[] closes = [2, 4, 6, 5, 7];

        var atSlow = TechnicalIndicators.Macd(closes.AsSpan(0, 3), 2, 3, 2);
        Assert.Equal(1, atSlow.Line!.Value, Tolerance);
        Assert.Null(atSlow.Signal);      // 3 closes < slow + signal - 1 = 4
        Assert.Null(atSlow.Histogram);

        var atSignal = TechnicalIndicators.Macd(closes.AsSpan(0, 4), 2, 3, 2);
        Assert.Equal(0.5, atSignal.Line!.Value, Tolerance);
        Assert.Equal(0.75, atSignal.Signal!.Value, Tolerance);
        Assert.Equal(-0.25, atSignal.Histogram!.Value, Tolerance);

        var all = TechnicalIndicators.Macd(closes, 2, 3, 2);
        Assert.Equal(7.0 / 12, all.Line!.Value, Tolerance);
        Assert.Equal(23.0 / 36, all.Signal!.Value, Tolerance);
        Assert.Equal(-1.0 / 18, all.Histogram!.Value, Tolerance);

        Assert.Equal(default, TechnicalIndicators.Macd(closes.AsSpan(0, 2), 2, 3, 2)); // fewer than slow: all null
    }

    [Fact]
    public void Macd_exposes_its_emas_bit_for_bit()
    {
        var closes = Closes(RandomWalk(300, seed: 4));
        var m = TechnicalIndicators.Macd(closes, 12, 26, 9);
        Assert.Equal(TechnicalIndicators.Ema(closes, 12), m.FastEma);
        Assert.Equal(TechnicalIndicators.Ema(closes, 26), m.SlowEma);
        Assert.Equal(m.FastEma - m.SlowEma, m.Line);
        var early = TechnicalIndicators.Macd(closes.AsSpan(0, 25), 12, 26, 9);
        Assert.Null(early.FastEma); // null with the line, although EMA(12) of 25 closes exists
        Assert.Null(early.SlowEma);
    }

    [Fact]
    public void Macd_signal_one_equals_the_line()
    {
        var m = TechnicalIndicators.Macd([2, 4, 6, 5, 7], 2, 3, 1);
        Assert.Equal(m.Line, m.Signal);
        Assert.Equal(0, m.Histogram);
    }

    [Fact]
    public void Macd_default_warm_up_boundaries()
    {
        var ramp = Enumerable.Range(1, 40).Select(i => (double)i).ToArray();
        Assert.Null(TechnicalIndicators.Macd(ramp.AsSpan(0, 25), 12, 26, 9).Line);
        Assert.NotNull(TechnicalIndicators.Macd(ramp.AsSpan(0, 26), 12, 26, 9).Line);
        Assert.Null(TechnicalIndicators.Macd(ramp.AsSpan(0, 33), 12, 26, 9).Signal);
        Assert.NotNull(TechnicalIndicators.Macd(ramp.AsSpan(0, 34), 12, 26, 9).Signal);
    }

    [Fact]
    public void Macd_of_a_ramp_is_half_the_period_difference()
    {
        // From the EMA ramp identity: line = (26-1)/2 - (12-1)/2 = 7 at every index, so the signal (an EMA of a
        // constant) is 7 and the histogram 0.
        var ramp = Enumerable.Range(1, 300).Select(i => 1000.0 + i).ToArray();
        var m = TechnicalIndicators.Macd(ramp, 12, 26, 9);
        Assert.Equal(7, m.Line!.Value, 1e-9);
        Assert.Equal(7, m.Signal!.Value, 1e-9);
        Assert.Equal(0, m.Histogram!.Value, 1e-9);
    }

    [Fact]
    public void Macd_rejects_fast_not_below_slow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TechnicalIndicators.Macd([1, 2, 3], 3, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TechnicalIndicators.Macd([1, 2, 3], 1, 2, 0));
    }

    // ---------------------------------------------------------------- Bollinger

    [Fact]
    public void Bollinger_by_hand()
    {
        // window 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5; deviations -3, -1, -1, -1, 0, 0, 2, 4; squares sum 9+1+1+1+0+0+4+16 = 32;
        // population variance 32/8 = 4, sd 2. Width 2: upper 9, lower 1. Last close 9: %B = (9-1)/(9-1) = 1; bandwidth 8/5 = 1.6.
        // A leading 100 is outside the window and must not count.
        var b = TechnicalIndicators.Bollinger([100, 2, 4, 4, 4, 5, 5, 7, 9], 8, 2)!.Value;
        Assert.Equal(5, b.Middle, Tolerance);
        Assert.Equal(9, b.Upper, Tolerance);
        Assert.Equal(1, b.Lower, Tolerance);
        Assert.Equal(1, b.PercentB!.Value, Tolerance);
        Assert.Equal(1.6, b.Bandwidth!.Value, Tolerance);

        // Width 1 and last close at the middle: band 3..7, %B = (5-3)/4 = 0.5, bandwidth 4/5.
        var c = TechnicalIndicators.Bollinger([2, 4, 4, 4, 9, 7, 5, 5], 8, 1)!.Value;
        Assert.Equal(0.5, c.PercentB!.Value, Tolerance);
        Assert.Equal(0.8, c.Bandwidth!.Value, Tolerance);
    }

    [Fact]
    public void Bollinger_of_a_ramp_has_the_uniform_sd()
    {
        // Population sd of p consecutive integers is sqrt((p² - 1)/12): for p = 20, sqrt(399/12).
        var ramp = Enumerable.Range(1, 100).Select(i => 60_000.0 + i).ToArray();
        var b = TechnicalIndicators.Bollinger(ramp, 20, 2)!.Value;
        Assert.Equal(60_090.5, b.Middle, 1e-9);
        Assert.Equal(60_090.5 + 2 * Math.Sqrt(399.0 / 12), b.Upper, 1e-9);
    }

    [Fact]
    public void Bollinger_warm_up_flat_and_zero_middle()
    {
        Assert.Null(TechnicalIndicators.Bollinger([1, 2, 3], 4, 2));
        Assert.NotNull(TechnicalIndicators.Bollinger([1, 2, 3, 4], 4, 2));

        // 0.1 does not sum exactly in binary, yet a flat window must have exactly zero width.
        var flat = TechnicalIndicators.Bollinger(Enumerable.Repeat(0.1, 20).ToArray(), 20, 2)!.Value;
        Assert.Equal(0.1, flat.Middle);
        Assert.Equal(flat.Upper, flat.Lower);
        Assert.Null(flat.PercentB);
        Assert.Equal(0, flat.Bandwidth);

        var zero = TechnicalIndicators.Bollinger([-1, 1, -1, 1], 4, 2)!.Value;
        Assert.Equal(0, zero.Middle);
        Assert.Null(zero.Bandwidth);
        Assert.Equal(0.75, zero.PercentB!.Value, Tolerance); // sd 1, band -2..2, close 1
    }

    // ---------------------------------------------------------------- ATR

    [Fact]
    public void Atr_period_two_by_hand()
    {
        // candle 0: H 10,   L 9,    C 9.5
        // candle 1: H 11,   L 10,   C 10.5  TR = max(1, |11-9.5| = 1.5, |10-9.5| = 0.5)       = 1.5 (gap up counts)
        // candle 2: H 10.8, L 10.2, C 10.4  TR = max(0.6, |10.8-10.5| = 0.3, |10.2-10.5| = 0.3) = 0.6
        // candle 3: H 10,   L 9.5,  C 9.8   TR = max(0.5, |10-10.4| = 0.4, |9.5-10.4| = 0.9)  = 0.9 (gap down counts)
        // seed = (1.5 + 0.6)/2 = 1.05; then (1.05*1 + 0.9)/2 = 0.975.
        Candle[] candles = [Bar(0, 10m, 9m, 9.5m), Bar(1, 11m, 10m, 10.5m), Bar(2, 10.8m, 10.2m, 10.4m), Bar(3, 10m, 9.5m, 9.8m)];
        Assert.Null(TechnicalIndicators.Atr(candles.AsSpan(0, 2), 2));
        Assert.Equal(1.05, TechnicalIndicators.Atr(candles.AsSpan(0, 3), 2)!.Value, Tolerance);
        Assert.Equal(0.975, TechnicalIndicators.Atr(candles, 2)!.Value, Tolerance);
    }

    [Fact]
    public void Atr_of_a_flat_series_is_zero()
    {
        var candles = FromCloses(Enumerable.Repeat(61_234.56m, 30).ToArray());
        Assert.Equal(0, TechnicalIndicators.Atr(candles, 14));
    }

    // ---------------------------------------------------------------- VWAP

    [Fact]
    public void Vwap_is_total_quote_over_total_volume()
    {
        // 1 at 100 (quote 100) and 3 at 110 (quote 330): 430 / 4 = 107.5 (not the mean of closes, 105).
        Candle[] candles = [Bar(0, 101m, 99m, 100m, volume: 1m, quoteVolume: 100m), Bar(1, 111m, 109m, 110m, volume: 3m, quoteVolume: 330m)];
        Assert.Equal(107.5, TechnicalIndicators.Vwap(candles)!.Value, Tolerance);
    }

    [Fact]
    public void Vwap_with_no_volume_is_null()
    {
        Assert.Null(TechnicalIndicators.Vwap([]));
        Assert.Null(TechnicalIndicators.Vwap([Bar(0, 2m, 1m, 1.5m, volume: 0m, quoteVolume: 0m)]));
    }

    [Fact]
    public void Vwap_does_not_overflow_on_a_year_of_daily_volume()
    {
        // 300 days of 30 billion USDT quote volume each: 9e12 in quote units is 9e20 scaled, beyond a long.
        var day = Bar(0, 61_000m, 59_000m, 60_000m, volume: 500_000m, quoteVolume: 30_000_000_000m);
        var candles = Enumerable.Repeat(day, 300).ToArray();
        Assert.Equal(60_000, TechnicalIndicators.Vwap(candles)!.Value, 1e-9);
    }

    // ---------------------------------------------------------------- Compute

    [Fact]
    public void Compute_on_no_candles_is_all_null()
    {
        var set = TechnicalIndicators.Compute(Timeframe.OneMinute, [], new IndicatorSettings());
        Assert.Equal(new IndicatorSet { Timeframe = Timeframe.OneMinute }, set);
        Assert.Equal(0, set.Candles);
        Assert.Equal(0, set.AsOf);
        Assert.Null(set.Close);
        Assert.Null(set.Vwap);
    }

    [Fact]
    public void Compute_fills_every_field_from_the_functions()
    {
        var candles = RandomWalk(300, seed: 5);
        var closes = Closes(candles);
        var s = new IndicatorSettings();
        var set = TechnicalIndicators.Compute(Timeframe.OneMinute, candles, s);
        var macd = TechnicalIndicators.Macd(closes, 12, 26, 9);
        var bands = TechnicalIndicators.Bollinger(closes, 20, 2)!.Value;

        Assert.Equal(Timeframe.OneMinute, set.Timeframe);
        Assert.Equal(300, set.Candles);
        Assert.Equal(candles[^1].CloseTime, set.AsOf);
        Assert.Equal(candles[^1].Close / 1e8, set.Close);
        Assert.Equal(TechnicalIndicators.Ema(closes, 12), set.EmaFast);
        Assert.Equal(TechnicalIndicators.Ema(closes, 26), set.EmaSlow);
        Assert.Equal(TechnicalIndicators.Rsi(closes, 14), set.Rsi);
        Assert.Equal(macd.Line, set.Macd);
        Assert.Equal(macd.Signal, set.MacdSignal);
        Assert.Equal(macd.Histogram, set.MacdHistogram);
        Assert.Equal(bands.Middle, set.BollingerMiddle);
        Assert.Equal(bands.Upper, set.BollingerUpper);
        Assert.Equal(bands.Lower, set.BollingerLower);
        Assert.Equal(bands.PercentB, set.BollingerPercentB);
        Assert.Equal(bands.Bandwidth, set.BollingerBandwidth);
        Assert.Equal(TechnicalIndicators.Atr(candles, 14), set.Atr);
        Assert.Equal(TechnicalIndicators.Vwap(candles), set.Vwap);
        foreach (var value in new[] { set.EmaFast, set.EmaSlow, set.Rsi, set.Macd, set.MacdSignal, set.MacdHistogram, set.BollingerPercentB, set.Atr, set.Vwap })
            Assert.True(value is { } v && double.IsFinite(v));
    }

    [Fact]
    public void Compute_honours_custom_settings()
    {
        var candles = RandomWalk(60, seed: 6);
        var closes = Closes(candles);
        var s = new IndicatorSettings { EmaFast = 5, EmaSlow = 50, Rsi = 7, MacdFast = 3, MacdSlow = 10, MacdSignal = 4, Bollinger = 10, BollingerWidth = 1.5, Atr = 5 };
        var set = TechnicalIndicators.Compute(Timeframe.OneSecond, candles, s);
        Assert.Equal(TechnicalIndicators.Ema(closes, 5), set.EmaFast);
        Assert.Equal(TechnicalIndicators.Ema(closes, 50), set.EmaSlow);
        Assert.Equal(TechnicalIndicators.Rsi(closes, 7), set.Rsi);
        Assert.Equal(TechnicalIndicators.Macd(closes, 3, 10, 4).Signal, set.MacdSignal);
        Assert.Equal(TechnicalIndicators.Bollinger(closes, 10, 1.5)!.Value.Upper, set.BollingerUpper);
        Assert.Equal(TechnicalIndicators.Atr(candles, 5), set.Atr);
    }

    [Theory]
    [InlineData(1, false)]   // one candle: only Close, AsOf, VWAP
    [InlineData(14, false)]  // RSI(14) and ATR(14) need 15
    [InlineData(15, true)]
    public void Compute_rsi_and_atr_boundary(int count, bool expected)
    {
        var set = TechnicalIndicators.Compute(Timeframe.OneMinute, RandomWalk(count, seed: 9), new IndicatorSettings());
        Assert.Equal(expected, set.Rsi is not null);
        Assert.Equal(expected, set.Atr is not null);
        Assert.NotNull(set.Close);
    }

    [Theory]
    [InlineData(19, false, false, false, false)]
    [InlineData(20, true, false, false, false)]   // Bollinger(20)
    [InlineData(25, true, false, false, false)]
    [InlineData(26, true, true, false, true)]     // MACD line and EMA(26)
    [InlineData(33, true, true, false, true)]
    [InlineData(34, true, true, true, true)]      // MACD signal: 26 + 9 - 1
    public void Compute_warm_up_boundaries(int count, bool bollinger, bool macdLine, bool macdSignal, bool emaSlow)
    {
        var set = TechnicalIndicators.Compute(Timeframe.OneMinute, RandomWalk(count, seed: 10), new IndicatorSettings());
        Assert.Equal(bollinger, set.BollingerMiddle is not null);
        Assert.Equal(macdLine, set.Macd is not null);
        Assert.Equal(macdSignal, set.MacdSignal is not null);
        Assert.Equal(macdSignal, set.MacdHistogram is not null);
        Assert.Equal(emaSlow, set.EmaSlow is not null);
        Assert.Equal(count >= 12, set.EmaFast is not null);
    }

    [Fact]
    public void Compute_on_a_flat_series()
    {
        var candles = FromCloses(Enumerable.Repeat(0.1m, 50).ToArray());
        var set = TechnicalIndicators.Compute(Timeframe.OneMinute, candles, new IndicatorSettings());
        Assert.Equal(50, set.Rsi);
        Assert.Null(set.BollingerPercentB);
        Assert.Equal(0, set.BollingerBandwidth);
        Assert.Equal(0, set.Atr);
        Assert.Equal(0, set.MacdHistogram!.Value, 1e-15);
        Assert.Equal(0.1, set.Vwap!.Value, 1e-15);
    }

    public static TheoryData<IndicatorSettings> InvalidSettings() => new()
    {
        new IndicatorSettings { Rsi = 0 },
        new IndicatorSettings { EmaFast = 1001 },
        new IndicatorSettings { MacdFast = 26, MacdSlow = 26 },
        new IndicatorSettings { MacdSignal = -1 },
        new IndicatorSettings { BollingerWidth = 0 },
        new IndicatorSettings { BollingerWidth = double.NaN },
        new IndicatorSettings { Atr = 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Compute_rejects_invalid_settings_with_their_reason(IndicatorSettings settings)
    {
        var error = Assert.Throws<ArgumentException>(() => TechnicalIndicators.Compute(Timeframe.OneMinute, RandomWalk(50, seed: 1), settings));
        Assert.StartsWith(settings.Validate()!, error.Message, StringComparison.Ordinal);
        Assert.Equal("settings", error.ParamName);
        // Rejected even with nothing to compute: bad configuration must not hide behind an empty series.
        Assert.Throws<ArgumentException>(() => TechnicalIndicators.Compute(Timeframe.OneMinute, [], settings));
    }
}
