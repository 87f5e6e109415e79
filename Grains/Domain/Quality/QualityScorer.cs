using System.Text;
using MarketData.Books;
using MarketData.Inputs;
using static MarketData.Domain.Quality.QualityText;

namespace MarketData.Domain.Quality;

/// <summary>
/// The data-quality score of a <see cref="BaseDataInput"/>, from 0 to 1, with its three parts each explained in a
/// sentence with the numbers (docs/data-quality.md has the formula and worked examples):
/// <list type="bullet">
/// <item>Completeness: weighted mean of min(1, frames / requested) per candle series (weight 1; the reference series
/// 0.5), the aggregate present and not a gap (1), pivots not empty (0.5) and pivot bounds present (0.5).</item>
/// <item>Freshness: mean over the seven sources (book, aggregate, 1s, 1m, 1h, 1d, reference 1s) of
/// <see cref="Freshness"/> of their age; a source with nothing to date scores 0.</item>
/// <item>Consistency: mean of seven parts: per candle series the fraction of candles passing the per-candle checks
/// (an empty series has nothing to contradict: 1), the book (synced 1, stale 0.5, otherwise 0), the aggregate
/// (agrees with the book and the microstructure 1, else 0).</item>
/// </list>
/// Score = the weighted mean of the three (weights from <see cref="QualityThresholds"/>), then at most
/// <see cref="QualityThresholds.CriticalCap"/> when any problem is <see cref="ProblemSeverity.Critical"/>.
/// Ignores <see cref="BaseDataInput.Quality"/>: the assembler fills it from this report.
/// </summary>
public static class QualityScorer
{
    /// <summary>Completeness weight of each of the symbol's four candle series.</summary>
    public const double SeriesWeight = 1;
    /// <summary>The reference symbol's 1s candles: context, not the subject, so half a series.</summary>
    public const double ReferenceWeight = 0.5;
    /// <summary>The aggregated second: the whole order-book side of the snapshot hangs on it.</summary>
    public const double AggregateWeight = 1;
    /// <summary>Pivots (any level) and their bounds: structure and normalisation, each half a series.</summary>
    public const double PivotsWeight = 0.5;
    public const double BoundsWeight = 0.5;
    /// <summary>Consistency of a stale book: its levels were correct as of its last update, but may lag the market.</summary>
    public const double StaleBookConsistency = 0.5;
    /// <summary>
    /// Consistency taken off the book for each side whose touch lies beyond the verified range: its levels are exact,
    /// but levels near the touch may be missing.
    /// </summary>
    public const double UnverifiedTouchPenalty = 0.25;

    /// <summary>Scores <paramref name="input"/> and checks it against <paramref name="minQuality"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minQuality"/> is not a finite number from 0 to 1.</exception>
    /// <exception cref="ArgumentException">The thresholds are invalid.</exception>
    public static QualityReport Score(BaseDataInput input, double minQuality, QualityThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!double.IsFinite(minQuality) || minQuality < 0 || minQuality > 1)
            throw new ArgumentOutOfRangeException(nameof(minQuality), minQuality, "minQuality must be a finite number from 0 to 1.");
        ThrowIfInvalid(thresholds);

        var e = QualityEvaluation.Run(input, thresholds);
        var weights = thresholds.CompletenessWeight + thresholds.FreshnessWeight + thresholds.ConsistencyWeight;
        var completeness = Completeness(e, thresholds.CompletenessWeight / weights);
        var freshness = FreshnessComponent(e, thresholds.FreshnessWeight / weights);
        var consistency = Consistency(e, thresholds.ConsistencyWeight / weights);

        var uncapped = Math.Clamp(
            (thresholds.CompletenessWeight * completeness.Score + thresholds.FreshnessWeight * freshness.Score
             + thresholds.ConsistencyWeight * consistency.Score) / weights, 0, 1);
        var score = e.HasCritical ? Math.Min(uncapped, thresholds.CriticalCap) : uncapped;

