using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// The depth hot path. Binance sends every diff-depth frame in one fixed layout
/// (<c>{"stream":"..","data":{"e":"depthUpdate","E":..,"s":"..","U":..,"u":..,"b":[["p","q"],..],"a":[..]}}</c>,
/// or the same payload unwrapped), so a byte-level scanner that accepts exactly that layout avoids the
/// general tokenizer's per-token bookkeeping. It is a pure accelerator: it accepts only frames that are valid
/// JSON and that the general path would turn into the very same result, and gives up on anything else
/// (whitespace, other field orders, escapes, negative or zero prices, unusual number forms, ...), after
/// which the general <see cref="System.Text.Json.Utf8JsonReader"/> path parses the frame from scratch and
/// produces its usual result or error. Giving up costs only the bytes scanned so far.
/// </summary>
public sealed partial class BinanceFrameParser
{
    // Integer parts up to 10 digits always fit once scaled by 1e8, so no overflow check is needed.
    private const int FastMaxIntegerDigits = 10;
    // 18 digits always fit in a long.
    private const int FastMaxIdDigits = 18;

    private static readonly long[] FastFractionScale =
        [100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];

    /// <summary>For tests: false makes every frame take the general path.</summary>
    internal bool FastDepthPathEnabled { get; init; } = true;

    /// <summary>For tests: how many frames the fast path has parsed.</summary>
    internal long FastDepthFrames { get; private set; }

    private bool TryParseDepthFast(ReadOnlySpan<byte> f)
    {
        var p = 0;
        var wrapped = f.StartsWith("{\"stream\":\""u8);
        var streamStart = 0;
        var streamLength = 0;
        if (wrapped)
        {
            p = 11;
            streamStart = p;
            if (!TrySkipPlainString(f, ref p)) return false;
            streamLength = p - 1 - streamStart;
            if (!Expect(f, ref p, ",\"data\":{\"e\":\"depthUpdate\",\"E\":"u8)) return false;
        }
        else if (!Expect(f, ref p, "{\"e\":\"depthUpdate\",\"E\":"u8))
        {
            return false;
        }

        if (!TryReadId(f, ref p, out var eventTime)) return false;
        if (!Expect(f, ref p, ",\"s\":\""u8)) return false;
        var symbolStart = p;
        if (!TrySkipPlainString(f, ref p)) return false;
        var symbolLength = p - 1 - symbolStart;
        if (!Expect(f, ref p, ",\"U\":"u8) || !TryReadId(f, ref p, out var first)) return false;
        if (!Expect(f, ref p, ",\"u\":"u8) || !TryReadId(f, ref p, out var final)) return false;
        if (first > final) return false; // the general path reports it
        if (!Expect(f, ref p, ",\"b\":["u8) || !TryReadLevelsFast(f, ref p, ref _bids, out var bidCount)) return false;
        if (!Expect(f, ref p, ",\"a\":["u8) || !TryReadLevelsFast(f, ref p, ref _asks, out var askCount)) return false;
        if (!Expect(f, ref p, wrapped ? "}}"u8 : "}"u8) || p != f.Length) return false;

        var payloadSymbol = _symbols.Intern(f.Slice(symbolStart, symbolLength));
        if (payloadSymbol is null) return false;

        // Commit exactly what the general path would have recorded for this frame.
        _isWrapper = _hasData = wrapped;
        _streamSymbol = wrapped ? SymbolFromStreamName(f.Slice(streamStart, streamLength)) : null;
        _payloadSymbol = payloadSymbol;
        Symbol = payloadSymbol;
        _eventType = EventType.DepthUpdate;
        _has = Has.EventType | Has.EventTime | Has.FirstId | Has.FinalId | Has.BidLevels | Has.AskLevels;
        _eventTime = eventTime;
        _firstUpdateId = first;
        _finalUpdateId = final;
        _bidCount = bidCount;
        _askCount = askCount;
        FastDepthFrames++;
        return true;
    }

    private static bool Expect(ReadOnlySpan<byte> f, ref int p, ReadOnlySpan<byte> literal)
    {
        if (!f[p..].StartsWith(literal)) return false;
        p += literal.Length;
        return true;
    }

