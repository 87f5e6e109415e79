namespace MarketData.Candles;

/// <summary>What the candle router of one instrument has done.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.CandleRouterStatus")]
public sealed record CandleRouterStatus
{
    [Id(0)] public long TradesApplied { get; init; }
    [Id(1)] public long TradeIdGaps { get; init; }
    [Id(2)] public long KlineUpdates { get; init; }
    /// <summary>Per timeframe, whether candles come from the kline stream (<c>stream</c>) or are built from trades (<c>trades</c>).</summary>
    [Id(3)] public required IReadOnlyDictionary<string, string> Sources { get; init; }
}

/// <summary>
/// Per instrument (key <c>exchange:SYMBOL</c>): consumes the trade and kline streams, builds candles from trades
/// for timeframes without a live kline stream, and hands candle updates to the per-timeframe candle grains.
/// </summary>
[Alias("MarketData.ICandleRouterGrain")]
public interface ICandleRouterGrain : IGrainWithStringKey
{
    [Alias("GetStatus")]
    Task<CandleRouterStatus> GetStatusAsync();
}
