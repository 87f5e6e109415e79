using System.Buffers.Binary;
using System.IO.Compression;

namespace MarketData.Domain.Heatmap;

/// <summary>
/// Minimal PNG writer (no image library available): signature, IHDR (8-bit RGB, no interlace), one IDAT holding the
/// zlib-compressed scanlines, IEND. Every scanline uses filter 2 ("Up"): a chart has long vertical runs (each price
/// bucket spans several pixel rows), which Up turns into zeros that deflate well.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes <paramref name="rgb"/> (width·height·3 bytes, top row first) as a PNG file.</summary>
    public static byte[] EncodeRgb(int width, int height, ReadOnlySpan<byte> rgb, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var stride = width * 3;
        if (rgb.Length != stride * height) throw new ArgumentException($"expected {stride * height} bytes, got {rgb.Length}", nameof(rgb));

        using var idat = new MemoryStream(rgb.Length / 8 + 64);
        using (var zlib = new ZLibStream(idat, level, leaveOpen: true))
        {
            var line = new byte[stride + 1];
            line[0] = 2; // filter: Up
            for (var y = 0; y < height; y++)
            {
                var current = rgb.Slice(y * stride, stride);
                if (y == 0)
                {
                    current.CopyTo(line.AsSpan(1)); // the row above the first is zeros, so Up = the raw bytes
                }
                else
                {
                    var above = rgb.Slice((y - 1) * stride, stride);
                    for (var i = 0; i < stride; i++) line[i + 1] = (byte)(current[i] - above[i]);
                }
                zlib.Write(line);
            }
        }

        using var png = new MemoryStream((int)idat.Length + 128);
        png.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour (RGB)
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(png, "IHDR"u8, ihdr);
        WriteChunk(png, "IDAT"u8, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        // The CRC covers the type and the data, not the length.
        var crc = Crc32.Update(Crc32.Update(Crc32.Initial, type), data) ^ Crc32.Initial;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}

/// <summary>CRC-32 as PNG (and zip) define it: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF; table driven.</summary>
public static class Crc32
{
    public const uint Initial = 0xFFFFFFFF;

    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues a running (not yet finalised) CRC over <paramref name="data"/>.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The finished CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Update(Initial, data) ^ Initial;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
