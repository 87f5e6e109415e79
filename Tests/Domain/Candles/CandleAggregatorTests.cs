using MarketData.Candles;
using MarketData.Domain.Candles;
using static MarketData.Tests.Domain.Candles.CandleTestData;

namespace MarketData.Tests.Domain.Candles;

public class CandleAggregatorTests
{
    private static readonly Timeframe M1 = Timeframe.OneMinute;
    private const long H0 = 1_723_161_600_000; // 2024-08-09 00:00 UTC

    private static Candle Minute(int i, decimal price) => Make(M1, H0 + i * 60_000L, price: price, volume: 1m, trades: 2);

    [Fact]
    public void A_complete_hour_is_produced_from_its_sixty_minutes()
    {
        var aggregator = new CandleAggregator(M1, Timeframe.OneHour);
        Candle hour = default;
        for (var i = 0; i < 60; i++)
        {
            var result = aggregator.Add(Minute(i, 100 + i % 7), out var done);
            Assert.Equal(i == 59 ? AggregateResult.Completed : AggregateResult.Accumulated, result);
            if (result == AggregateResult.Completed) hour = done;
        }
        Assert.Equal(H0, hour.OpenTime);
        Assert.Equal(H0 + 3_599_999, hour.CloseTime);
        Assert.Equal(Px(100), hour.Open);                    // first minute's open
        Assert.Equal(Minute(59, 100 + 59 % 7).Close, hour.Close);
        Assert.Equal(Px(107), hour.High);                    // max of 100..106 + 1
        Assert.Equal(Px(99), hour.Low);
        Assert.Equal(Px(60), hour.Volume);
        Assert.Equal(120, hour.TradeCount);
        Assert.Equal(Px(30), hour.TakerBuyVolume);
        Assert.Equal(CandleSource.Aggregated, hour.Source);
        Assert.Equal(CandleFlags.Closed, hour.Flags);
        Assert.True(CandleAggregator.TryAggregate(Enumerable.Range(0, 60).Select(i => Minute(i, 100 + i % 7)).ToArray(), M1, Timeframe.OneHour, out var again));
        Assert.Equal(hour, again);
    }

    [Fact]
    public void An_hour_with_a_missing_minute_is_not_produced()
    {
        var aggregator = new CandleAggregator(M1, Timeframe.OneHour);
        for (var i = 0; i < 60; i++)
            if (i != 30) Assert.Equal(AggregateResult.Accumulated, aggregator.Add(Minute(i, 100), out _));
        Assert.Equal(0, aggregator.Counters.Incomplete);
        // The next hour's first minute abandons it.
        Assert.Equal(AggregateResult.Accumulated, aggregator.Add(Minute(60, 100), out _));
        Assert.Equal(1, aggregator.Counters.Incomplete);
        Assert.Equal(0, aggregator.Counters.Completed);
        var minutes = Enumerable.Range(0, 60).Where(i => i != 30).Select(i => Minute(i, 100)).ToArray();
        Assert.False(CandleAggregator.TryAggregate(minutes, M1, Timeframe.OneHour, out _));
    }

    [Fact]
    public void Forming_misaligned_and_repeated_constituents_are_rejected()
    {
        var aggregator = new CandleAggregator(Timeframe.OneSecond, M1);
        var s = Make(Timeframe.OneSecond, H0);
        Assert.Equal(AggregateResult.Rejected, aggregator.Add(s with { Flags = CandleFlags.None }, out _));
        Assert.Equal(AggregateResult.Rejected, aggregator.Add(s with { OpenTime = H0 + 1 }, out _));
        Assert.Equal(AggregateResult.Rejected, aggregator.Add(Make(M1, H0), out _)); // a minute is not a second
        Assert.Equal(AggregateResult.Accumulated, aggregator.Add(s, out _));
        Assert.Equal(AggregateResult.Rejected, aggregator.Add(s, out _));
        Assert.Equal(4, aggregator.Counters.Rejected);
        Assert.Throws<ArgumentException>(() => new CandleAggregator(Timeframe.OneHour, M1));
    }

    [Fact]
    public void A_period_ending_in_a_cut_short_candle_is_cut_short()
    {
        var minutes = Enumerable.Range(0, 60).Select(i => Minute(i, 100)).ToArray();
        minutes[59] = minutes[59] with { CloseTime = minutes[59].OpenTime + 10 };
        Assert.True(CandleAggregator.TryAggregate(minutes, M1, Timeframe.OneHour, out var hour));
        Assert.Equal(CandleFlags.Closed | CandleFlags.CutShort, hour.Flags);
        Assert.Equal(minutes[59].CloseTime, hour.CloseTime);
    }
}
