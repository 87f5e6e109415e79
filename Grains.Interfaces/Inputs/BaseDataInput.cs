namespace MarketData.Inputs;

/// <summary>The pivots of every level of one timeframe with their normalisation bounds.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PivotSet")]
public sealed record PivotSet
{
    [Id(0)] public required Candles.Timeframe Timeframe { get; init; }
    /// <summary>Per level (index 0 = level 1), the confirmed points, oldest first; only those confirmed by the snapshot's time.</summary>
    [Id(1)] public required IReadOnlyList<IReadOnlyList<Pivots.SwingPoint>> Levels { get; init; }
    [Id(2)] public required IReadOnlyList<Pivots.Trend> Trends { get; init; }
    /// <summary>Null while no candle was analysed (or, as of a past time, when past bounds are not kept).</summary>
    [Id(3)] public Pivots.PivotBounds? Bounds { get; init; }
    /// <summary>Window fill state of the pivot grain.</summary>
    [Id(4)] public string? Progress { get; init; }
}

/// <summary>
/// Market microstructure at the aggregated second: spread, depth within the aggregation range, imbalance, and trade
/// flow of that second and of the minute up to it. Prices and volumes fixed point 10^8.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.Microstructure")]
public sealed record Microstructure
{
    /// <summary>Start of the aggregated second, Unix ms.</summary>
    [Id(0)] public long Time { get; init; }
    /// <summary>Update id of the book state the numbers come from.</summary>
    [Id(1)] public long BookUpdateId { get; init; }
    [Id(2)] public long Mid { get; init; }
    [Id(3)] public long Spread { get; init; }
    /// <summary>Spread / mid in basis points.</summary>
    [Id(4)] public double SpreadBps { get; init; }
    [Id(5)] public long BidDepth { get; init; }
    [Id(6)] public long AskDepth { get; init; }
    [Id(7)] public double Imbalance { get; init; }
    [Id(8)] public Aggregation.TradeFlow LastSecond { get; init; }
    [Id(9)] public Aggregation.TradeFlow LastMinute { get; init; }
    /// <summary>False when the best bid lay below the book's verified range (see <see cref="Books.BookCoverage"/>).</summary>
    [Id(10)] public bool BidTouchVerified { get; init; } = true;
    [Id(11)] public bool AskTouchVerified { get; init; } = true;
}

/// <summary>What a snapshot was asked to contain: the yardstick of its completeness.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.InputRequirements")]
public sealed record InputRequirements
{
    [Id(0)] public int Frames1s { get; init; } = 300;
    [Id(1)] public int Frames1m { get; init; } = 300;
    [Id(2)] public int Frames1h { get; init; } = 300;
    [Id(3)] public int Frames1d { get; init; } = 300;
    [Id(4)] public int ReferenceFrames1s { get; init; } = 300;
    [Id(5)] public string ReferenceSymbol { get; init; } = "BTCUSDT";
    [Id(6)] public Candles.Timeframe PivotTimeframe { get; init; } = Candles.Timeframe.OneMinute;
    /// <summary>Seconds of the heatmap slice.</summary>
    [Id(7)] public int HeatmapSeconds { get; init; } = 60;

    public int FramesOf(Candles.Timeframe timeframe) => timeframe.Milliseconds switch
    {
        1_000 => Frames1s,
        60_000 => Frames1m,
        3_600_000 => Frames1h,
        _ => Frames1d,
    };
}

/// <summary>
/// One consistent snapshot of a symbol's market for models: candles of four timeframes and of a reference symbol,
/// the latest per-second book aggregate with its moving averages and a heatmap slice, pivots with their bounds,
/// indicators, microstructure, the other models' latest outputs, and its data-quality report. Everything in it was
/// known at <see cref="Timestamp"/> (no look-ahead). Prices and volumes fixed point 10^8 unless a type says otherwise.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.BaseDataInput")]
public sealed record BaseDataInput
{
    [Id(0)] public required string Exchange { get; init; }
    [Id(1)] public required string Symbol { get; init; }
    /// <summary>The time the snapshot is as of, Unix ms (the caller's <c>asOf</c>, or the assembly time).</summary>
    [Id(2)] public long Timestamp { get; init; }
    /// <summary>When the silo assembled it (UTC).</summary>
    [Id(3)] public DateTime AssembledAt { get; init; }
    [Id(4)] public required InputRequirements Requirements { get; init; }
    [Id(5)] public required CandleFrames Candles1s { get; init; }
    [Id(6)] public required CandleFrames Candles1m { get; init; }
    [Id(7)] public required CandleFrames Candles1h { get; init; }
    [Id(8)] public required CandleFrames Candles1d { get; init; }
    /// <summary>1s candles of the reference symbol (<see cref="InputRequirements.ReferenceSymbol"/>).</summary>
    [Id(9)] public required CandleFrames Reference1s { get; init; }
    [Id(10)] public required Books.BookInputView Book { get; init; }
    /// <summary>Null when there is no aggregated second yet.</summary>
    [Id(11)] public Microstructure? Microstructure { get; init; }
    [Id(12)] public required PivotSet Pivots { get; init; }
    /// <summary>One set per timeframe: 1s, 1m, 1h, 1d.</summary>
    [Id(13)] public required IReadOnlyList<IndicatorSet> Indicators { get; init; }
    /// <summary>The latest output of every model for this symbol, except the requesting model's own.</summary>
    [Id(14)] public required IReadOnlyList<ModelOutputs.ModelOutput> ModelOutputs { get; init; }
    [Id(15)] public required QualityReport Quality { get; init; }

    /// <summary>The candle series of a timeframe.</summary>
    public CandleFrames CandlesOf(Candles.Timeframe timeframe) => timeframe.Milliseconds switch
    {
        1_000 => Candles1s,
        60_000 => Candles1m,
        3_600_000 => Candles1h,
        _ => Candles1d,
    };
}
