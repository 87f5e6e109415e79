namespace MarketData.Domain.Pivots;

/// <summary>
/// Settings of the Williams market-structure engine (<see cref="WilliamsPivotEngine"/>).
/// <para>
/// <b>Tie rule</b> (one rule, every level): a point is a swing high when its price is <i>strictly greater</i> than each
/// of the <see cref="Strength"/> neighbours on its left and <i>greater than or equal</i> to each of the neighbours on its
/// right (swing low: strictly lower than the left, lower or equal to the right). A flat top or bottom therefore yields
/// exactly one pivot, its leftmost candle: every later candle of the plateau fails "strictly greater than the left".
/// Consequence (inherent in any rule that looks only s candles ahead): a plateau followed within s candles by a
/// higher high still marks its first candle, e.g. highs 1,3,3,5 give a level-1 high at the first 3 when s = 1.
/// </para>
/// <para>
/// <b>Inside candles</b> (<see cref="SkipInsideCandles"/>, default false): when true, a candle whose high is not above
/// and low not below the last candle that was <i>not</i> skipped is ignored as a neighbour (Williams' practice); an inside
/// candle can never be a pivot under the tie rule anyway (it is not strictly beyond its predecessor).
/// </para>
/// </summary>
public sealed class PivotOptions
{
    public const long ThirtyDaysMs = 30L * 24 * 60 * 60 * 1000;

    /// <summary>Number of levels (1 = Williams' short term, 2 intermediate, 3 long term, 4 and 5 continue the recursion).</summary>
    public int Levels { get; set; } = 5;

    /// <summary>Level-1 strength s: candles each side a swing point must beat (Williams uses 1). Higher levels always use 1.</summary>
    public int Strength { get; set; } = 1;

    /// <summary>Ignore inside candles when looking for level-1 neighbours. Default false: every closed candle counts.</summary>
    public bool SkipInsideCandles { get; set; }

    /// <summary>Support/resistance merge tolerance as a fraction of price: a zone holds the pivot prices within
    /// <c>lowest * tolerance</c> above its lowest price. Default 0.001 (0.1 %).</summary>
    public double MergeTolerance { get; set; } = 0.001;

    /// <summary>
    /// Lowest pivot level used for support and resistance. Default 2: on 1s candles about a third of all candles are
    /// level-1 pivots, which is noise and makes zones expensive; set 1 for daily candles. Values above
    /// <see cref="Levels"/> mean the top level.
    /// </summary>
    public int SupportResistanceMinLevel { get; set; } = 2;

    /// <summary>Analysis window in ms (default 30 days): candles and pivots older than the newest close minus this are evicted.</summary>
    public long WindowMs { get; set; } = ThirtyDaysMs;

    /// <summary>Null when valid, else why not.</summary>
    public string? Validate()
    {
        if (Levels is < 1 or > 16) return $"Levels must be 1..16 (was {Levels}).";
        if (Strength is < 1 or > 64) return $"Strength must be 1..64 (was {Strength}).";
        if (!(MergeTolerance >= 0 && MergeTolerance < 1)) return $"MergeTolerance must be in [0, 1) (was {MergeTolerance}).";
        if (SupportResistanceMinLevel < 1) return $"SupportResistanceMinLevel must be at least 1 (was {SupportResistanceMinLevel}).";
        if (WindowMs <= 0) return $"WindowMs must be positive (was {WindowMs}).";
        return null;
    }

    internal PivotOptions Copy() => (PivotOptions)MemberwiseClone();
}

/// <summary>Outcome of <see cref="WilliamsPivotEngine.Add(in MarketData.Candles.Candle)"/>; data never throws.</summary>
public enum CandleAddResult
{
    /// <summary>Appended; all levels updated.</summary>
    Added = 0,
    /// <summary>Same open time as the last accepted candle: ignored, state unchanged.</summary>
    Duplicate = 1,
    /// <summary>Open time before the last accepted candle: ignored, state unchanged.</summary>
    OutOfOrder = 2,
    /// <summary>High below low, negative low or volume, or close before open: ignored, state unchanged.</summary>
    Invalid = 3,
    /// <summary>More than int.MaxValue candles in one engine (68 years of 1s candles): ignored.</summary>
    CapacityExceeded = 4,
}
