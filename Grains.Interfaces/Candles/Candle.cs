namespace MarketData.Candles;

/// <summary>Where a candle's numbers came from.</summary>
[GenerateSerializer, Alias("MarketData.CandleSource")]
public enum CandleSource : byte
{
    /// <summary>Binance kline WebSocket stream.</summary>
    BinanceStream = 0,
    /// <summary>Binance REST <c>/api/v3/klines</c>.</summary>
    BinanceRest = 1,
    /// <summary>Built locally from trades (1s and 1m where no kline stream is available, e.g. replays).</summary>
    Trades = 2,
    /// <summary>MEXC REST v3 (fallback while Binance fails).</summary>
    MexcRest = 3,
    /// <summary>Aggregated from candles of a shorter timeframe.</summary>
    Aggregated = 4,
}

/// <summary>Facts about a candle beyond its numbers.</summary>
[Flags]
[GenerateSerializer, Alias("MarketData.CandleFlags")]
public enum CandleFlags : byte
{
    None = 0,
    /// <summary>The interval is over: the candle will not change (except by a repair from REST).</summary>
    Closed = 1,
    /// <summary>Cut short by an exchange outage: close time earlier than open + interval - 1 ms. Accepted as it is.</summary>
    CutShort = 2,
    /// <summary>Filled in or replaced by gap repair from REST.</summary>
    Repaired = 4,
}

/// <summary>
/// One OHLCV candle. Prices and volumes are fixed-point longs scaled by 10^8 (see
/// <see cref="Instruments.FixedPoint"/>); times are Unix milliseconds, UTC. A value type so a cache of
/// 1,500 candles is one array.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.Candle")]
public readonly record struct Candle
{
    [Id(0)] public long OpenTime { get; init; }
    /// <summary>Last millisecond covered; normally open + interval - 1.</summary>
    [Id(1)] public long CloseTime { get; init; }
    [Id(2)] public long Open { get; init; }
    [Id(3)] public long High { get; init; }
    [Id(4)] public long Low { get; init; }
    [Id(5)] public long Close { get; init; }
    /// <summary>Base-asset volume.</summary>
    [Id(6)] public long Volume { get; init; }
    [Id(7)] public long QuoteVolume { get; init; }
    [Id(8)] public long TradeCount { get; init; }
    [Id(9)] public long TakerBuyVolume { get; init; }
    [Id(10)] public long TakerBuyQuoteVolume { get; init; }
    [Id(11)] public CandleSource Source { get; init; }
    [Id(12)] public CandleFlags Flags { get; init; }

    public bool IsClosed => (Flags & CandleFlags.Closed) != 0;
}