        return new QualityReport
        {
            Score = score,
            Uncapped = uncapped,
            Completeness = completeness,
            Freshness = freshness,
            Consistency = consistency,
            Problems = e.Problems,
            MinimumRequired = minQuality,
            Accepted = score >= minQuality,
            AsOf = input.Timestamp,
        };
    }

    /// <summary>
    /// Freshness of a source <paramref name="ageMs"/> old: 1 up to the allowance (and for a negative age), then falling
    /// linearly to 0 at <paramref name="staleFactor"/> times the allowance.
    /// </summary>
    public static double Freshness(long ageMs, long allowanceMs, double staleFactor)
    {
        if (ageMs <= allowanceMs) return 1;
        var zeroAt = allowanceMs * staleFactor;
        if (ageMs >= zeroAt) return 0;
        return (zeroAt - ageMs) / (zeroAt - allowanceMs);
    }

    [ThreadStatic] private static StringBuilder? t_builder;

    /// <summary>A cleared builder reused by this thread: explanations are built one after the other, each turned into its string.</summary>
    private static StringBuilder Builder() => (t_builder ??= new StringBuilder(256)).Clear();

    internal static void ThrowIfInvalid(QualityThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var invalid = thresholds.Validate();
        if (invalid is not null) throw new ArgumentException(invalid, nameof(thresholds));
    }

    private static QualityComponent Completeness(QualityEvaluation e, double weight)
    {
        var text = Builder();
        double sum = 0, weights = 0;
        for (var s = 0; s < e.Series.Length; s++)
        {
            ref readonly var series = ref e.Series[s];
            var partWeight = s < 4 ? SeriesWeight : ReferenceWeight;
            var part = series.Requested <= 0 ? 1 : Math.Min(1, (double)series.Count / series.Requested);
            sum += partWeight * part;
            weights += partWeight;
            if (s > 0) text.Append(", ");
            text.Append(series.Name).Append(' ').AppendInt(series.Count).Append('/').AppendInt(series.Requested);
            if (part < 1) text.Append(" (").AppendRatio(part).Append(')');
            if (partWeight != SeriesWeight) text.Append(" weight ").AppendRatio(partWeight);
        }

        var aggregate = e.AggregatePresent && !e.AggregateIsGap ? 1 : 0;
        sum += AggregateWeight * aggregate;
        weights += AggregateWeight;
        text.Append("; aggregate ").Append(!e.AggregatePresent ? "missing (0)" : e.AggregateIsGap ? "a gap second (0)" : "present");

        var pivots = e.PivotPoints > 0 ? 1 : 0;
        sum += PivotsWeight * pivots;
        weights += PivotsWeight;
        text.Append(", pivots ");
        if (pivots == 1) text.AppendInt(e.PivotPoints).Append(" points");
        else text.Append("empty (0)");
        text.Append(" weight ").AppendRatio(PivotsWeight);

        var bounds = e.BoundsPresent ? 1 : 0;
        sum += BoundsWeight * bounds;
        weights += BoundsWeight;
        text.Append(", bounds ").Append(bounds == 1 ? "present" : "missing (0)").Append(" weight ").AppendRatio(BoundsWeight);

        var score = sum / weights;
        text.Append(": ").AppendRatio(sum).Append(" of ").AppendRatio(weights).Append(" = ").AppendRatio(score).Append('.');
        return new QualityComponent { Name = "completeness", Score = score, Weight = weight, Explanation = text.ToString() };
    }

    private static QualityComponent FreshnessComponent(QualityEvaluation e, double weight)
    {
        var text = Builder();
        double sum = 0;
        var sources = 0;

        text.Append("book ");
        if (e.BookAgeMs is { } bookAge) sum += Source(text, bookAge, e.BookAllowanceMs, e.StaleFactor);
        else text.Append("never updated (0)");
        sources++;

        text.Append(", aggregate ");
        if (e.AggregatePresent) sum += Source(text, e.AggregateAgeMs, e.AggregateAllowanceMs, e.StaleFactor);
        else text.Append("missing (0)");
        sources++;

        for (var s = 0; s < e.Series.Length; s++)
        {
            ref readonly var series = ref e.Series[s];
            text.Append(", ").Append(series.Name).Append(' ');
            if (series.Count > 0) sum += Source(text, series.AgeMs, series.AllowanceMs, e.StaleFactor);
            else text.Append("no candles (0)");
            sources++;
        }

        var score = sum / sources;
        text.Append(": mean of ").AppendInt(sources).Append(" = ").AppendRatio(score).Append('.');
        return new QualityComponent { Name = "freshness", Score = score, Weight = weight, Explanation = text.ToString() };
    }

    private static double Source(StringBuilder text, long ageMs, long allowanceMs, double staleFactor)
    {
        var value = Freshness(ageMs, allowanceMs, staleFactor);
        text.AppendDuration(Math.Max(0, ageMs)).Append(" old");
        if (value < 1) text.Append(" (").AppendRatio(value).Append(", allowed ").AppendDuration(allowanceMs).Append(')');
        return value;
    }

    private static string BookStatusName(BookStatus status) => status switch
    {
        BookStatus.Synced => nameof(BookStatus.Synced),
        BookStatus.Stale => nameof(BookStatus.Stale),
        BookStatus.Syncing => nameof(BookStatus.Syncing),
        BookStatus.Resyncing => nameof(BookStatus.Resyncing),
        _ => status.ToString(),
    };

    private static QualityComponent Consistency(QualityEvaluation e, double weight)
    {
        var text = Builder();
        text.Append("candles passing the checks: ");
        double sum = 0;
        var parts = 0;
        for (var s = 0; s < e.Series.Length; s++)
        {
            ref readonly var series = ref e.Series[s];
            var part = series.Count == 0 ? 1 : (double)series.Passing / series.Count;
            sum += part;
            parts++;
            if (s > 0) text.Append(", ");
            text.Append(series.Name).Append(' ');
            if (series.Count == 0)
            {
                text.Append("none (1)");
                continue;
            }
            text.AppendInt(series.Passing).Append('/').AppendInt(series.Count);
            if (part < 1) text.Append(" (").AppendRatio(part).Append(')');
        }

        var book = e.BookStatus switch
        {
            BookStatus.Synced => 1,
            BookStatus.Stale => StaleBookConsistency,
            _ => 0,
        };
        book = Math.Max(0, book - UnverifiedTouchPenalty * e.UnverifiedTouches);
        sum += book;
        parts++;
        text.Append("; book ").Append(BookStatusName(e.BookStatus));
        if (e.UnverifiedTouches > 0) text.Append(", ").AppendInt(e.UnverifiedTouches).Append(" touch(es) beyond the verified range");
        text.Append(" (").AppendRatio(book).Append(')');

        var aggregate = e.AggregateConsistent ? 1 : 0;
        sum += aggregate;
        parts++;
        text.Append(", aggregate ")
            .Append(e.AggregateConsistent ? e.AggregatePresent ? "consistent (1)" : "none, nothing to contradict (1)" : "inconsistent (0)");

        var score = sum / parts;
        text.Append(": mean of ").AppendInt(parts).Append(" = ").AppendRatio(score).Append('.');
        return new QualityComponent { Name = "consistency", Score = score, Weight = weight, Explanation = text.ToString() };
    }
}
