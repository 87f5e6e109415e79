namespace MarketData.Pivots;

/// <summary>
/// Everything the Williams pivot engine needs to continue exactly where it stopped (grain reactivation): the options
/// it ran with, the recent-candle tail used for level-1 detection, the pivots of every level inside the window, the
/// short per-level tails used to promote points to the next level, the run-length candle count and the sliding
/// min/max deques. Plain arrays so the snapshot is compact. Produced and consumed by
/// <c>MarketData.Domain.Pivots.WilliamsPivotEngine.Export/Import</c>; treat it as opaque.
/// </summary>
[GenerateSerializer, Alias("MarketData.PivotEngineSnapshot")]
public sealed record PivotEngineSnapshot
{
    public const int CurrentVersion = 1;

    [Id(0)] public int Version { get; init; } = CurrentVersion;
    [Id(1)] public int Levels { get; init; }
    [Id(2)] public int Strength { get; init; }
    [Id(3)] public bool SkipInsideCandles { get; init; }
    [Id(4)] public long WindowMs { get; init; }
    [Id(5)] public double MergeTolerance { get; init; }
    [Id(6)] public int SupportResistanceMinLevel { get; init; }

    /// <summary>Candles accepted since the engine started (the next candle's index).</summary>
    [Id(7)] public long TotalCandles { get; init; }
    /// <summary>Open and close time of the last accepted candle; meaningful when <see cref="TotalCandles"/> &gt; 0.</summary>
    [Id(8)] public long LastOpenTime { get; init; }
    [Id(9)] public long LastCloseTime { get; init; }
    [Id(10)] public long Cutoff { get; init; }

    /// <summary>Last (up to 2s+1) candles that count as level-1 neighbours, oldest first.</summary>
    [Id(11)] public long[] TailOpenTimes { get; init; } = [];
    [Id(12)] public long[] TailCloseTimes { get; init; } = [];
    [Id(13)] public long[] TailHighs { get; init; } = [];
    [Id(14)] public long[] TailLows { get; init; } = [];
    [Id(15)] public long[] TailIndexes { get; init; } = [];

    /// <summary>Candles in the window as runs of constant spacing.</summary>
    [Id(16)] public long[] RunFirst { get; init; } = [];
    [Id(17)] public long[] RunStep { get; init; } = [];
    [Id(18)] public long[] RunCount { get; init; } = [];

    /// <summary>Sliding deques: max of highs, min of lows, max and min of volume.</summary>
    [Id(19)] public SlidingDequeSnapshot HighMax { get; init; } = new();
    [Id(20)] public SlidingDequeSnapshot LowMin { get; init; } = new();
    [Id(21)] public SlidingDequeSnapshot VolumeMax { get; init; } = new();
    [Id(22)] public SlidingDequeSnapshot VolumeMin { get; init; } = new();

    [Id(23)] public SwingSeriesSnapshot Highs { get; init; } = new();
    [Id(24)] public SwingSeriesSnapshot Lows { get; init; } = new();
}

/// <summary>A monotonic deque: (open time, value) pairs, front first.</summary>
[GenerateSerializer, Alias("MarketData.SlidingDequeSnapshot")]
public sealed record SlidingDequeSnapshot
{
    [Id(0)] public long[] Times { get; init; } = [];
    [Id(1)] public long[] Values { get; init; } = [];
}

/// <summary>The swing highs (or lows) of every level. Level-1 points in full; level k &gt;= 2 points as sequence numbers into the level-1 list.</summary>
[GenerateSerializer, Alias("MarketData.SwingSeriesSnapshot")]
public sealed record SwingSeriesSnapshot
{
    /// <summary>Sequence number of the first level-1 point below.</summary>
    [Id(0)] public long FirstSeq { get; init; }
    [Id(1)] public long[] Times { get; init; } = [];
    [Id(2)] public long[] Prices { get; init; } = [];
    [Id(3)] public long[] ConfirmedAt { get; init; } = [];
    [Id(4)] public long[] CandleIndexes { get; init; } = [];
    /// <summary>Levels 2..n, index 0 = level 2.</summary>
    [Id(5)] public UpperLevelSnapshot[] Upper { get; init; } = [];
    /// <summary>Per level 1..n-1 the last (up to two) points, used to decide the next level; flattened in level order.</summary>
    [Id(6)] public int[] TailLevels { get; init; } = [];
    [Id(7)] public long[] TailTimes { get; init; } = [];
    [Id(8)] public long[] TailPrices { get; init; } = [];
    [Id(9)] public long[] TailConfirmedAt { get; init; } = [];
    [Id(10)] public long[] TailCandleIndexes { get; init; } = [];
    [Id(11)] public long[] TailSeqs { get; init; } = [];
}

/// <summary>Points of one level &gt;= 2: level-1 sequence number and confirmation time.</summary>
[GenerateSerializer, Alias("MarketData.UpperLevelSnapshot")]
public sealed record UpperLevelSnapshot
{
    [Id(0)] public long[] Seqs { get; init; } = [];
    [Id(1)] public long[] ConfirmedAt { get; init; } = [];
}
