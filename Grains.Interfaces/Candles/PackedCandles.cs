using System.Collections;

namespace MarketData.Candles;

/// <summary>
/// Candles that cross the wire as one compact block (<see cref="CandleWireFormat"/>, through
/// <see cref="PackedCandlesConverter"/>) instead of 13 tagged fields each. Inside a silo nothing is copied: it wraps
/// the array it was given.
/// </summary>
[Immutable, Alias("MarketData.PackedCandles")]
public sealed class PackedCandles : IReadOnlyList<Candle>
{
    private readonly Candle[] _items;

    public static PackedCandles Empty { get; } = new([]);

    internal PackedCandles(Candle[] items) => _items = items;

    /// <summary>Wraps an array (not copied: it must not change afterwards) or copies any other list.</summary>
    public static PackedCandles From(IReadOnlyList<Candle> candles)
    {
        ArgumentNullException.ThrowIfNull(candles);
        return candles switch
        {
            PackedCandles packed => packed,
            Candle[] array => new PackedCandles(array),
            _ => new PackedCandles([.. candles]),
        };
    }

    /// <summary>The candles without copying.</summary>
    public ReadOnlySpan<Candle> Span => _items;

    public int Count => _items.Length;

    public Candle this[int index] => _items[index];

    public IEnumerator<Candle> GetEnumerator() => ((IEnumerable<Candle>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}

/// <summary>The wire form of <see cref="PackedCandles"/>: <see cref="CandleWireFormat"/> bytes.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PackedCandlesSurrogate")]
public readonly struct PackedCandlesSurrogate
{
    [Id(0)] public byte[] Bytes { get; init; }
}

[RegisterConverter]
public sealed class PackedCandlesConverter : IConverter<PackedCandles, PackedCandlesSurrogate>
{
    public PackedCandles ConvertFromSurrogate(in PackedCandlesSurrogate surrogate) => new(CandleWireFormat.Decode(surrogate.Bytes ?? []));

    public PackedCandlesSurrogate ConvertToSurrogate(in PackedCandles value) => new() { Bytes = CandleWireFormat.Encode(value.Span) };
}

/// <summary>
/// A compact encoding of a run of candles: each field as a zig-zag varint of its difference from a neighbour (open
/// time from the previous open, close time from the open, open from the previous close, high/low/close from the open),
/// volumes and counts as plain varints. A 1s candle takes about 30 bytes instead of 96, so a 1,500-candle snapshot
/// crosses the wire in a third of the space. Differences wrap in two's complement, so any values round-trip exactly.
/// </summary>
public static class CandleWireFormat
{
    private const byte Version = 1;
    /// <summary>Worst case per candle: 11 varints of at most 10 bytes and two bytes.</summary>
    private const int MaxCandleBytes = 11 * 10 + 2;

    public static byte[] Encode(ReadOnlySpan<Candle> candles)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(6 + candles.Length * MaxCandleBytes);
        try
        {
            var at = 0;
            buffer[at++] = Version;
            at += WriteVarint(buffer.AsSpan(at), (ulong)candles.Length);
            long previousOpen = 0, previousClose = 0;
            foreach (ref readonly var c in candles)
            {
                var span = buffer.AsSpan(at);
                var n = WriteSigned(span, unchecked(c.OpenTime - previousOpen));
                n += WriteSigned(span[n..], unchecked(c.CloseTime - c.OpenTime));
                n += WriteSigned(span[n..], unchecked(c.Open - previousClose));
                n += WriteSigned(span[n..], unchecked(c.High - c.Open));
                n += WriteSigned(span[n..], unchecked(c.Low - c.Open));
                n += WriteSigned(span[n..], unchecked(c.Close - c.Open));
                n += WriteSigned(span[n..], c.Volume);
                n += WriteSigned(span[n..], c.QuoteVolume);
                n += WriteSigned(span[n..], c.TradeCount);
                n += WriteSigned(span[n..], c.TakerBuyVolume);
                n += WriteSigned(span[n..], c.TakerBuyQuoteVolume);
                span[n++] = (byte)c.Source;
                span[n++] = (byte)c.Flags;
                at += n;
                previousOpen = c.OpenTime;
                previousClose = c.Close;
            }
            return buffer.AsSpan(0, at).ToArray();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static Candle[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        if (bytes[0] != Version) throw new InvalidOperationException($"Packed candles of wire version {bytes[0]} cannot be read by this build (version {Version}).");
        var at = 1;
        var count = checked((int)ReadVarint(bytes, ref at));
        if (count > bytes.Length) throw new InvalidOperationException($"A packed candle block claims {count} candles in {bytes.Length} bytes.");
        var candles = new Candle[count];
        long previousOpen = 0, previousClose = 0;
        for (var i = 0; i < count; i++)
        {
            var open = unchecked(previousOpen + ReadSigned(bytes, ref at));
            var close = unchecked(open + ReadSigned(bytes, ref at));
            var o = unchecked(previousClose + ReadSigned(bytes, ref at));
            var h = unchecked(o + ReadSigned(bytes, ref at));
            var l = unchecked(o + ReadSigned(bytes, ref at));
            var c = unchecked(o + ReadSigned(bytes, ref at));
            candles[i] = new Candle
            {
                OpenTime = open,
                CloseTime = close,
                Open = o,
                High = h,
                Low = l,
                Close = c,
                Volume = ReadSigned(bytes, ref at),
                QuoteVolume = ReadSigned(bytes, ref at),
                TradeCount = ReadSigned(bytes, ref at),
                TakerBuyVolume = ReadSigned(bytes, ref at),
                TakerBuyQuoteVolume = ReadSigned(bytes, ref at),
                Source = (CandleSource)ReadByte(bytes, ref at),
                Flags = (CandleFlags)ReadByte(bytes, ref at),
            };
            previousOpen = open;
            previousClose = c;
        }
        if (at != bytes.Length) throw new InvalidOperationException($"A packed candle block has {bytes.Length - at} bytes after its {count} candles.");
        return candles;
    }

    private static int WriteSigned(Span<byte> destination, long value) => WriteVarint(destination, (ulong)((value << 1) ^ (value >> 63)));

    private static long ReadSigned(ReadOnlySpan<byte> source, ref int at)
    {
        var raw = ReadVarint(source, ref at);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[n++] = (byte)value;
        return n;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> source, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte(source, ref at);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidOperationException("A packed candle block holds a malformed number.");
    }

    private static byte ReadByte(ReadOnlySpan<byte> source, ref int at)
        => at < source.Length ? source[at++] : throw new InvalidOperationException("A packed candle block ends in the middle of a candle.");
}
