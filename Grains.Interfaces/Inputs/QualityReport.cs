namespace MarketData.Inputs;

/// <summary>How much a problem matters. A <see cref="Critical"/> problem caps the quality score at 0.5.</summary>
[GenerateSerializer, Alias("MarketData.ProblemSeverity")]
public enum ProblemSeverity : byte { Warning = 0, Error = 1, Critical = 2 }

/// <summary>One thing wrong with a snapshot: where, which rule, what was expected and what was found.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.ValidationProblem")]
public sealed record ValidationProblem
{
    /// <summary>The field, e.g. <c>candles.1m[12].high</c>, <c>book.status</c>, <c>aggregate</c>.</summary>
    [Id(0)] public required string Field { get; init; }
    /// <summary>The rule's code (see <see cref="ValidationRules"/>).</summary>
    [Id(1)] public required string Rule { get; init; }
    [Id(2)] public required string Expected { get; init; }
    [Id(3)] public required string Actual { get; init; }
    [Id(4)] public ProblemSeverity Severity { get; init; }

    public override string ToString() => $"{Field}: {Rule}: expected {Expected}, found {Actual}";
}

/// <summary>The codes of the validation rules.</summary>
public static class ValidationRules
{
    public const string TooFewFrames = "too-few-frames";
    public const string NotIncreasing = "timestamps-not-increasing";
    public const string NotAligned = "timestamps-not-aligned";
    public const string OhlcInconsistent = "ohlc-inconsistent";
    /// <summary>A forming (not closed) candle among the frames: frames hold closed candles only.</summary>
    public const string NotClosed = "candle-not-closed";
    public const string MissingFrames = "missing-frames";
    public const string Stale = "stale";
    public const string BookNotSynced = "book-not-synced";
    /// <summary>A touch (best bid or ask) lies beyond the price range the book's snapshots vouched for: levels near it may be missing.</summary>
    public const string TouchUnverified = "touch-unverified";
    public const string MissingAggregate = "missing-aggregate";
    public const string AggregateGap = "aggregate-gap";
    public const string AggregateInconsistent = "aggregate-inconsistent";
    public const string EmptyPivots = "empty-pivots";
    public const string MissingBounds = "missing-bounds";
    public const string LookAhead = "look-ahead";
}

/// <summary>One part of the quality score, with the weight it carries and a sentence that says how it was reached.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.QualityComponent")]
public sealed record QualityComponent
{
    [Id(0)] public required string Name { get; init; }
    /// <summary>0..1.</summary>
    [Id(1)] public double Score { get; init; }
    [Id(2)] public double Weight { get; init; }
    [Id(3)] public required string Explanation { get; init; }
}

/// <summary>
/// The data-quality report of a snapshot: a score from 0 to 1 made of completeness, freshness and consistency
/// (each explained), every problem found, and whether the caller's minimum was met.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.QualityReport")]
public sealed record QualityReport
{
    [Id(0)] public double Score { get; init; }
    [Id(1)] public required QualityComponent Completeness { get; init; }
    [Id(2)] public required QualityComponent Freshness { get; init; }
    [Id(3)] public required QualityComponent Consistency { get; init; }
    [Id(4)] public required IReadOnlyList<ValidationProblem> Problems { get; init; }
    /// <summary>The score before a critical problem capped it (equal to <see cref="Score"/> when nothing capped it).</summary>
    [Id(5)] public double Uncapped { get; init; }
    /// <summary>The minimum the caller asked for.</summary>
    [Id(6)] public double MinimumRequired { get; init; }
    [Id(7)] public bool Accepted { get; init; }
    /// <summary>The time the report judges freshness against (the snapshot's time), Unix ms.</summary>
    [Id(8)] public long AsOf { get; init; }
}
