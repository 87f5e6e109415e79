using System.Globalization;
using System.Text;
using MarketData.ModelOutputs;

namespace MarketData.Domain.ModelOutputs;

/// <summary>
/// Checks a submitted <see cref="ModelOutput"/> against <see cref="ModelOutputLimits"/> and the model's history. Every
/// error is one sentence naming the field (as spelled in the HTTP JSON), the rule or limit and the value found, so a
/// model author can fix the output from the message alone. <see cref="ModelOutput.Sequence"/> and
/// <see cref="ModelOutput.ReceivedAt"/> are not checked: the grain overwrites them.
/// </summary>
public static class ModelOutputValidator
{
    /// <summary>How many bad entries of one kind (non-finite predictions, bad metadata entries) are spelled out before "and N more".</summary>
    public const int MaxListed = 5;

    /// <summary>Every problem with <paramref name="output"/>; empty when it may be stored.</summary>
    /// <param name="output">The submitted output.</param>
    /// <param name="key">The grain's key: the output's model name must be its model.</param>
    /// <param name="nowUnixMs">The grain's clock.</param>
    /// <param name="latest">The latest stored output of this model for this symbol, if any: history is in time order.</param>
    /// <param name="limits">The limits in force.</param>
    public static IReadOnlyList<string> Validate(ModelOutput output, ModelOutputKey key, long nowUnixMs, ModelOutput? latest, ModelOutputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(limits);
        if (key.Model is null) throw new ArgumentException("The key is default: it has no model.", nameof(key));

        var errors = new List<string>();
        CheckModelName(output.ModelName, key, errors);
        CheckModelType(output.ModelType, limits, errors);
        CheckPredictions(output.Predictions, limits, errors);
        CheckConfidence(output.Confidence, errors);
        CheckTime(output.Time, nowUnixMs, latest, limits, errors);
        CheckHiddenState(output.HiddenState, limits, errors);
        CheckMetadata(output.Metadata, limits, errors);
        return errors;
    }

    private static void CheckModelName(string? name, ModelOutputKey key, List<string> errors)
    {
        if (string.IsNullOrEmpty(name))
            errors.Add(Invariant($"modelName is missing: it must be '{key.Model}', the model of {key.Key}."));
        else if (!string.Equals(name, key.Model, StringComparison.Ordinal))
            errors.Add(Invariant($"modelName '{Shorten(name)}' does not match the model '{key.Model}' of {key.Key} (names are case-sensitive)."));
    }

