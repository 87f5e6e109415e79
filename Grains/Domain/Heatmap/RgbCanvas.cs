namespace MarketData.Domain.Heatmap;

/// <summary>A 24-bit colour, 0xRRGGBB.</summary>
internal readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb FromHex(int rgb) => new((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
}

/// <summary>An 8-bit RGB pixel buffer (row-major, top row first, 3 bytes a pixel) with the few primitives the chart needs. Drawing is clipped to the canvas.</summary>
internal sealed class RgbCanvas
{
    public RgbCanvas(int width, int height, Rgb background)
    {
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public void SetPixel(int x, int y, Rgb c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        var i = (y * Width + x) * 3;
        Pixels[i] = c.R;
        Pixels[i + 1] = c.G;
        Pixels[i + 2] = c.B;
    }

    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        var x0 = Math.Max(0, x);
        var y0 = Math.Max(0, y);
        var x1 = Math.Min(Width, x + w);
        var y1 = Math.Min(Height, y + h);
        if (x0 >= x1 || y0 >= y1) return;
        var row = Pixels.AsSpan((y0 * Width + x0) * 3, (x1 - x0) * 3);
        for (var i = 0; i < row.Length; i += 3) { row[i] = c.R; row[i + 1] = c.G; row[i + 2] = c.B; }
        for (var yy = y0 + 1; yy < y1; yy++) row.CopyTo(Pixels.AsSpan((yy * Width + x0) * 3));
    }

    /// <summary>A 1-pixel rectangle outline around [x, x + w) × [y, y + h).</summary>
    public void Outline(int x, int y, int w, int h, Rgb c)
    {
        FillRect(x, y, w, 1, c);
        FillRect(x, y + h - 1, w, 1, c);
        FillRect(x, y, 1, h, c);
        FillRect(x + w - 1, y, 1, h, c);
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y).</summary>
    public void DrawText(int x, int y, string text, int scale, Rgb c)
    {
        foreach (var ch in text)
        {
            var glyph = BitmapFont.Glyph(ch);
            for (var row = 0; row < glyph.Length; row++)
            {
                var bits = glyph[row];
                for (var col = 0; col < BitmapFont.GlyphWidth; col++)
                {
                    if ((bits & (0x10 >> col)) != 0) FillRect(x + col * scale, y + row * scale, scale, scale, c);
                }
            }
            x += BitmapFont.Advance * scale;
        }
    }
}
