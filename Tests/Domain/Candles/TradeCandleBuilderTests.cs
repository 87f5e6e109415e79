using MarketData.Candles;
using MarketData.Domain.Candles;
using MarketData.Streams;
using static MarketData.Tests.Domain.Candles.CandleTestData;

namespace MarketData.Tests.Domain.Candles;

public class TradeCandleBuilderTests
{
    private static readonly Timeframe S1 = Timeframe.OneSecond;
    private const long T0 = 1_723_161_600_000; // 2024-08-09 00:00:00 UTC

    private static TradeEvent Trade(long id, long time, decimal price, decimal qty, bool buyerIsMaker = false) => new()
    {
        TradeId = id, FirstTradeId = id, LastTradeId = id, TradeTime = time, EventTime = time,
        Price = Px(price), Quantity = Px(qty), BuyerIsMaker = buyerIsMaker,
    };

    [Fact]
    public void Trades_of_one_interval_make_one_candle_in_trade_order()
    {
        var builder = new TradeCandleBuilder(S1);
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(1, T0 + 10, 100m, 1m), out _));
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(2, T0 + 500, 105m, 0.5m, buyerIsMaker: true), out _));
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(3, T0 + 400, 98m, 0.25m), out _)); // earlier time, later id: trade order wins
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(4, T0 + 999, 101m, 2m), out _));
        var forming = builder.Forming!.Value;
        Assert.False(forming.IsClosed);

        Assert.Equal(TradeApplyResult.AppliedAndClosed, builder.OnTrade(Trade(5, T0 + 1000, 90m, 1m), out var c));
        Assert.Equal(T0, c.OpenTime);
        Assert.Equal(T0 + 999, c.CloseTime);
        Assert.Equal((Px(100), Px(105), Px(98), Px(101)), (c.Open, c.High, c.Low, c.Close));
        Assert.Equal(Px(3.75m), c.Volume);
        Assert.Equal(Px(100m + 52.5m + 24.5m + 202m), c.QuoteVolume);
        Assert.Equal(4, c.TradeCount);
        Assert.Equal(Px(3.25m), c.TakerBuyVolume);               // all but the maker-buyer trade
        Assert.Equal(Px(100m + 24.5m + 202m), c.TakerBuyQuoteVolume);
        Assert.Equal(CandleSource.Trades, c.Source);
        Assert.Equal(CandleFlags.Closed, c.Flags);
        Assert.Equal(forming with { Flags = CandleFlags.Closed }, c);
    }

    [Fact]
    public void Quote_volume_is_exact_beyond_eight_decimals_per_trade()
    {
        var builder = new TradeCandleBuilder(S1);
        // 0.00000001 x 0.5 = 0.000000005 per trade: rounding each would lose it; the 128-bit sum keeps it.
        for (var i = 0; i < 4; i++) builder.OnTrade(Trade(i + 1, T0, 0.00000001m, 0.5m), out _);
        builder.OnTrade(Trade(10, T0, 90_000m, 90_000m), out _); // 8.1e9 quote: the product overflows a long at scale 1e16
        Assert.True(builder.Advance(T0 + 1000, out var c));
        Assert.Equal(Px(0.00000002m) + Px(8_100_000_000m), c.QuoteVolume);
    }

    [Fact]
    public void Quiet_intervals_close_on_advance_and_make_no_candle()
    {
        var builder = new TradeCandleBuilder(S1, closeDelayMs: 200);
        builder.OnTrade(Trade(1, T0 + 100, 100m, 1m), out _);
        Assert.False(builder.Advance(T0 + 999, out _));
        Assert.False(builder.Advance(T0 + 1_199, out _)); // within the close delay
        Assert.True(builder.Advance(T0 + 1_200, out var closed));
        Assert.Equal(T0, closed.OpenTime);
        Assert.False(builder.HasForming);
        Assert.False(builder.Advance(T0 + 60_000, out _)); // nothing forming: nothing to close

        // Three quiet seconds later.
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(2, T0 + 4_000, 101m, 1m), out _));
        Assert.Equal(3, builder.Counters.EmptyIntervals);
        Assert.Equal(1, builder.Counters.CandlesClosed);
    }

    [Fact]
    public void Duplicate_and_late_trades_are_ignored_and_counted()
    {
        var builder = new TradeCandleBuilder(S1);
        builder.OnTrade(Trade(1, T0, 100m, 1m), out _);
        builder.OnTrade(Trade(2, T0 + 1_000, 100m, 1m), out _); // closes T0
        Assert.Equal(TradeApplyResult.Duplicate, builder.OnTrade(Trade(2, T0 + 1_000, 100m, 1m), out _));
        Assert.Equal(TradeApplyResult.Duplicate, builder.OnTrade(Trade(1, T0, 100m, 1m), out _));
        Assert.Equal(TradeApplyResult.Late, builder.OnTrade(Trade(3, T0 + 999, 50m, 1m), out _)); // new id, closed interval
        var forming = builder.Forming!.Value;
        Assert.Equal(Px(1), forming.Volume);
        Assert.Equal(Px(100), forming.Low);

        // Late after an Advance closed the interval too.
        builder.Advance(T0 + 2_000, out _);
        Assert.Equal(TradeApplyResult.Late, builder.OnTrade(Trade(4, T0 + 1_500, 100m, 1m), out _));
        Assert.False(builder.HasForming);
        Assert.Equal(2, builder.Counters.Duplicates);
        Assert.Equal(2, builder.Counters.LateTrades);
        Assert.Equal(2, builder.Counters.TradesApplied);
    }

    [Fact]
    public void Trade_id_gaps_are_counted_and_the_trade_still_applies()
    {
        var builder = new TradeCandleBuilder(S1);
        builder.OnTrade(Trade(100, T0, 100m, 1m), out _);
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(105, T0 + 1, 100m, 1m), out _));
        builder.OnTrade(Trade(106, T0 + 2, 100m, 1m), out _);
        builder.OnTrade(Trade(108, T0 + 3, 100m, 1m), out _);
        Assert.Equal(2, builder.Counters.TradeIdGaps);
        Assert.Equal(5, builder.Counters.MissingTradeIds);
        Assert.Equal(4, builder.Forming!.Value.TradeCount);
    }

    [Fact]
    public void Aggregate_trades_count_their_trades_and_do_not_mix_with_raw_trades()
    {
        var builder = new TradeCandleBuilder(Timeframe.OneMinute);
        var agg = new TradeEvent { TradeId = 7, FirstTradeId = 70, LastTradeId = 74, IsAggregate = true, TradeTime = T0, Price = Px(10), Quantity = Px(2) };
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(agg, out _));
        Assert.Equal(5, builder.Forming!.Value.TradeCount);
        Assert.Equal(TradeApplyResult.Rejected, builder.OnTrade(Trade(75, T0 + 1, 10m, 1m), out _));
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(agg with { TradeId = 8, FirstTradeId = 75, LastTradeId = 75 }, out _));
        Assert.Equal(6, builder.Forming!.Value.TradeCount);
        Assert.Equal(0, builder.Counters.TradeIdGaps);
    }

    [Fact]
    public void Non_positive_prices_and_quantities_are_rejected()
    {
        var builder = new TradeCandleBuilder(S1);
        Assert.Equal(TradeApplyResult.Rejected, builder.OnTrade(Trade(1, T0, 0m, 1m), out _));
        Assert.Equal(TradeApplyResult.Rejected, builder.OnTrade(Trade(1, T0, 1m, 0m), out _));
        Assert.Equal(TradeApplyResult.Rejected, builder.OnTrade(Trade(1, T0, -1m, 1m), out _));
        Assert.False(builder.HasForming);
        Assert.Equal(3, builder.Counters.Rejected);
        Assert.Equal(TradeApplyResult.Applied, builder.OnTrade(Trade(1, T0, 1m, 1m), out _)); // the id was not consumed
    }
}