    /// <summary>
    /// Skips the rest of a string whose opening quote is already consumed, accepting only printable ASCII
    /// without escapes (so its bytes are its value). Leaves <paramref name="p"/> after the closing quote.
    /// </summary>
    private static bool TrySkipPlainString(ReadOnlySpan<byte> f, ref int p)
    {
        for (; (uint)p < (uint)f.Length; p++)
        {
            var b = f[p];
            if (b == (byte)'"')
            {
                p++;
                return true;
            }
            if (b is < 0x20 or > 0x7E or (byte)'\\') return false;
        }
        return false;
    }

    /// <summary>A non-negative JSON integer in canonical form (no leading zeros), at most 18 digits.</summary>
    private static bool TryReadId(ReadOnlySpan<byte> f, ref int p, out long value)
    {
        value = 0;
        var start = p;
        for (; (uint)p < (uint)f.Length; p++)
        {
            var d = (uint)(f[p] - (byte)'0');
            if (d > 9) break;
            value = value * 10 + d;
        }
        var digits = p - start;
        if (digits == 0 || digits > FastMaxIdDigits) return false;
        return digits == 1 || f[start] != (byte)'0';
    }

    /// <summary>
    /// Reads <c>["price","qty"],...]</c> (the opening bracket already consumed) into <paramref name="levels"/>.
    /// Prices must be positive; the quantity has no sign, so it is never negative.
    /// </summary>
    private static bool TryReadLevelsFast(ReadOnlySpan<byte> f, ref int p, ref PriceLevel[] levels, out int count)
    {
        count = 0;
        if ((uint)p < (uint)f.Length && f[p] == (byte)']')
        {
            p++;
            return true;
        }
        while (true)
        {
            if (!Expect(f, ref p, "[\""u8)) return false;
            if (!TryReadDecimal(f, ref p, out var price) || price == 0) return false;
            if (!Expect(f, ref p, ",\""u8)) return false;
            if (!TryReadDecimal(f, ref p, out var quantity)) return false;
            if (!Expect(f, ref p, "]"u8)) return false;

            if (count == levels.Length)
            {
                if (count == MaxLevelsPerSide) return false;
                Array.Resize(ref levels, Math.Min(levels.Length * 2, MaxLevelsPerSide));
            }
            levels[count++] = new PriceLevel(price, quantity);

            if ((uint)p >= (uint)f.Length) return false;
            var next = f[p++];
            if (next == (byte)']') return true;
            if (next != (byte)',') return false;
        }
    }

    /// <summary>
    /// <c>digits[.digits]"</c> (the opening quote already consumed): 1-10 integer digits and 1-8 decimals,
    /// the common subset of what <see cref="Utf8FixedPoint.Parse"/> accepts, with the same value.
    /// Leaves <paramref name="p"/> after the closing quote.
    /// </summary>
    private static bool TryReadDecimal(ReadOnlySpan<byte> f, ref int p, out long value)
    {
        value = 0;
        long integer = 0;
        var start = p;
        uint d;
        for (; (uint)p < (uint)f.Length; p++)
        {
            d = (uint)(f[p] - (byte)'0');
            if (d > 9) break;
            integer = integer * 10 + d;
        }
        var digits = p - start;
        if (digits == 0 || digits > FastMaxIntegerDigits || (uint)p >= (uint)f.Length) return false;

        long fraction = 0;
        if (f[p] == (byte)'.')
        {
            start = ++p;
            for (; (uint)p < (uint)f.Length; p++)
            {
                d = (uint)(f[p] - (byte)'0');
                if (d > 9) break;
                fraction = fraction * 10 + d;
            }
            digits = p - start;
            if (digits == 0 || digits > FixedPoint.Decimals || (uint)p >= (uint)f.Length) return false;
            fraction *= FastFractionScale[digits];
        }
        if (f[p] != (byte)'"') return false;
        p++;
        value = integer * FixedPoint.Scale + fraction;
        return true;
    }
}
