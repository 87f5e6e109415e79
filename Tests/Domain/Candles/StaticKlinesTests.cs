using MarketData.Candles;
using MarketData.Domain.Candles;
using Xunit.Abstractions;

namespace MarketData.Tests.Domain.Candles;

/// <summary>
/// Real Binance spot klines from ../shared/data/static-klines (test-only, no licence: read in place, never
/// copied): 1h from 2018-01 to 2026-04 and 1d. Aggregating the hours reproduces the exchange's days; the
/// outages in the hourly series show as gaps and cut-short bars.
/// </summary>
public class StaticKlinesTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("BTCUSDT")]
    [InlineData("ETHUSDT")]
    public void Aggregating_hours_reproduces_every_complete_exchange_day(string symbol)
    {
        var folder = CandleTestData.FindSharedFolder("static-klines");
        if (folder is null)
            throw new SkipException("../shared/data/static-klines absent");
        var hours = CandleTestData.ReadKlineCsv(Path.Combine(folder, $"{symbol}-1h.csv.gz"));
        var days = CandleTestData.ReadKlineCsv(Path.Combine(folder, $"{symbol}-1d.csv"));

        var aggregator = new CandleAggregator(Timeframe.OneHour, Timeframe.OneDay);
        var built = new Dictionary<long, Candle>();
        foreach (var hour in hours)
        {
            var result = aggregator.Add(hour, out var day);
            Assert.NotEqual(AggregateResult.Rejected, result);
            if (result == AggregateResult.Completed) built.Add(day.OpenTime, day);
        }

        var exchangeDays = days.ToDictionary(d => d.OpenTime);
        var compared = 0;
        foreach (var (open, day) in built)
        {
            Assert.True(exchangeDays.TryGetValue(open, out var expected), $"no exchange day at {open}");
            Assert.Equal(expected.Open, day.Open);
            Assert.Equal(expected.High, day.High);
            Assert.Equal(expected.Low, day.Low);
            Assert.Equal(expected.Close, day.Close);
            Assert.Equal(expected.Volume, day.Volume);
            Assert.Equal(expected.TradeCount, day.TradeCount);
            Assert.Equal(expected.CloseTime, day.CloseTime);
            Assert.Equal(CandleSource.Aggregated, day.Source);
            Assert.True(day.IsClosed);
            compared++;
        }
        output.WriteLine($"{symbol}: {hours.Count} hours, {days.Count} exchange days, {compared} complete days reproduced, " +
                         $"{aggregator.Counters.Incomplete} incomplete periods");
        Assert.Equal(3_013, compared);
        Assert.True(aggregator.Counters.Incomplete > 0);
    }

    [SkippableTheory]
    [InlineData("BTCUSDT")]
    [InlineData("ETHUSDT")]
    public void Hourly_outages_are_gaps_and_cut_short_bars_are_accepted(string symbol)
    {
        var folder = CandleTestData.FindSharedFolder("static-klines");
        if (folder is null)
            throw new SkipException("../shared/data/static-klines absent");
        var hours = new CandleSeries(Timeframe.OneHour, capacity: 100_000);
        foreach (var candle in CandleTestData.ReadKlineCsv(Path.Combine(folder, $"{symbol}-1h.csv.gz")))
            Assert.Equal(CandleApplyResult.Appended, hours.Apply(candle).Result);
        var c = hours.Counters;
        output.WriteLine($"{symbol} 1h: {hours.Count} candles, {hours.Gaps.Count} gaps, {hours.MissingCount} missing, {c.CutShort} cut short");
        Assert.Equal(72_866, hours.Count);
        Assert.Equal(0, c.Rejected);
        Assert.Equal(27, hours.Gaps.Count);
        Assert.Equal(122, hours.MissingCount);
        Assert.Equal(27, c.GapsDetected);
        Assert.Equal(122, c.MissingDetected);
        Assert.Equal(12, c.CutShort);
        Assert.Equal(12, hours.Latest(hours.Count).Count(k => (k.Flags & CandleFlags.CutShort) != 0));
        // The data's README names the outages by the bars around them: 2018-02-08 00:00 → 2018-02-09 10:00 and,
        // the last one, 2023-03-24 12:00 → 14:00; the missing bars are those strictly between.
        Assert.Contains(new CandleGap(Ms(2018, 2, 8, 1), Ms(2018, 2, 9, 9)), hours.Gaps);
        Assert.Equal(new CandleGap(Ms(2023, 3, 24, 13), Ms(2023, 3, 24, 13)), hours.Gaps[^1]);

        var days = new CandleSeries(Timeframe.OneDay, capacity: 10_000);
        foreach (var candle in CandleTestData.ReadKlineCsv(Path.Combine(folder, $"{symbol}-1d.csv")))
            Assert.Equal(CandleApplyResult.Appended, days.Apply(candle).Result);
        Assert.Equal(1, days.Counters.CutShort);
        Assert.Empty(days.Gaps);
        var cut = days.Latest(days.Count).Single(k => (k.Flags & CandleFlags.CutShort) != 0);
        Assert.Equal(Ms(2018, 2, 8, 0), cut.OpenTime);
    }

    private static long Ms(int y, int mo, int d, int h) => new DateTimeOffset(y, mo, d, h, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [SkippableFact]
    public void Default_capacity_truncates_the_old_outages_to_what_it_can_hold()
    {
        var folder = CandleTestData.FindSharedFolder("static-klines");
        if (folder is null)
            throw new SkipException("../shared/data/static-klines absent");
        var hours = new CandleSeries(Timeframe.OneHour);
        foreach (var candle in CandleTestData.ReadKlineCsv(Path.Combine(folder, "BTCUSDT-1h.csv.gz"))) hours.Apply(candle);
        // The series is contiguous since 2023-03-24: the last 1,500 hours hold no gap.
        Assert.Equal(1_500, hours.Count);
        Assert.Empty(hours.Gaps);
        Assert.Equal(72_866 - 1_500, hours.Counters.Evicted);
    }
}
