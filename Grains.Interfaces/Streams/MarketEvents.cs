namespace MarketData.Streams;

/// <summary>A price level change or level: fixed-point price and quantity (see <see cref="Instruments.FixedPoint"/>). Quantity 0 removes the level.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PriceLevel")]
public readonly record struct PriceLevel([property: Id(0)] long Price, [property: Id(1)] long Quantity);

/// <summary>
/// A normalised exchange event. Every event keeps the exchange's own ids and times and the local
/// receive time, so consumers can be idempotent and detect gaps.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.MarketEvent")]
public abstract record MarketEvent
{
    /// <summary>Local receive time (UTC) of the frame or REST body this event came from.</summary>
    [Id(0)] public DateTime ReceivedAt { get; init; }
}

/// <summary>A Binance <c>depthUpdate</c>: absolute quantities for the levels that changed between update ids U and u.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.DepthDiff")]
public sealed record DepthDiff : MarketEvent
{
    [Id(0)] public long FirstUpdateId { get; init; }
    [Id(1)] public long FinalUpdateId { get; init; }
    /// <summary>Exchange event time, Unix milliseconds.</summary>
    [Id(2)] public long EventTime { get; init; }
    [Id(3)] public required PriceLevel[] Bids { get; init; }
    [Id(4)] public required PriceLevel[] Asks { get; init; }
}

/// <summary>A REST depth snapshot, published into the depth stream where it was received, so it is ordered with the diffs.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.DepthSnapshot")]
public sealed record DepthSnapshot : MarketEvent
{
    [Id(0)] public long LastUpdateId { get; init; }
    [Id(1)] public required PriceLevel[] Bids { get; init; }
    [Id(2)] public required PriceLevel[] Asks { get; init; }
    /// <summary>Levels a side that were asked for (REST <c>limit</c>); 0 when unknown (recordings of others).
    /// A side with fewer levels than this is the whole side.</summary>
    [Id(3)] public int Limit { get; init; }
    /// <summary>
    /// Exchange time (Unix ms) of a book state replayed from storage (<c>--replay-db</c>), 0 for a REST snapshot. A stored
    /// state stands on its own: no diffs follow it, so it replaces the book instead of waiting to be bridged.
    /// </summary>
    [Id(4)] public long StateTime { get; init; }
    /// <summary>
    /// A stored state only: the verified range the live book reported when it was stored (fixed point; 0 when unknown,
    /// <see cref="long.MinValue"/> or <see cref="long.MaxValue"/> when the whole side was verified). Unknown: only the
    /// stored levels' own range is vouched for.
    /// </summary>
    [Id(5)] public long VerifiedBidFloor { get; init; }
    [Id(6)] public long VerifiedAskCeiling { get; init; }

    public bool IsStoredState => StateTime > 0;
}

/// <summary>A trade (<c>@trade</c>) or aggregate trade (<c>@aggTrade</c>).</summary>
[GenerateSerializer, Immutable, Alias("MarketData.TradeEvent")]
public sealed record TradeEvent : MarketEvent
{
    /// <summary>Trade id, or aggregate trade id when <see cref="IsAggregate"/>.</summary>
    [Id(0)] public long TradeId { get; init; }
    [Id(1)] public long Price { get; init; }
    [Id(2)] public long Quantity { get; init; }
    /// <summary>Trade time, Unix milliseconds.</summary>
    [Id(3)] public long TradeTime { get; init; }
    [Id(4)] public long EventTime { get; init; }
    /// <summary>True when the buyer was the maker, i.e. the taker sold.</summary>
    [Id(5)] public bool BuyerIsMaker { get; init; }
    [Id(6)] public bool IsAggregate { get; init; }
    [Id(7)] public long FirstTradeId { get; init; }
    [Id(8)] public long LastTradeId { get; init; }
}

/// <summary>A <c>bookTicker</c>: the exchange's own best bid and ask at update id <see cref="UpdateId"/>.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.BookTickerEvent")]
public sealed record BookTickerEvent : MarketEvent
{
    [Id(0)] public long UpdateId { get; init; }
    [Id(1)] public long BidPrice { get; init; }
    [Id(2)] public long BidQuantity { get; init; }
    [Id(3)] public long AskPrice { get; init; }
    [Id(4)] public long AskQuantity { get; init; }
}

/// <summary>A rolling 24-hour <c>24hrTicker</c>.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.TickerEvent")]
public sealed record TickerEvent : MarketEvent
{
    [Id(0)] public long EventTime { get; init; }
    [Id(1)] public long LastPrice { get; init; }
    [Id(2)] public long OpenPrice { get; init; }
    [Id(3)] public long HighPrice { get; init; }
    [Id(4)] public long LowPrice { get; init; }
    [Id(5)] public long Volume { get; init; }
    [Id(6)] public long QuoteVolume { get; init; }
    [Id(7)] public long TradeCount { get; init; }
    [Id(8)] public long BestBid { get; init; }
    [Id(9)] public long BestAsk { get; init; }
}

/// <summary>A kline stream update (<c>&lt;symbol&gt;@kline_&lt;interval&gt;</c>): the candle so far, <see cref="Candles.CandleFlags.Closed"/> on its final update.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.KlineEvent")]
public sealed record KlineEvent : MarketEvent
{
    [Id(0)] public Candles.Timeframe Timeframe { get; init; }
    [Id(1)] public Candles.Candle Candle { get; init; }
    /// <summary>Exchange event time, Unix milliseconds.</summary>
    [Id(2)] public long EventTime { get; init; }
}

/// <summary>The feed lost its connection (or the stream for this instrument): what follows may not be contiguous.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeedInterrupted")]
public sealed record FeedInterrupted : MarketEvent
{
    [Id(0)] public required string Reason { get; init; }
}

/// <summary>The feed is connected and this instrument was quiet: lets a book tell "quiet" from "stale".</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeedHeartbeat")]
public sealed record FeedHeartbeat : MarketEvent;
