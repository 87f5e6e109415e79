using System.Globalization;
using MarketData.ModelOutputs;

namespace MarketData.Domain.ModelOutputs;

/// <summary>
/// The bounds on what a model may submit and on how much of it is kept (configuration section
/// <see cref="SectionName"/>). Checked by <see cref="ModelOutputValidator"/> on submit and by
/// <see cref="ModelOutputHistory"/> on every add and import. See docs/model-outputs.md.
/// </summary>
public sealed class ModelOutputLimits
{
    public const string SectionName = "ModelOutputs";

    /// <summary>Outputs kept per model and symbol; the oldest go first. Default 1,000.</summary>
    public int HistoryLimit { get; set; } = 1_000;

    /// <summary>Estimated memory of the kept outputs (<see cref="ModelOutputHistory.EstimateBytes"/>); the oldest go first. Default 16 MiB.</summary>
    public long MaxHistoryBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Most numbers in <see cref="ModelOutput.Predictions"/>. Default 4,096.</summary>
    public int MaxPredictions { get; set; } = 4_096;

    /// <summary>Largest <see cref="ModelOutput.HiddenState"/> in bytes. Default 1 MiB.</summary>
    public int MaxHiddenStateBytes { get; set; } = 1024 * 1024;

    /// <summary>Most entries in <see cref="ModelOutput.Metadata"/>. Default 64.</summary>
    public int MaxMetadataEntries { get; set; } = 64;

    /// <summary>Longest metadata key, in characters. Default 64.</summary>
    public int MaxMetadataKeyLength { get; set; } = 64;

    /// <summary>Longest metadata value, in characters. Default 1,024.</summary>
    public int MaxMetadataValueLength { get; set; } = 1_024;

    /// <summary>Longest <see cref="ModelOutput.ModelType"/>. Default 64.</summary>
    public int MaxModelTypeLength { get; set; } = 64;

    /// <summary>How far ahead of the grain's clock an output's time may be (clock skew between model host and silo). Default 5 s.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How far back an output's time may be. Default 3,650 days: backtests write outputs for past times, so this only
    /// catches unit mistakes (seconds for milliseconds lands in 1970).
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(3_650);

    /// <summary>
    /// The estimate (<see cref="ModelOutputHistory.EstimateBytes"/>) of the largest output these limits accept: every
    /// field at its maximum. A double because absurd settings would overflow a long; only compared, never stored.
    /// </summary>
    public double LargestOutputBytes()
        => ModelOutputHistory.FixedOverheadBytes
           + ModelOutputHistory.StringBytes(Math.Max(0, MaxModelTypeLength))
           + ModelOutputHistory.StringBytes(ModelOutputKey.MaxModelNameLength)
           + (8.0 * Math.Max(0, MaxPredictions))
           + Math.Max(0, MaxHiddenStateBytes)
           + (Math.Max(0, MaxMetadataEntries)
              * (ModelOutputHistory.MetadataEntryOverheadBytes
                 + (double)ModelOutputHistory.StringBytes(Math.Max(0, MaxMetadataKeyLength))
                 + ModelOutputHistory.StringBytes(Math.Max(0, MaxMetadataValueLength))));

    /// <summary>Null when valid, else every problem in one message.</summary>
    public string? Validate()
    {
        var problems = new List<string>();
        void Check(bool ok, FormattableString problem)
        {
            if (!ok) problems.Add(problem.ToString(CultureInfo.InvariantCulture));
        }

        Check(HistoryLimit >= 1, $"HistoryLimit must be at least 1 (was {HistoryLimit}).");
        Check(MaxPredictions >= 1, $"MaxPredictions must be at least 1 (was {MaxPredictions}).");
        Check(MaxHiddenStateBytes >= 0, $"MaxHiddenStateBytes must not be negative (was {MaxHiddenStateBytes}).");
        Check(MaxMetadataEntries >= 0, $"MaxMetadataEntries must not be negative (was {MaxMetadataEntries}).");
        Check(MaxMetadataKeyLength >= 1, $"MaxMetadataKeyLength must be at least 1 (was {MaxMetadataKeyLength}).");
        Check(MaxMetadataValueLength >= 0, $"MaxMetadataValueLength must not be negative (was {MaxMetadataValueLength}).");
        Check(MaxModelTypeLength >= 1, $"MaxModelTypeLength must be at least 1 (was {MaxModelTypeLength}).");
        Check(MaxFutureSkew >= TimeSpan.Zero, $"MaxFutureSkew must not be negative (was {MaxFutureSkew}).");
        Check(MaxAge > TimeSpan.Zero, $"MaxAge must be positive (was {MaxAge}).");
        // The byte bound must hold at least one output of the largest accepted size, or a valid submit would evict
        // everything but itself and still break the bound.
        var largest = LargestOutputBytes();
        Check(MaxHistoryBytes >= largest,
            $"MaxHistoryBytes ({MaxHistoryBytes:N0}) must hold at least one output of the largest size the other limits accept ({largest:N0} bytes estimated).");
        return problems.Count == 0 ? null : string.Join(" ", problems);
    }

    /// <summary>A copy, so a caller holding the options cannot change the limits under a running history.</summary>
    public ModelOutputLimits Copy() => (ModelOutputLimits)MemberwiseClone();
}
