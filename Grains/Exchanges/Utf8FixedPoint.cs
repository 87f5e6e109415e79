using MarketData.Instruments;

namespace MarketData.Exchanges;

/// <summary>Why a decimal string could not be turned into a fixed-point value.</summary>
public enum DecimalParseError
{
    None = 0,
    Empty,
    NotNumeric,
    /// <summary>A non-zero digit after the 8th decimal: the value cannot be held exactly.</summary>
    TooManyDecimals,
    /// <summary>Larger than a 1e8-scaled <see cref="long"/> can hold (about 92 billion).</summary>
    TooLarge,
}

/// <summary>
/// Parses exchange decimal text (<c>"61837.63000000"</c>) straight from UTF-8 bytes into
/// <see cref="FixedPoint"/> (scaled 1e8), without allocating and without going through
/// <see cref="decimal"/> or <see cref="double"/>. Accepts an optional leading '-', digits, and an
/// optional fraction; rejects exponents, '+', spaces and more than 8 significant decimals
/// (trailing zeros beyond the 8th are exact and accepted).
/// </summary>
public static class Utf8FixedPoint
{
    // Largest integer part that still fits once scaled by 1e8 with any fraction added.
    private const long MaxIntegerPart = (long.MaxValue - (FixedPoint.Scale - 1)) / FixedPoint.Scale;

    private static readonly long[] FractionScale =
        [100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];

    public static bool TryParse(ReadOnlySpan<byte> text, out long value) => Parse(text, out value) == DecimalParseError.None;

    public static DecimalParseError Parse(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty) return DecimalParseError.Empty;
        var i = 0;
        var negative = false;
        if (text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        // 11 significant integer digits always fit in a long, so digits accumulate without per-digit
        // overflow checks; the range is checked once at the end.
        long integer = 0;
        var integerStart = i;
        while (i < text.Length && text[i] == (byte)'0') i++;
        var significantStart = i;
        for (; i < text.Length; i++)
        {
            var d = (uint)(text[i] - (byte)'0');
            if (d > 9) break;
            if (i - significantStart == 11) return DecimalParseError.TooLarge;
            integer = integer * 10 + d;
        }
        var digits = i - integerStart;
        if (integer > MaxIntegerPart) return DecimalParseError.TooLarge;

        long fraction = 0;
        var fractionDigits = 0;
        if (i < text.Length)
        {
            if (text[i] != (byte)'.') return DecimalParseError.NotNumeric;
            i++;
            for (; i < text.Length; i++)
            {
                var d = (uint)(text[i] - (byte)'0');
                if (d > 9) return DecimalParseError.NotNumeric;
                digits++;
                if (fractionDigits == FixedPoint.Decimals)
                {
                    if (d != 0) return DecimalParseError.TooManyDecimals;
                    continue;
                }
                fraction = fraction * 10 + d;
                fractionDigits++;
            }
        }

        if (digits == 0) return DecimalParseError.NotNumeric;
        var result = integer * FixedPoint.Scale + fraction * FractionScale[fractionDigits];
        value = negative ? -result : result;
        return DecimalParseError.None;
    }

    /// <summary>A short human-readable description of <paramref name="error"/>.</summary>
    public static string Describe(DecimalParseError error) => error switch
    {
        DecimalParseError.None => "ok",
        DecimalParseError.Empty => "empty number",
        DecimalParseError.NotNumeric => "non-numeric",
        DecimalParseError.TooManyDecimals => "more than 8 decimals",
        DecimalParseError.TooLarge => "number too large",
        _ => error.ToString(),
    };
}
