using System.Buffers.Text;
using MarketData.Instruments;

namespace MarketData.LoadGeneration;

/// <summary>
/// Writes JSON frames straight to UTF-8 into one reusable buffer: no strings, no per-frame allocation
/// (the buffer only grows, to the largest frame seen). Decimals are fixed point (1e8) and written the way
/// Binance writes them, with exactly 8 decimals (<c>61837.63000000</c>). Not thread-safe: one per producer.
/// </summary>
public sealed class FrameWriter
{
    private static readonly long[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
    private byte[] _buffer;
    private int _length;

    public FrameWriter(int initialCapacity = 16 * 1024)
    {
        _buffer = new byte[initialCapacity];
    }

    /// <summary>The frame written since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public int Length => _length;

    public void Clear() => _length = 0;

    public void Raw(ReadOnlySpan<byte> utf8)
    {
        Ensure(utf8.Length);
        utf8.CopyTo(_buffer.AsSpan(_length));
        _length += utf8.Length;
    }

    public void Byte(byte b)
    {
        Ensure(1);
        _buffer[_length++] = b;
    }

    public void Integer(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    public void Bool(bool value) => Raw(value ? "true"u8 : "false"u8);

    /// <summary>A quoted ASCII string (symbols, interval names: nothing to escape).</summary>
    public void Quoted(ReadOnlySpan<byte> ascii)
    {
        Ensure(ascii.Length + 2);
        _buffer[_length++] = (byte)'"';
        ascii.CopyTo(_buffer.AsSpan(_length));
        _length += ascii.Length;
        _buffer[_length++] = (byte)'"';
    }

    /// <summary>A fixed-point value as a quoted decimal with 8 decimals, as Binance sends prices and quantities.</summary>
    public void QuotedDecimal(long value)
    {
        Ensure(32);
        _buffer[_length++] = (byte)'"';
        Decimal(value, FixedPoint.Decimals);
        _buffer[_length++] = (byte)'"';
    }

    /// <summary>A fixed-point value with <paramref name="decimals"/> (0-8) decimals, truncated; negative values get a sign.</summary>
    public void Decimal(long value, int decimals)
    {
        Ensure(32);
        if (value < 0)
        {
            _buffer[_length++] = (byte)'-';
            value = -value;
        }
        var integer = value / FixedPoint.Scale;
        var fraction = value % FixedPoint.Scale;
        Utf8Formatter.TryFormat(integer, _buffer.AsSpan(_length), out var written);
        _length += written;
        if (decimals <= 0) return;
        _buffer[_length++] = (byte)'.';
        fraction /= Powers[FixedPoint.Decimals - decimals];
        // Leading zeros of the fraction, then its digits.
        for (var d = decimals - 1; d >= 0; d--)
        {
            var power = Powers[d];
            _buffer[_length++] = (byte)('0' + fraction / power);
            fraction %= power;
        }
    }

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }
}
