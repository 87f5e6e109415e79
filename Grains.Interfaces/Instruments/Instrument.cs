using System.Diagnostics.CodeAnalysis;

namespace MarketData.Instruments;

/// <summary>
/// An instrument on one exchange, written <c>exchange:SYMBOL</c> (for example <c>binance:BTCUSDT</c>):
/// the exchange in lower case, the symbol in the exchange's own spelling (upper case for Binance).
/// Every grain and stream key for per-symbol state is built from this type, never by concatenation.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.Instrument")]
public readonly record struct Instrument
{
    /// <summary>Longest symbol accepted; Binance symbols are at most 20 characters.</summary>
    public const int MaxSymbolLength = 32;

    [Id(0)] public string Exchange { get; }
    [Id(1)] public string Symbol { get; }

    public Instrument(string exchange, string symbol)
    {
        if (!IsValidExchange(exchange)) throw new ArgumentException($"Invalid exchange '{exchange}': expected lower-case letters and digits.", nameof(exchange));
        if (!IsValidSymbol(symbol)) throw new ArgumentException($"Invalid symbol '{symbol}': expected 1-{MaxSymbolLength} characters from A-Z, 0-9, '-', '_' or '/'.", nameof(symbol));
        Exchange = exchange;
        Symbol = symbol;
    }

    /// <summary>The grain and stream key, <c>exchange:SYMBOL</c>.</summary>
    public string Key => $"{Exchange}:{Symbol}";

    public override string ToString() => Key;

    /// <summary>Parses <c>exchange:SYMBOL</c>; the symbol is upper-cased, the exchange lower-cased.</summary>
    public static Instrument Parse(string text)
        => TryParse(text, out var instrument, out var error) ? instrument : throw new FormatException(error);

    public static bool TryParse(string? text, out Instrument instrument) => TryParse(text, out instrument, out _);

    public static bool TryParse(string? text, out Instrument instrument, [NotNullWhen(false)] out string? error)
    {
        instrument = default;
        if (string.IsNullOrWhiteSpace(text)) { error = "Instrument is empty: expected 'exchange:SYMBOL', for example 'binance:BTCUSDT'."; return false; }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1 || text.IndexOf(':', colon + 1) >= 0)
        {
            error = $"Instrument '{text}' is malformed: expected 'exchange:SYMBOL', for example 'binance:BTCUSDT'.";
            return false;
        }
        return TryCreate(text[..colon], text[(colon + 1)..], out instrument, out error);
    }

    /// <summary>Builds an instrument from separate parts (as in an HTTP route), normalising case.</summary>
    public static bool TryCreate(string? exchange, string? symbol, out Instrument instrument, [NotNullWhen(false)] out string? error)
    {
        instrument = default;
        var ex = exchange?.Trim().ToLowerInvariant() ?? "";
        var sym = symbol?.Trim().ToUpperInvariant() ?? "";
        if (!IsValidExchange(ex)) { error = $"Exchange '{exchange}' is malformed: expected lower-case letters and digits, for example 'binance'."; return false; }
        if (!IsValidSymbol(sym)) { error = $"Symbol '{symbol}' is malformed: expected 1-{MaxSymbolLength} characters from A-Z, 0-9, '-', '_' or '/', for example 'BTCUSDT'."; return false; }
        instrument = new Instrument(ex, sym);
        error = null;
        return true;
    }

    private static bool IsValidExchange(string? exchange)
    {
        if (string.IsNullOrEmpty(exchange) || exchange.Length > 16) return false;
        foreach (var c in exchange)
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9')) return false;
        return true;
    }

    private static bool IsValidSymbol(string? symbol)
    {
        if (string.IsNullOrEmpty(symbol) || symbol.Length > MaxSymbolLength) return false;
        foreach (var c in symbol)
            if (!(c is >= 'A' and <= 'Z' || c is >= '0' and <= '9' || c is '-' or '_' or '/')) return false;
        return true;
    }
}
