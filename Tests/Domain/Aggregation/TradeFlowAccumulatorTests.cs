using MarketData.Aggregation;
using MarketData.Domain.Aggregation;
using MarketData.Streams;
using static MarketData.Tests.Domain.Aggregation.BookAggregatorTests;

namespace MarketData.Tests.Domain.Aggregation;

public class TradeFlowAccumulatorTests
{
    private static TradeEvent Trade(decimal price, decimal quantity, bool buyerIsMaker) =>
        new() { Price = P(price), Quantity = P(quantity), BuyerIsMaker = buyerIsMaker };

    [Fact]
    public void Buys_are_taker_buys_and_the_vwap_is_exact()
    {
        var flow = new TradeFlowAccumulator();
        flow.Add(Trade(100, 1, buyerIsMaker: false));     // taker bought
        flow.Add(Trade(101, 2, buyerIsMaker: true));      // taker sold
        flow.Add(Trade(99.99m, 0.5m, buyerIsMaker: false));

        var taken = flow.Take();

        Assert.Equal(new TradeFlow(P(1.5m), P(2), 3, P(100.57m), P(351.995m)), taken);
        Assert.Equal(new TradeFlow(0, 0, 0, 0, 0), flow.Take()); // reset: no trades, no made-up VWAP
    }

    [Fact]
    public void Vwap_rounds_to_nearest_and_large_notionals_do_not_overflow()
    {
        var flow = new TradeFlowAccumulator();
        flow.Add(P(1), P(1), true);
        flow.Add(P(2), P(2), true);
        Assert.Equal(P(1.66666667m), flow.Peek().Vwap); // 5/3
        flow.Reset();
        flow.Add(P(100_000), P(100_000), false);   // 10^13 × 10^13 in fixed point: beyond 64 bits
        flow.Add(P(100_002), P(100_000), false);
        var taken = flow.Take();
        Assert.Equal(P(100_001), taken.Vwap);
        Assert.Equal(P(20_000_200_000m), taken.QuoteVolume);
    }
}
