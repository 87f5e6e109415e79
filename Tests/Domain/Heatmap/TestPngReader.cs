namespace MarketData.Tests.Domain.Heatmap;

using System.Buffers.Binary;
using System.IO.Compression;
using MarketData.Domain.Heatmap;

/// <summary>
/// An independent, strict PNG reader for tests: checks the signature and every chunk CRC, reads IHDR, requires 8-bit
/// RGB without interlace, inflates the IDAT stream and undoes all five scanline filters.
/// </summary>
internal sealed class TestPngReader
{
    public int Width { get; private init; }
    public int Height { get; private init; }
    public byte[] Rgb { get; private init; } = [];
    public List<string> Chunks { get; } = [];

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        var i = (y * Width + x) * 3;
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    public static TestPngReader Read(byte[] png)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(png.AsSpan(0, 8).SequenceEqual(signature), "PNG signature");
        var chunks = new List<string>();
        var idat = new MemoryStream();
        int width = 0, height = 0;
        var pos = 8;
        while (pos < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(Crc32Bitwise(png.AsSpan(pos + 4, 4 + length)), crc);
            chunks.Add(type);
            switch (type)
            {
                case "IHDR":
                    Assert.Equal(13, length);
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    Assert.Equal(8, data[8]);  // bit depth
                    Assert.Equal(2, data[9]);  // RGB
                    Assert.Equal(0, data[10]);
                    Assert.Equal(0, data[11]);
                    Assert.Equal(0, data[12]); // no interlace
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }
            pos += 12 + length;
            if (type == "IEND") break;
        }
        Assert.Equal(png.Length, pos);
        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);

        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        zlib.CopyTo(raw);
        var stride = width * 3;
        Assert.Equal((stride + 1) * height, raw.Length);
        var filtered = raw.ToArray();
        var rgb = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = filtered[y * (stride + 1)];
            for (var i = 0; i < stride; i++)
            {
                var x = filtered[y * (stride + 1) + 1 + i];
                int a = i >= 3 ? rgb[y * stride + i - 3] : 0;
                int b = y > 0 ? rgb[(y - 1) * stride + i] : 0;
                int c = i >= 3 && y > 0 ? rgb[(y - 1) * stride + i - 3] : 0;
                rgb[y * stride + i] = filter switch
                {
                    0 => x,
                    1 => (byte)(x + a),
                    2 => (byte)(x + b),
                    3 => (byte)(x + (a + b) / 2),
                    4 => (byte)(x + Paeth(a, b, c)),
                    _ => throw new InvalidDataException($"filter {filter} on row {y}"),
                };
            }
        }
        var reader = new TestPngReader { Width = width, Height = height, Rgb = rgb };
        reader.Chunks.AddRange(chunks);
        return reader;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Bit-by-bit CRC-32 (no table), independent of the encoder's table implementation.</summary>
    private static uint Crc32Bitwise(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var d in data)
        {
            crc ^= d;
            for (var k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>Sanity of the reader's CRC against the encoder's: the well-known check value of "123456789".</summary>
    public static uint CheckValue() => Crc32Bitwise("123456789"u8);

    public static uint EncoderCheckValue() => Crc32.Compute("123456789"u8);
}
