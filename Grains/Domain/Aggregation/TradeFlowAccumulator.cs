using MarketData.Aggregation;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Domain.Aggregation;

/// <summary>
/// Collects the trades of the current second. Buy = the taker bought (<c>!BuyerIsMaker</c>). The VWAP and quote
/// volume are exact: price × quantity is summed in 128 bits and divided once, rounding to nearest. Not thread-safe.
/// </summary>
public sealed class TradeFlowAccumulator
{
    private long _buy, _sell;
    private int _count;
    private Int128 _notional; // sum of price × quantity, scale 10^16

    public int TradeCount => _count;

    public void Add(TradeEvent trade)
    {
        ArgumentNullException.ThrowIfNull(trade);
        Add(trade.Price, trade.Quantity, takerBought: !trade.BuyerIsMaker);
    }

    public void Add(long price, long quantity, bool takerBought)
    {
        if (takerBought) _buy += quantity;
        else _sell += quantity;
        _count++;
        _notional += (Int128)price * quantity;
    }

    /// <summary>The second's flow so far (Vwap 0 without volume); does not reset.</summary>
    public TradeFlow Peek()
    {
        var volume = _buy + _sell;
        var vwap = volume == 0 ? 0 : BookAggregator.RoundedDivide(_notional, volume);
        var quote = BookAggregator.RoundedDivide(_notional, FixedPoint.Scale);
        return new TradeFlow(_buy, _sell, _count, vwap, quote);
    }

    /// <summary>The second's flow; starts the next second empty.</summary>
    public TradeFlow Take()
    {
        var flow = Peek();
        Reset();
        return flow;
    }

    public void Reset()
    {
        _buy = _sell = 0;
        _count = 0;
        _notional = 0;
    }
}
