using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MarketData.Candles;

/// <summary>
/// Candles that cross the wire as one block of bytes (the structs as laid out in memory) instead of 13 tagged fields
/// each, through <see cref="PackedCandlesConverter"/>. Inside a silo nothing is copied: it wraps the array it was
/// given. The layout is the in-memory one of this build (little-endian), so every node of a cluster must run the
/// same <see cref="Candle"/> definition; a different one is refused with a clear error.
/// </summary>
[Immutable, Alias("MarketData.PackedCandles")]
public sealed class PackedCandles : IReadOnlyList<Candle>
{
    internal static readonly int CandleSize = Unsafe.SizeOf<Candle>();

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

    internal byte[] ToBytes() => MemoryMarshal.AsBytes(_items.AsSpan()).ToArray();
}

/// <summary>The wire form of <see cref="PackedCandles"/>.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.PackedCandlesSurrogate")]
public readonly struct PackedCandlesSurrogate
{
    [Id(0)] public byte[] Bytes { get; init; }
    /// <summary>The sender's candle size: both ends must agree on the layout.</summary>
    [Id(1)] public int CandleSize { get; init; }
}

[RegisterConverter]
public sealed class PackedCandlesConverter : IConverter<PackedCandles, PackedCandlesSurrogate>
{
    public PackedCandles ConvertFromSurrogate(in PackedCandlesSurrogate surrogate)
    {
        if (surrogate.CandleSize != PackedCandles.CandleSize)
            throw new InvalidOperationException($"Candles were packed by a node whose candle is {surrogate.CandleSize} bytes, this one's is {PackedCandles.CandleSize}: every node must run the same build.");
        var bytes = surrogate.Bytes ?? [];
        if (bytes.Length % PackedCandles.CandleSize != 0)
            throw new InvalidOperationException($"A packed candle block of {bytes.Length} bytes is not a whole number of {PackedCandles.CandleSize}-byte candles.");
        return new PackedCandles(MemoryMarshal.Cast<byte, Candle>(bytes).ToArray());
    }

    public PackedCandlesSurrogate ConvertToSurrogate(in PackedCandles value)
        => new() { Bytes = value.ToBytes(), CandleSize = PackedCandles.CandleSize };
}
