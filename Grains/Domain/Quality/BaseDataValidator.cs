using MarketData.Inputs;

namespace MarketData.Domain.Quality;

/// <summary>
/// Finds everything wrong with a <see cref="BaseDataInput"/>. Every problem is reported (never only the first), each
/// with its field, rule (<see cref="ValidationRules"/>), what was expected, what was found and a severity; at most
/// <see cref="PerRuleLimit"/> problems of one rule are listed per series, followed by one summary ("... and 290 more").
/// Rules and severities: docs/data-quality.md. Ages are measured against the snapshot's time, never the wall clock.
/// </summary>
public static class BaseDataValidator
{
    /// <summary>Problems of one rule listed per series before the rest are summed up.</summary>
    public const int PerRuleLimit = QualityEvaluation.PerRuleLimit;

    /// <summary>Every problem found, in the order: candle series (1s, 1m, 1h, 1d, reference), book, aggregate, pivots, model outputs.</summary>
    /// <exception cref="ArgumentException">The thresholds are invalid.</exception>
    public static IReadOnlyList<ValidationProblem> Validate(BaseDataInput input, QualityThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(input);
        QualityScorer.ThrowIfInvalid(thresholds);
        return QualityEvaluation.Run(input, thresholds).Problems;
    }
}
