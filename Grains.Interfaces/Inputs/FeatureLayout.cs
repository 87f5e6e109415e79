namespace MarketData.Inputs;

/// <summary>One named feature at its offset in the vector.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeatureDescriptor")]
public readonly record struct FeatureDescriptor([property: Id(0)] string Name, [property: Id(1)] int Offset);

/// <summary>A contiguous run of features with one meaning (e.g. the 1m candles), documented once.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeatureBlock")]
public sealed record FeatureBlock
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public int Offset { get; init; }
    [Id(2)] public int Length { get; init; }
    [Id(3)] public required string Description { get; init; }
}

/// <summary>
/// The fixed layout of the float32 feature vector: its version (which changes whenever any offset would), its length,
/// and the name and offset of every feature. The same configuration always yields the same layout.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeatureLayout")]
public sealed record FeatureLayout
{
    /// <summary>E.g. <c>1:f300.300.300.300:r300:b11</c>: the schema number and the shape that fixes every offset.</summary>
    [Id(0)] public required string Version { get; init; }
    [Id(1)] public int Length { get; init; }
    [Id(2)] public required IReadOnlyList<FeatureBlock> Blocks { get; init; }
    [Id(3)] public required IReadOnlyList<FeatureDescriptor> Features { get; init; }
}

/// <summary>A feature vector with the layout version it follows and the quality of the snapshot it was built from.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeatureVector")]
public sealed record FeatureVector
{
    [Id(0)] public required string LayoutVersion { get; init; }
    /// <summary>The snapshot's time, Unix ms.</summary>
    [Id(1)] public long Timestamp { get; init; }
    /// <summary>Never NaN or infinite: a missing input is 0 (see the layout's presence features).</summary>
    [Id(2)] public required float[] Values { get; init; }
    [Id(3)] public required QualityReport Quality { get; init; }
}