    private static void CheckModelType(string? type, ModelOutputLimits limits, List<string> errors)
    {
        var max = limits.MaxModelTypeLength;
        if (string.IsNullOrEmpty(type))
        {
            errors.Add(Invariant($"modelType is missing: expected 1-{max} characters from A-Z, a-z, 0-9, '.', '_' or '-' (e.g. 'cnn')."));
            return;
        }
        if (type.Length > max)
            errors.Add(Invariant($"modelType is {type.Length} characters long, more than the maximum of {max} (MaxModelTypeLength)."));
        for (var i = 0; i < type.Length; i++)
        {
            var c = type[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') continue;
            errors.Add(Invariant($"modelType '{Shorten(type)}' contains {Describe(c)} at position {i}: only A-Z, a-z, 0-9, '.', '_' and '-' are allowed."));
            break;
        }
    }

    private static void CheckPredictions(double[]? predictions, ModelOutputLimits limits, List<string> errors)
    {
        var max = limits.MaxPredictions;
        if (predictions is null)
        {
            errors.Add(Invariant($"predictions are missing: send 1 to {max} finite numbers."));
            return;
        }
        if (predictions.Length == 0)
            errors.Add(Invariant($"predictions are empty: send 1 to {max} finite numbers."));
        else if (predictions.Length > max)
            errors.Add(Invariant($"predictions has {predictions.Length} values, more than the maximum of {max} (MaxPredictions)."));

        var bad = 0;
        var listed = new StringBuilder();
        for (var i = 0; i < predictions.Length; i++)
        {
            var value = predictions[i];
            if (double.IsFinite(value)) continue;
            if (bad < MaxListed)
            {
                if (bad > 0) listed.Append(", ");
                listed.Append(CultureInfo.InvariantCulture, $"[{i}] is {Describe(value)}");
            }
            bad++;
        }
        if (bad == 0) return;
        var more = bad > MaxListed ? Invariant($", and {bad - MaxListed} more") : "";
        var count = bad == 1 ? "1 value that is" : Invariant($"{bad} values that are");
        errors.Add(Invariant($"predictions has {count} not finite (NaN or infinity): {listed}{more}."));
    }

    private static void CheckConfidence(double confidence, List<string> errors)
    {
        if (!double.IsFinite(confidence))
            errors.Add(Invariant($"confidence is {Describe(confidence)}: it must be a finite number from 0 to 1."));
        else if (confidence is < 0 or > 1)
            errors.Add(Invariant($"confidence {confidence:R} is outside [0, 1]."));
    }

    private static void CheckTime(long time, long now, ModelOutput? latest, ModelOutputLimits limits, List<string> errors)
    {
        if (time <= 0)
        {
            errors.Add(Invariant($"time must be a positive Unix time in milliseconds (was {time})."));
            return;
        }
        var skewMs = (long)limits.MaxFutureSkew.TotalMilliseconds;
        var maxAgeMs = (long)limits.MaxAge.TotalMilliseconds;
        if (time > now && time - now > skewMs)
            errors.Add(Invariant($"time {FormatTime(time)} is {FormatDuration(time - now)} in the future (now {FormatTime(now)}; allowed clock skew {FormatDuration(skewMs)}, MaxFutureSkew)."));
        else if (time < now && now - time > maxAgeMs)
            errors.Add(Invariant($"time {FormatTime(time)} is {FormatDuration(now - time)} old, more than the maximum age of {FormatDuration(maxAgeMs)} (MaxAge; now {FormatTime(now)})."));
        if (latest is not null && time < latest.Time)
            errors.Add(Invariant($"time {FormatTime(time)} is {FormatDuration(latest.Time - time)} before the latest stored output's time {FormatTime(latest.Time)} (sequence {latest.Sequence}): outputs must come in time order."));
    }

    private static void CheckHiddenState(byte[]? state, ModelOutputLimits limits, List<string> errors)
    {
        if (state is not null && state.Length > limits.MaxHiddenStateBytes)
            errors.Add(Invariant($"hiddenState is {state.Length:N0} bytes, more than the maximum of {limits.MaxHiddenStateBytes:N0} (MaxHiddenStateBytes)."));
    }

    private static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata, ModelOutputLimits limits, List<string> errors)
    {
        if (metadata is null)
        {
            errors.Add("metadata is null: send an object of string values, {}, or leave it out.");
            return;
        }
        if (metadata.Count > limits.MaxMetadataEntries)
            errors.Add(Invariant($"metadata has {metadata.Count} entries, more than the maximum of {limits.MaxMetadataEntries} (MaxMetadataEntries)."));

        // Bad entries are listed one per error up to MaxListed, then summed up, so a flood of bad entries
        // cannot make the answer itself huge.
        var bad = 0;
        foreach (var (key, value) in metadata)
        {
            var entryErrors = EntryErrors(key, value, limits);
            foreach (var error in entryErrors)
            {
                if (bad < MaxListed) errors.Add(error);
                bad++;
            }
        }
        if (bad > MaxListed)
            errors.Add(Invariant($"metadata has {bad - MaxListed} more problems like the ones above."));
    }

    private static IEnumerable<string> EntryErrors(string? key, string? value, ModelOutputLimits limits)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            yield return key is null || key.Length == 0
                ? "metadata has an empty key: keys must have 1 or more characters."
                : Invariant($"metadata has a key of {key.Length} blank characters: keys must not be blank.");
            key ??= ""; // still check its value below
        }
        else if (key.Length > limits.MaxMetadataKeyLength)
        {
            yield return Invariant($"metadata key '{Shorten(key)}' is {key.Length} characters long, more than the maximum of {limits.MaxMetadataKeyLength} (MaxMetadataKeyLength).");
        }
        if (value is null)
            yield return Invariant($"metadata value of key '{Shorten(key)}' is null: values must be strings.");
        else if (value.Length > limits.MaxMetadataValueLength)
            yield return Invariant($"metadata value of key '{Shorten(key)}' is {value.Length} characters long, more than the maximum of {limits.MaxMetadataValueLength} (MaxMetadataValueLength).");
    }

    /// <summary>A Unix ms time as ISO-8601 UTC, or the raw number when it is beyond year 9999.</summary>
    internal static string FormatTime(long unixMs)
        => unixMs is >= -62_135_596_800_000 and <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : Invariant($"{unixMs} (Unix ms)");

    /// <summary>A positive span in the unit a person reads best: "850 ms", "12.3 s", "4.5 min", "3.2 h", "29.0 days".</summary>
    internal static string FormatDuration(long ms)
    {
        const double Second = 1_000, Minute = 60 * Second, Hour = 60 * Minute, Day = 24 * Hour;
        return ms switch
        {
            < 1_000 => Invariant($"{ms} ms"),
            < 60_000 => Invariant($"{ms / Second:0.0##} s"),
            < 3_600_000 => Invariant($"{ms / Minute:0.0#} min"),
            < 86_400_000 => Invariant($"{ms / Hour:0.0#} h"),
            _ => Invariant($"{ms / Day:0.0#} days"),
        };
    }

    private static string Describe(double value)
        => double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity";

    private static string Describe(char c)
        => char.IsControl(c) || char.IsWhiteSpace(c) ? Invariant($"U+{(int)c:X4}") : Invariant($"'{c}'");

    /// <summary>Echoing a 100 KB value into an error would make the error the problem.</summary>
    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
