using MarketData.Candles;
using MarketData.Actors;

namespace MarketData.Tests.Actors;

public class PivotSaveScheduleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(0.0, 300_000)]
    [InlineData(0.5, 150_000)]
    [InlineData(0.75, 75_000)]
    public void The_first_save_falls_at_the_drawn_point_of_the_interval(double unit, double expectedMs)
        => Assert.Equal(expectedMs, PivotGrain.FirstSaveDelay(Interval, unit).TotalMilliseconds, precision: 3);

    [Fact]
    public void The_first_save_is_never_immediate_nor_later_than_one_interval()
    {
        Assert.True(PivotGrain.FirstSaveDelay(Interval, Math.BitDecrement(1.0)) > TimeSpan.Zero);
        var delays = Enumerable.Range(0, 2_000).Select(_ => PivotGrain.FirstSaveDelay(Interval)).ToArray();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromTicks(1), Interval));
        // Spread over the interval, not bunched: every fifth of it gets some of 2,000 draws.
        var fifths = delays.Select(d => (int)Math.Min(4, d.Ticks * 5 / Interval.Ticks)).Distinct().Count();
        Assert.Equal(5, fifths);
    }

    [Theory]
    [InlineData("1s", 2_000)]
    [InlineData("1h", 7_200_000)]
    [InlineData("1d", 172_800_000)]
    public void A_pivot_grain_stays_active_two_periods_after_a_closed_candle(string timeframe, double expectedMs)
        => Assert.Equal(expectedMs, PivotGrain.KeepActiveFor(Timeframe.Parse(timeframe)).TotalMilliseconds);
}
