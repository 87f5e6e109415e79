namespace MarketData.Candles;

/// <summary>A missing stretch of closed candles: open times <see cref="From"/> to <see cref="To"/> inclusive (Unix ms).</summary>
[GenerateSerializer, Immutable, Alias("MarketData.CandleGapView")]
public readonly record struct CandleGapView([property: Id(0)] long From, [property: Id(1)] long To, [property: Id(2)] long Missing);

/// <summary>The latest candles of one instrument and timeframe, oldest first, with the forming one apart.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.CandleSeriesView")]
public sealed record CandleSeriesView
{
    [Id(0)] public required string Exchange { get; init; }
    [Id(1)] public required string Symbol { get; init; }
    [Id(2)] public required Timeframe Timeframe { get; init; }
    /// <summary>Closed candles, oldest first.</summary>
    [Id(3)] public required IReadOnlyList<Candle> Candles { get; init; }
    /// <summary>The candle still forming (not in <see cref="Candles"/>); null when none or when asked "as of" a time.</summary>
    [Id(4)] public Candle? Forming { get; init; }
    /// <summary>Known holes among the cached closed candles, waiting for repair.</summary>
    [Id(5)] public IReadOnlyList<CandleGapView> Gaps { get; init; } = [];
    /// <summary>Where the newest candles come from now (<c>binance</c>, <c>mexc</c>, <c>trades</c>), and why if not Binance.</summary>
    [Id(6)] public string? Source { get; init; }
    [Id(7)] public string? SourceReason { get; init; }
    [Id(8)] public long Rejected { get; init; }
    /// <summary>Start-up backfill state: <c>pending</c>, <c>running</c>, <c>done</c> or <c>failed: ...</c>.</summary>
    [Id(9)] public string? Backfill { get; init; }
}

/// <summary>
/// The candle cache of one instrument and timeframe (key: <see cref="CandleSeriesKey"/>): the latest
/// 1,500 closed candles (configurable) and the forming one, backfilled from REST and kept current from
/// streams, with gaps detected and repaired.
/// </summary>
[Alias("MarketData.ICandleGrain")]
public interface ICandleGrain : IGrainWithStringKey
{
    /// <summary>The latest <paramref name="limit"/> closed candles; with <paramref name="asOf"/> (Unix ms) only those closed by then and no forming one.</summary>
    [Alias("GetCandles")]
    Task<CandleSeriesView> GetCandlesAsync(int limit, long? asOf = null);

    /// <summary>Candle updates from the instrument's candle router (built from trades, or kline stream events).</summary>
    [Alias("Apply")]
    Task ApplyAsync(Candle[] candles);
}
