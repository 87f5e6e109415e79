using MarketData.Candles;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Domain.Candles;

/// <summary>What <see cref="TradeCandleBuilder.OnTrade(TradeEvent, out Candle)"/> did with a trade.</summary>
public enum TradeApplyResult : byte
{
    /// <summary>Added to the forming candle (possibly starting it).</summary>
    Applied,
    /// <summary>Started a later interval: the previous forming candle was closed and returned.</summary>
    AppliedAndClosed,
    /// <summary>Trade id at or below the last one seen: a redelivery, ignored.</summary>
    Duplicate,
    /// <summary>New id but its time lies in an interval already closed (by a later trade or by <see cref="TradeCandleBuilder.Advance"/>): ignored, counted.</summary>
    Late,
    /// <summary>Non-positive price or quantity, or a trade of the other kind (aggregate vs raw): ignored, counted.</summary>
    Rejected,
}

/// <summary>What one <see cref="TradeCandleBuilder"/> did since it was created.</summary>
public sealed class TradeCandleCounters
{
    public long TradesApplied { get; internal set; }
    public long Duplicates { get; internal set; }
    public long LateTrades { get; internal set; }
    public long Rejected { get; internal set; }
    /// <summary>Times the trade id jumped by more than one (a trade, or aggregate trade, was never seen).</summary>
    public long TradeIdGaps { get; internal set; }
    /// <summary>Ids skipped over all <see cref="TradeIdGaps"/>.</summary>
    public long MissingTradeIds { get; internal set; }
    public long CandlesClosed { get; internal set; }
    /// <summary>Intervals between two built candles with no trade at all: no candle is made for them (not a gap).</summary>
    public long EmptyIntervals { get; internal set; }
}

/// <summary>
/// Builds candles of one timeframe (1s and 1m where no kline stream exists, e.g. replays) from one symbol's
/// trades, in trade order: open = first trade, close = last, high/low = extremes, volumes summed, taker buy
/// = trades whose buyer was not the maker.
/// <para>
/// Feed it either raw trades (<c>@trade</c>) or aggregate trades (<c>@aggTrade</c>), never both for the same
/// symbol: the two id sequences differ and every trade would be counted twice. The kind of the first trade
/// fixes the builder's kind; trades of the other kind are rejected. For aggregate trades the trade count
/// adds <c>l - f + 1</c> (the trades the aggregate stands for), as the exchange's klines count them.
/// </para>
/// <para>
/// A candle closes when a trade of a later interval arrives or when <see cref="Advance"/> passes the end of
/// its interval (plus <c>closeDelayMs</c>, a grace for trades still in flight when the clock is the local one).
/// An interval with no trade makes no candle: it is counted in <see cref="TradeCandleCounters.EmptyIntervals"/>,
/// not reported as a gap (the exchange's kline for it would have zero volume).
/// </para>
/// Quote volumes are summed as exact 128-bit products (price × quantity at scale 1e16) and scaled back to 1e8
/// once per candle (truncating), so no rounding accumulates. Not thread-safe; allocation-free per trade.
/// </summary>
public sealed class TradeCandleBuilder
{
    private enum Kind : byte { Unknown, Raw, Aggregate }

    private readonly long _interval;
    private readonly long _closeDelayMs;
    private readonly CandleSource _source;
    private Kind _kind;
    private long _lastId = long.MinValue;
    private long _lastClosedOpen = long.MinValue; // open time of the last interval closed (or -inf)

    // The forming candle, kept as fields: quote volumes at scale 1e16.
    private bool _hasForming;
    private long _openTime, _open, _high, _low, _close, _volume, _takerVolume, _count;
    private Int128 _quote16, _takerQuote16;

    public TradeCandleBuilder(Timeframe timeframe, long closeDelayMs = 0, CandleSource source = CandleSource.Trades)
    {
        if (timeframe.Milliseconds <= 0) throw new ArgumentException("Timeframe is not initialised.", nameof(timeframe));
        ArgumentOutOfRangeException.ThrowIfNegative(closeDelayMs);
        Timeframe = timeframe;
        _interval = timeframe.Milliseconds;
        _closeDelayMs = closeDelayMs;
        _source = source;
    }

    public Timeframe Timeframe { get; }
    public TradeCandleCounters Counters { get; } = new();

    /// <summary>Id of the last trade (or aggregate trade) accepted or skipped as late; long.MinValue before the first.</summary>
    public long LastTradeId => _lastId;

    public bool HasForming => _hasForming;

