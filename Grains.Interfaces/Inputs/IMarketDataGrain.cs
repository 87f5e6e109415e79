namespace MarketData.Inputs;

/// <summary>What a caller asks of a snapshot.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.BaseDataRequest")]
public sealed record BaseDataRequest
{
    public const double DefaultMinQuality = 0.8;

    /// <summary>Below this score the call returns the report and no snapshot (0..1).</summary>
    [Id(0)] public double MinQuality { get; init; } = DefaultMinQuality;
    /// <summary>Unix ms: only what was known by then; null for now.</summary>
    [Id(1)] public long? AsOf { get; init; }
    /// <summary>The requesting model: its own outputs are left out of <see cref="BaseDataInput.ModelOutputs"/>.</summary>
    [Id(2)] public string? Model { get; init; }
}

/// <summary>A snapshot and its report, or, when the score fell below the minimum, only the report: never a silent partial snapshot.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.BaseDataResult")]
public sealed record BaseDataResult
{
    /// <summary>Null when <see cref="QualityReport.Accepted"/> is false.</summary>
    [Id(0)] public BaseDataInput? Input { get; init; }
    [Id(1)] public required QualityReport Quality { get; init; }
}

/// <summary>A feature vector and its report, or only the report when the score fell below the minimum.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeatureResult")]
public sealed record FeatureResult
{
    [Id(0)] public FeatureVector? Vector { get; init; }
    [Id(1)] public required QualityReport Quality { get; init; }
}

/// <summary>
/// The market-data grain of one instrument (key <c>exchange:SYMBOL</c>): assembles <see cref="BaseDataInput"/> from
/// the candle, book and pivot grains and the model outputs, validates and scores it, builds the feature vector, and,
/// when configured, publishes snapshots on the <c>base-input</c> stream at an interval.
/// </summary>
[Alias("MarketData.IMarketDataGrain")]
public interface IMarketDataGrain : IGrainWithStringKey
{
    [Alias("GetBaseDataInput")]
    Task<BaseDataResult> GetBaseDataInputAsync(BaseDataRequest request);

    [Alias("GetFeatureVector")]
    Task<FeatureResult> GetFeatureVectorAsync(BaseDataRequest request);

    /// <summary>The layout the feature vectors of this grain follow.</summary>
    [Alias("GetFeatureLayout")]
    Task<FeatureLayout> GetFeatureLayoutAsync();

    /// <summary>Starts the periodic snapshot stream when one is configured for this instrument; idempotent.</summary>
    [Alias("EnsurePublishing")]
    Task EnsurePublishingAsync();
}
