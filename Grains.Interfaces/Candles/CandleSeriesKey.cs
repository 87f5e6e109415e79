using System.Diagnostics.CodeAnalysis;
using MarketData.Instruments;

namespace MarketData.Candles;

/// <summary>
/// The key of a per-instrument, per-timeframe grain (candle cache, pivots): <c>exchange:SYMBOL/timeframe</c>,
/// for example <c>binance:BTCUSDT/1m</c>. Built and parsed only here.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.CandleSeriesKey")]
public readonly record struct CandleSeriesKey([property: Id(0)] Instrument Instrument, [property: Id(1)] Timeframe Timeframe)
{
    public string Key => $"{Instrument.Key}/{Timeframe.Name}";

    public override string ToString() => Key;

    public static CandleSeriesKey Parse(string text)
        => TryParse(text, out var key, out var error) ? key : throw new FormatException(error);

    public static bool TryParse(string? text, out CandleSeriesKey key, [NotNullWhen(false)] out string? error)
    {
        key = default;
        var slash = text?.LastIndexOf('/') ?? -1;
        if (text is null || slash <= 0)
        {
            error = $"'{text}' is not a series key: expected 'exchange:SYMBOL/timeframe', for example 'binance:BTCUSDT/1m'.";
            return false;
        }
        if (!Instrument.TryParse(text[..slash], out var instrument, out error)) return false;
        if (!Timeframe.TryParse(text[(slash + 1)..], out var timeframe))
        {
            error = $"Unknown timeframe '{text[(slash + 1)..]}': expected one of 1s, 1m, 1h, 1d.";
            return false;
        }
        key = new CandleSeriesKey(instrument, timeframe);
        error = null;
        return true;
    }
}