    /// <summary>The forming candle so far (not closed), or null.</summary>
    public Candle? Forming => _hasForming ? Build(closed: false) : null;

    /// <summary>Applies one trade; when it starts a later interval the previous candle is returned in <paramref name="closed"/>.</summary>
    public TradeApplyResult OnTrade(TradeEvent trade, out Candle closed)
    {
        var count = trade.IsAggregate ? trade.LastTradeId - trade.FirstTradeId + 1 : 1;
        return OnTrade(trade.TradeId, trade.Price, trade.Quantity, trade.TradeTime, trade.BuyerIsMaker, trade.IsAggregate, count, out closed);
    }

    /// <summary>
    /// Allocation-free form of <see cref="OnTrade(TradeEvent, out Candle)"/> for callers holding parsed fields.
    /// <paramref name="tradeCount"/> is 1 for a raw trade, <c>l - f + 1</c> for an aggregate trade.
    /// </summary>
    public TradeApplyResult OnTrade(long tradeId, long price, long quantity, long tradeTimeMs, bool buyerIsMaker,
                                    bool isAggregate, long tradeCount, out Candle closed)
    {
        closed = default;
        var kind = isAggregate ? Kind.Aggregate : Kind.Raw;
        if (price <= 0 || quantity <= 0 || tradeCount < 1 || (_kind != Kind.Unknown && _kind != kind))
        {
            Counters.Rejected++;
            return TradeApplyResult.Rejected;
        }
        if (tradeId <= _lastId)
        {
            Counters.Duplicates++;
            return TradeApplyResult.Duplicate;
        }
        if (_lastId != long.MinValue && tradeId != _lastId + 1)
        {
            Counters.TradeIdGaps++;
            Counters.MissingTradeIds += tradeId - _lastId - 1;
        }
        _kind = kind;
        _lastId = tradeId;

        var open = tradeTimeMs - (((tradeTimeMs % _interval) + _interval) % _interval);
        var result = TradeApplyResult.Applied;
        if (_hasForming)
        {
            if (open < _openTime)
            {
                // Trade time is earlier than the forming interval: its candle is already closed.
                Counters.LateTrades++;
                return TradeApplyResult.Late;
            }
            if (open > _openTime)
            {
                closed = CloseForming();
                result = TradeApplyResult.AppliedAndClosed;
            }
        }
        if (!_hasForming)
        {
            if (open <= _lastClosedOpen)
            {
                Counters.LateTrades++;
                return TradeApplyResult.Late;
            }
            if (_lastClosedOpen != long.MinValue) Counters.EmptyIntervals += (open - _lastClosedOpen) / _interval - 1;
            _hasForming = true;
            _openTime = open;
            _open = _high = _low = price;
            _volume = _takerVolume = _count = 0;
            _quote16 = _takerQuote16 = Int128.Zero;
        }
        else
        {
            if (price > _high) _high = price;
            if (price < _low) _low = price;
        }
        _close = price;
        _volume += quantity;
        _count += tradeCount;
        var quote = (Int128)price * quantity;
        _quote16 += quote;
        if (!buyerIsMaker)
        {
            _takerVolume += quantity;
            _takerQuote16 += quote;
        }
        Counters.TradesApplied++;
        return result;
    }

    /// <summary>
    /// Closes the forming candle when <paramref name="nowMs"/> is past its interval (plus the close delay), so a
    /// quiet interval still closes. Returns true with the closed candle.
    /// </summary>
    public bool Advance(long nowMs, out Candle closed)
    {
        if (_hasForming && nowMs >= _openTime + _interval + _closeDelayMs)
        {
            closed = CloseForming();
            return true;
        }
        closed = default;
        return false;
    }

    private Candle CloseForming()
    {
        var candle = Build(closed: true);
        _lastClosedOpen = _openTime;
        _hasForming = false;
        Counters.CandlesClosed++;
        return candle;
    }

    private Candle Build(bool closed) => new()
    {
        OpenTime = _openTime,
        CloseTime = _openTime + _interval - 1,
        Open = _open,
        High = _high,
        Low = _low,
        Close = _close,
        Volume = _volume,
        QuoteVolume = (long)(_quote16 / FixedPoint.Scale),
        TradeCount = _count,
        TakerBuyVolume = _takerVolume,
        TakerBuyQuoteVolume = (long)(_takerQuote16 / FixedPoint.Scale),
        Source = _source,
        Flags = closed ? CandleFlags.Closed : CandleFlags.None,
    };
}
