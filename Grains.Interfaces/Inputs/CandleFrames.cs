namespace MarketData.Inputs;

/// <summary>
/// The closed candles of one series in a <see cref="BaseDataInput"/>: at most <see cref="Requested"/> of them, oldest
/// first, all closed by the snapshot's time (no forming candle: a model never sees a candle that can still change).
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.CandleFrames")]
public sealed record CandleFrames
{
    [Id(0)] public required string Symbol { get; init; }
    [Id(1)] public required Candles.Timeframe Timeframe { get; init; }
    /// <summary>How many frames the configuration asks for.</summary>
    [Id(2)] public int Requested { get; init; }
    /// <summary>Closed candles, oldest first; fewer than <see cref="Requested"/> while the cache fills.</summary>
    [Id(3)] public required IReadOnlyList<Candles.Candle> Candles { get; init; }
    /// <summary>Known holes among the cached candles (waiting for repair).</summary>
    [Id(4)] public IReadOnlyList<Candles.CandleGapView> Gaps { get; init; } = [];
    /// <summary>Where the newest candles come from (<c>binance</c>, <c>mexc</c>, <c>trades</c>).</summary>
    [Id(5)] public string? Source { get; init; }
    /// <summary>Backfill state of the cache: <c>pending</c>, <c>running</c>, <c>done</c> or <c>failed: ...</c>.</summary>
    [Id(6)] public string? Backfill { get; init; }
}
