namespace MarketData.Pivots;

[GenerateSerializer, Alias("MarketData.SwingKind")]
public enum SwingKind : byte { High = 0, Low = 1 }

[GenerateSerializer, Alias("MarketData.Trend")]
public enum Trend : byte { Sideways = 0, Up = 1, Down = 2 }

/// <summary>
/// A Williams swing point. <see cref="Time"/> is the open time of the pivot candle; <see cref="ConfirmedAt"/>
/// is the close time of the candle whose close made it known (no look-ahead: a consumer at time T sees
/// only points with <c>ConfirmedAt &lt;= T</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.SwingPoint")]
public readonly record struct SwingPoint
{
    /// <summary>1 (short term) to 5.</summary>
    [Id(0)] public int Level { get; init; }
    [Id(1)] public SwingKind Kind { get; init; }
    /// <summary>Open time of the pivot candle, Unix ms.</summary>
    [Id(2)] public long Time { get; init; }
    /// <summary>The candle's high (swing high) or low (swing low), fixed-point 10^8.</summary>
    [Id(3)] public long Price { get; init; }
    /// <summary>How far the point stands out: candles (level 1) or lower-level points (level k) on each side that it beats, at least the configured strength.</summary>
    [Id(4)] public int Strength { get; init; }
    /// <summary>When the point became known, Unix ms (close time of the confirming candle).</summary>
    [Id(5)] public long ConfirmedAt { get; init; }
    /// <summary>Index of the pivot candle in the analysed series (stable for a given series).</summary>
    [Id(6)] public long CandleIndex { get; init; }
}

/// <summary>A support or resistance level: nearby pivot prices merged, with how often price turned there.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PriceLevelZone")]
public readonly record struct SupportResistanceLevel
{
    [Id(0)] public long Price { get; init; }
    [Id(1)] public int Touches { get; init; }
    /// <summary>Highest pivot level among the merged points (higher = stronger).</summary>
    [Id(2)] public int Strength { get; init; }
    /// <summary>True for support (from lows), false for resistance (from highs).</summary>
    [Id(3)] public bool IsSupport { get; init; }
    [Id(4)] public long LastTouch { get; init; }
}
