namespace MarketData.Pivots;

/// <summary>Swing points of every requested level, with trend per level and the backfill progress.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PivotsView")]
public sealed record PivotsView
{
    [Id(0)] public required string Exchange { get; init; }
    [Id(1)] public required string Symbol { get; init; }
    [Id(2)] public required Candles.Timeframe Timeframe { get; init; }
    /// <summary>Per level (index 0 = level 1), the confirmed points, oldest first.</summary>
    [Id(3)] public required IReadOnlyList<IReadOnlyList<SwingPoint>> Levels { get; init; }
    [Id(4)] public required IReadOnlyList<Trend> Trends { get; init; }
    /// <summary>Unix ms the view is as of (the caller's <c>asOf</c>, or the last candle's close).</summary>
    [Id(5)] public long AsOf { get; init; }
    [Id(6)] public long CandlesAnalysed { get; init; }
    [Id(7)] public required PivotProgress Progress { get; init; }
}

/// <summary>How far the analysis window has been filled from REST.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PivotProgress")]
public sealed record PivotProgress
{
    [Id(0)] public required string State { get; init; }
    [Id(1)] public long WindowStart { get; init; }
    [Id(2)] public long FilledUntil { get; init; }
    [Id(3)] public double Fraction { get; init; }
    [Id(4)] public long CandlesFetched { get; init; }
    [Id(5)] public string? LastError { get; init; }
}

/// <summary>Williams market structure of one instrument and timeframe (key: <see cref="Candles.CandleSeriesKey"/>).</summary>
[Alias("MarketData.IPivotGrain")]
public interface IPivotGrain : IGrainWithStringKey
{
    /// <summary>
    /// Pivots of levels 1..<paramref name="levels"/>, the latest <paramref name="maxPerLevel"/> of each level; with
    /// <paramref name="asOf"/> (Unix ms) only those confirmed by then (no look-ahead).
    /// </summary>
    [Alias("GetPivots")]
    Task<PivotsView> GetPivotsAsync(int levels, long? asOf = null, int maxPerLevel = 500);

    /// <summary>Bounds over the window; null until a candle was analysed, or when <paramref name="asOf"/> lies before the last candle (past bounds are not kept).</summary>
    [Alias("GetBounds")]
    Task<PivotBounds?> GetBoundsAsync(long? asOf = null);

    /// <summary>Closed candles in open-time order, from the candle grain of the same key.</summary>
    [Alias("OnClosedCandles")]
    Task OnClosedCandlesAsync(Candles.Candle[] candles);

    /// <summary>Starts (or resumes) the window fill; idempotent.</summary>
    [Alias("EnsureStarted")]
    Task EnsureStartedAsync();
}
