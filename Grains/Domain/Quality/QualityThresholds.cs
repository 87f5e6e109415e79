namespace MarketData.Domain.Quality;

/// <summary>
/// How the data-quality score judges a <see cref="Inputs.BaseDataInput"/>: how old each source may be before it counts
/// as stale, how fast freshness decays after that, how the three components weigh, and where a critical problem caps
/// the score. Bound from configuration section <see cref="SectionName"/>; see docs/data-quality.md.
/// <para>
/// Every age is measured against the snapshot's own time (<see cref="Inputs.BaseDataInput.Timestamp"/>), never the wall
/// clock, so an "as of T" snapshot is judged as it stood at T. A source is fully fresh (1) up to its allowance, then
/// falls linearly to 0 at <see cref="StaleFactor"/> times the allowance.
/// </para>
/// </summary>
public sealed class QualityThresholds
{
    public const string SectionName = "BaseInput:Quality";

    /// <summary>
    /// Age of the book's last applied update (local receive time). Default 2 s: the depth stream of a followed symbol
    /// delivers every 100 ms and the feed heartbeat runs every 5 s, so two silent seconds already mean trouble while
    /// a quiet symbol's brief lull stays within it.
    /// </summary>
    public TimeSpan BookAllowance { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Time since the latest aggregated second ended (its start + 1 s). Default 2 s: a second is aggregated once it ends
    /// (a quiet one after a 250 ms grace, <c>Cob:SecondGrace</c>), so a healthy snapshot sees an aggregate 0-1.25 s old.
    /// </summary>
    public TimeSpan AggregateAllowance { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Time since the last 1s candle's interval ended. Default 3 s: one interval plus 2 s for the kline stream (which
    /// closes a candle a little after its second) or for the trade builder's grace.
    /// </summary>
    public TimeSpan Candles1sAllowance { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Time since the last closed 1m candle's interval ended. Default 1 m 10 s: up to one whole minute passes between
    /// closes by design, plus 10 s for the close to arrive (stream, or a REST poll while falling back to MEXC).
    /// </summary>
    public TimeSpan Candles1mAllowance { get; set; } = TimeSpan.FromSeconds(70);

    /// <summary>Default 1 h 1 min: one interval plus a minute of delivery slack (REST fallback polls are slower).</summary>
    public TimeSpan Candles1hAllowance { get; set; } = TimeSpan.FromMinutes(61);

    /// <summary>Default 1 d 10 min: one interval plus ten minutes, since daily closes arrive last after midnight UTC.</summary>
    public TimeSpan Candles1dAllowance { get; set; } = TimeSpan.FromMinutes(24 * 60 + 10);

    /// <summary>Default 3 s, as for the symbol's own 1s candles.</summary>
    public TimeSpan Reference1sAllowance { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Freshness is 0 at this multiple of a source's allowance (linear in between). Default 5: a book 10 s silent or a
    /// 1m series whose last close is almost 6 minutes old no longer counts as current at all, while being just past
    /// the allowance costs little (at 2x the allowance a source still scores 0.75).
    /// </summary>
    public double StaleFactor { get; set; } = 5;

    /// <summary>
    /// Weight of completeness. Default 0.4, the largest: missing data is what the reference system silently fed its
    /// models, and a fixed-layout vector padded with zeros is the worst input a model can get.
    /// </summary>
    public double CompletenessWeight { get; set; } = 0.4;

    /// <summary>Weight of freshness. Default 0.3.</summary>
    public double FreshnessWeight { get; set; } = 0.3;

    /// <summary>Weight of consistency. Default 0.3.</summary>
    public double ConsistencyWeight { get; set; } = 0.3;

    /// <summary>
    /// The highest score a snapshot with a critical problem can get. Default 0.5: below any sensible minimum (the
    /// default minimum is 0.8), so a critical problem always fails the request unless the caller explicitly accepts
    /// such data by asking for 0.5 or less.
    /// </summary>
    public double CriticalCap { get; set; } = 0.5;

    /// <summary>Null when valid, else why not.</summary>
    public string? Validate()
    {
        if (!PositiveAllowance(BookAllowance)) return Allowance(nameof(BookAllowance), BookAllowance);
        if (!PositiveAllowance(AggregateAllowance)) return Allowance(nameof(AggregateAllowance), AggregateAllowance);
        if (!PositiveAllowance(Candles1sAllowance)) return Allowance(nameof(Candles1sAllowance), Candles1sAllowance);
        if (!PositiveAllowance(Candles1mAllowance)) return Allowance(nameof(Candles1mAllowance), Candles1mAllowance);
        if (!PositiveAllowance(Candles1hAllowance)) return Allowance(nameof(Candles1hAllowance), Candles1hAllowance);
        if (!PositiveAllowance(Candles1dAllowance)) return Allowance(nameof(Candles1dAllowance), Candles1dAllowance);
        if (!PositiveAllowance(Reference1sAllowance)) return Allowance(nameof(Reference1sAllowance), Reference1sAllowance);
        if (!(StaleFactor >= 1 && StaleFactor <= 1000)) return $"Quality:StaleFactor must be in [1, 1000] (was {StaleFactor}).";
        if (!Weight(CompletenessWeight)) return $"Quality:CompletenessWeight must be a finite number >= 0 (was {CompletenessWeight}).";
        if (!Weight(FreshnessWeight)) return $"Quality:FreshnessWeight must be a finite number >= 0 (was {FreshnessWeight}).";
        if (!Weight(ConsistencyWeight)) return $"Quality:ConsistencyWeight must be a finite number >= 0 (was {ConsistencyWeight}).";
        if (!(CompletenessWeight + FreshnessWeight + ConsistencyWeight > 0)) return "Quality: the component weights must not all be 0.";
        if (!(CriticalCap >= 0 && CriticalCap <= 1)) return $"Quality:CriticalCap must be in [0, 1] (was {CriticalCap}).";
        return null;
    }

    // Up to 30 days: beyond that a snapshot is not "stale", it is history, and the products with StaleFactor must not overflow.
    private static bool PositiveAllowance(TimeSpan value) => value > TimeSpan.Zero && value <= TimeSpan.FromDays(30);

    private static string Allowance(string name, TimeSpan value) => $"Quality:{name} must be in (0, 30 days] (was {value}).";

    private static bool Weight(double value) => double.IsFinite(value) && value >= 0;
}
