using System.Diagnostics.CodeAnalysis;
using MarketData.Instruments;

namespace MarketData.ModelOutputs;

/// <summary>
/// The key of one model's outputs for one instrument: <c>exchange:SYMBOL@model</c>. A model name is 1-64 characters
/// from A-Z, a-z, 0-9, '.', '_' and '-', so '@' can never be part of either side.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.ModelOutputKey")]
public readonly record struct ModelOutputKey
{
    public const int MaxModelNameLength = 64;

    [Id(0)] public Instrument Instrument { get; }
    [Id(1)] public string Model { get; }

    public ModelOutputKey(Instrument instrument, string model)
    {
        if (!IsValidModelName(model)) throw new ArgumentException(InvalidModelName(model), nameof(model));
        Instrument = instrument;
        Model = model;
    }

    public string Key => $"{Instrument.Key}@{Model}";

    public override string ToString() => Key;

    public static ModelOutputKey Parse(string text)
        => TryParse(text, out var key, out var error) ? key : throw new FormatException(error);

    public static bool TryParse(string? text, out ModelOutputKey key, [NotNullWhen(false)] out string? error)
    {
        key = default;
        var at = text?.LastIndexOf('@') ?? -1;
        if (text is null || at <= 0) { error = $"Model output key '{text}' is malformed: expected 'exchange:SYMBOL@model'."; return false; }
        if (!Instrument.TryParse(text[..at], out var instrument, out error)) return false;
        var model = text[(at + 1)..];
        if (!IsValidModelName(model)) { error = InvalidModelName(model); return false; }
        key = new ModelOutputKey(instrument, model);
        error = null;
        return true;
    }

    public static bool IsValidModelName([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxModelNameLength) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        return true;
    }

    public static string InvalidModelName(string? name)
        => $"Model name '{name}' is malformed: expected 1-{MaxModelNameLength} characters from A-Z, a-z, 0-9, '.', '_' or '-'.";
}
