namespace MarketData.ModelOutputs;

/// <summary>
/// What a model produced for one symbol at one time. The grain fills <see cref="Sequence"/> and
/// <see cref="ReceivedAt"/>; everything else comes from the model and is validated on submit
/// (see docs/model-outputs.md for the limits).
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.ModelOutput")]
public sealed record ModelOutput
{
    /// <summary>The kind of model, e.g. <c>cnn</c>, <c>rl</c>, <c>transformer</c>.</summary>
    [Id(0)] public required string ModelType { get; init; }
    /// <summary>The model's name; the same as in the grain key.</summary>
    [Id(1)] public required string ModelName { get; init; }
    /// <summary>The time the output is for, Unix ms; never in the future.</summary>
    [Id(2)] public long Time { get; init; }
    /// <summary>0..1.</summary>
    [Id(3)] public double Confidence { get; init; }
    /// <summary>The model's predictions; finite numbers only.</summary>
    [Id(4)] public required double[] Predictions { get; init; }
    /// <summary>Optional opaque state a model wants to hand on (e.g. an RNN's hidden state).</summary>
    [Id(5)] public byte[]? HiddenState { get; init; }
    [Id(6)] public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <summary>Position in this model's history for this symbol, from 1; set by the grain.</summary>
    [Id(7)] public long Sequence { get; init; }
    /// <summary>When the grain accepted it (UTC); set by the grain.</summary>
    [Id(8)] public DateTime ReceivedAt { get; init; }
}

/// <summary>The answer to a submit: accepted with its sequence, or rejected with every reason.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.ModelOutputReceipt")]
public sealed record ModelOutputReceipt
{
    [Id(0)] public bool Accepted { get; init; }
    [Id(1)] public IReadOnlyList<string> Errors { get; init; } = [];
    [Id(2)] public long Sequence { get; init; }
    /// <summary>Outputs kept in the history after this submit.</summary>
    [Id(3)] public int HistoryCount { get; init; }
}
