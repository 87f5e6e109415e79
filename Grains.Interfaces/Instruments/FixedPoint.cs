using System.Globalization;

namespace MarketData.Instruments;

/// <summary>
/// Prices and quantities inside the system are <see cref="long"/> integers scaled by 10^8: exact for
/// every Binance price and quantity (which carry at most 8 decimals) and cheap to compare. Conversion to
/// <see cref="decimal"/> or text happens only at the edges (HTTP, client).
/// </summary>
public static class FixedPoint
{
    public const int Decimals = 8;
    public const long Scale = 100_000_000;

    /// <summary>The exact decimal value, keeping 8 decimals (so it prints as Binance does: <c>61837.63000000</c>).</summary>
    public static decimal ToDecimal(long value)
    {
        var magnitude = value < 0 ? (ulong)(-(value + 1)) + 1 : (ulong)value;
        return new decimal((int)(magnitude & 0xFFFFFFFF), (int)(magnitude >> 32), 0, value < 0, Decimals);
    }

    /// <summary>The nearest fixed-point value of a decimal (rounded to 8 decimals).</summary>
    public static long FromDecimal(decimal value) => (long)decimal.Round(value * Scale, 0, MidpointRounding.ToEven);

    /// <summary>Invariant text with exactly 8 decimals.</summary>
    public static string ToText(long value) => ToDecimal(value).ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses invariant decimal text with at most 8 decimals; anything else is rejected.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 40) return false;
        var negative = false;
        var i = 0;
        if (text[0] == '-') { negative = true; i = 1; }
        long integer = 0;
        var digits = 0;
        for (; i < text.Length && text[i] != '.'; i++)
        {
            var d = text[i] - '0';
            if ((uint)d > 9) return false;
            if (integer > (long.MaxValue / Scale - 9) / 10) return false;
            integer = integer * 10 + d;
            digits++;
        }
        long fraction = 0;
        var fractionDigits = 0;
        if (i < text.Length)
        {
            i++; // '.'
            for (; i < text.Length; i++)
            {
                var d = text[i] - '0';
                if ((uint)d > 9) return false;
                if (fractionDigits == Decimals) { if (d != 0) return false; continue; }
                fraction = fraction * 10 + d;
                fractionDigits++;
                digits++;
            }
        }
        if (digits == 0) return false;
        for (; fractionDigits < Decimals; fractionDigits++) fraction *= 10;
        value = integer * Scale + fraction;
        if (negative) value = -value;
        return true;
    }
}
