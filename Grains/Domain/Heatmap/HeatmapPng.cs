namespace MarketData.Domain.Heatmap;

using System.Globalization;
using MarketData.Aggregation;
using MarketData.Instruments;

/// <summary>
/// Renders a <see cref="Heatmap"/> as a PNG a person can read. Default size <see cref="DefaultWidth"/> ×
/// <see cref="DefaultHeight"/> (900 × 480); any size from <see cref="MinWidth"/> × <see cref="MinHeight"/> up.
/// <para>Layout (white background, black text, 5×7 font drawn at scale 2, scale 1 below 600 × 300):</para>
/// <list type="bullet">
/// <item>Top: one title line — optional caller text (symbol), metric and unit, bucket size, window, date (UTC).</item>
/// <item>Left: price axis, labels at bucket boundaries on a round step (price increases upward).</item>
/// <item>Centre: the plot, one column band per second (time left → right), one row band per price bucket; gap seconds and
/// buckets outside a second's range in neutral grey (<see cref="NoDataColor"/>); framed in dark grey.</item>
/// <item>Bottom: time axis, HH:mm:ss UTC at round-second ticks (start of that second).</item>
/// <item>Right: vertical colour bar (min at the bottom, max at the top) with its max / min labels (and 0 for imbalance).</item>
/// </list>
/// Colours: volumes on a dark→bright "magma"-like ramp over the square root of the value's position between the map's
/// Min and Max (the colour bar shows the same mapping, labelled at min, middle and max); imbalance diverging
/// red (-1, asks dominate) ↔ white (0) ↔ green (+1, bids dominate).
/// </summary>
public static class HeatmapPng
{
    public const int DefaultWidth = 900;
    public const int DefaultHeight = 480;
    public const int MinWidth = 240;
    public const int MinHeight = 120;

    internal static readonly Rgb NoDataColor = new(128, 128, 128);
    private static readonly Rgb Background = new(255, 255, 255);
    private static readonly Rgb Ink = new(0, 0, 0);
    private static readonly Rgb Frame = new(64, 64, 64);

    private const int Pad = 8;
    private const int TickLength = 4;
    private const int BarWidth = 18;
    private const int BarGap = 14;

    // Magma-like stops: perceptually ordered from near black through purple and orange to pale yellow.
    private static readonly Rgb[] VolumeStops =
    [
        Rgb.FromHex(0x000004), Rgb.FromHex(0x1C1044), Rgb.FromHex(0x4F127B), Rgb.FromHex(0x812581), Rgb.FromHex(0xB5367A),
        Rgb.FromHex(0xE55064), Rgb.FromHex(0xFB8761), Rgb.FromHex(0xFEC287), Rgb.FromHex(0xFCFDBF),
    ];
    private static readonly Rgb[] ImbalanceStops = [Rgb.FromHex(0xB2182B), Rgb.FromHex(0xF7F7F7), Rgb.FromHex(0x1A9850)];

    /// <summary>The plot rectangle of a render of this size and map (exposed for tests: which pixel shows which cell).</summary>
    public readonly record struct PlotArea(int X, int Y, int Width, int Height, int BarX);

    public static byte[] Render(Heatmap map, int width = DefaultWidth, int height = DefaultHeight, string? title = null)
        => PngEncoder.EncodeRgb(width, height, RenderPixels(map, width, height, title, out _));

    /// <summary>The RGB pixels (top row first) of the rendered chart and where its plot lies.</summary>
    public static byte[] RenderPixels(Heatmap map, int width, int height, string? title, out PlotArea plot)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinHeight);
        var rows = map.Times.Length;
        var cols = map.PriceBuckets.Length;
        if (map.Values.Length != rows * cols) throw new ArgumentException("Values length does not match Times × PriceBuckets", nameof(map));

        var scale = width >= 600 && height >= 300 ? 2 : 1;
        var textHeight = BitmapFont.Height(scale);
        var canvas = new RgbCanvas(width, height, Background);

        var priceDecimals = Decimals(map.BucketSize);
        var priceLabelWidth = 0;
        foreach (var p in new[] { map.PriceBuckets.FirstOrDefault(), map.PriceBuckets.LastOrDefault() + map.BucketSize })
            priceLabelWidth = Math.Max(priceLabelWidth, BitmapFont.Measure(FormatPrice(p, priceDecimals), scale));
        var (barMaxLabel, barMinLabel) = (FormatValue(map.Max, map.Metric), FormatValue(map.Min, map.Metric));
        var barLabelWidth = Math.Max(BitmapFont.Measure(barMaxLabel, scale), BitmapFont.Measure(barMinLabel, scale));
        barLabelWidth = Math.Max(barLabelWidth, BitmapFont.Measure(FormatValue((map.Min + map.Max) / 2, map.Metric), scale));

        var x0 = Pad + priceLabelWidth + 3 + TickLength;
        var y0 = Pad + textHeight + Pad + textHeight / 2;
        var barX = width - Pad - barLabelWidth - 4 - BarWidth;
        var x1 = barX - BarGap;
        var y1 = height - Pad - textHeight - 3 - TickLength;
        var plotW = Math.Max(1, x1 - x0);
        var plotH = Math.Max(1, y1 - y0);
        plot = new PlotArea(x0, y0, plotW, plotH, barX);

        DrawTitle(canvas, map, title, scale);
        if (rows == 0 || cols == 0)
        {
            canvas.FillRect(x0, y0, plotW, plotH, NoDataColor);
            const string none = "NO DATA";
            canvas.DrawText(x0 + (plotW - BitmapFont.Measure(none, scale)) / 2, y0 + (plotH - textHeight) / 2, none, scale, Ink);
        }
        else
        {
            DrawCells(canvas, map, plot);
            DrawPriceAxis(canvas, map, plot, scale, priceDecimals);
            DrawTimeAxis(canvas, map, plot, scale);
        }
        canvas.Outline(x0 - 1, y0 - 1, plotW + 2, plotH + 2, Frame);
        DrawColourBar(canvas, map, plot, scale, barMaxLabel, barMinLabel);
        return canvas.Pixels;
    }

    /// <summary>The colour of one value of a map with this metric and range (NaN → <see cref="NoDataColor"/>).</summary>
    internal static Rgb ColourOf(double value, HeatmapMetric metric, double min, double max)
    {
        if (double.IsNaN(value)) return NoDataColor;
        if (metric == HeatmapMetric.Imbalance) return Ramp(ImbalanceStops, (value + 1) / 2);
        // Square root: liquidity is dominated by a few walls; a linear ramp would leave the rest of the book black.
        return Ramp(VolumeStops, max > min ? Math.Sqrt(Math.Max(0, (value - min) / (max - min))) : 0);
    }

    private static Rgb Ramp(Rgb[] stops, double f)
    {
        f = Math.Clamp(f, 0, 1) * (stops.Length - 1);
        var i = Math.Min((int)f, stops.Length - 2);
        var t = f - i;
        var (a, b) = (stops[i], stops[i + 1]);
        return new Rgb(Lerp(a.R, b.R, t), Lerp(a.G, b.G, t), Lerp(a.B, b.B, t));
    }

    private static byte Lerp(byte a, byte b, double t) => (byte)Math.Round(a + (b - a) * t);

    private static void DrawTitle(RgbCanvas canvas, Heatmap map, string? title, int scale)
    {
        var metric = map.Metric switch
        {
            HeatmapMetric.Bid => "BID LIQUIDITY (BASE UNITS)",
            HeatmapMetric.Ask => "ASK LIQUIDITY (BASE UNITS)",
            HeatmapMetric.Total => "TOTAL LIQUIDITY (BASE UNITS)",
            _ => "IMBALANCE (BID-ASK)/(BID+ASK)",
        };
        var parts = new List<string>(5);
        if (!string.IsNullOrWhiteSpace(title)) parts.Add(title.Trim());
        parts.Add(metric);
        if (map.BucketSize > 0) parts.Add("BUCKET " + FormatPrice(map.BucketSize, Decimals(map.BucketSize)));
        parts.Add(map.Times.Length + " S");
        if (map.Times.Length > 0) parts.Add(DateTimeOffset.FromUnixTimeMilliseconds(map.Times[^1]).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " UTC");
        var text = string.Join("  ", parts);
        // Shrink to scale 1, then drop trailing parts, rather than run off the image.
        var s = scale;
        if (BitmapFont.Measure(text, s) > canvas.Width - 2 * Pad) s = 1;
        while (parts.Count > 1 && BitmapFont.Measure(text, s) > canvas.Width - 2 * Pad)
        {
            parts.RemoveAt(parts.Count - 1);
            text = string.Join("  ", parts);
        }
        canvas.DrawText(Pad, Pad, text, s, Ink);
    }

    private static void DrawCells(RgbCanvas canvas, Heatmap map, PlotArea plot)
    {
        var rows = map.Times.Length;
        var cols = map.PriceBuckets.Length;
        // Colour each cell once, then paint pixels by nearest cell.
        var cellColours = new Rgb[map.Values.Length];
        for (var i = 0; i < cellColours.Length; i++) cellColours[i] = ColourOf(map.Values[i], map.Metric, map.Min, map.Max);
        var rowOfX = new int[plot.Width];
        for (var px = 0; px < plot.Width; px++) rowOfX[px] = (int)((long)px * rows / plot.Width);

        var pixels = canvas.Pixels;
        for (var py = 0; py < plot.Height; py++)
        {
            var col = cols - 1 - (int)((long)py * cols / plot.Height); // top of the plot = highest price
            var offset = ((plot.Y + py) * canvas.Width + plot.X) * 3;
            for (var px = 0; px < plot.Width; px++, offset += 3)
            {
                var c = cellColours[rowOfX[px] * cols + col];
                pixels[offset] = c.R;
                pixels[offset + 1] = c.G;
                pixels[offset + 2] = c.B;
            }
        }
    }

    private static void DrawPriceAxis(RgbCanvas canvas, Heatmap map, PlotArea plot, int scale, int decimals)
    {
        var cols = map.PriceBuckets.Length;
        var textHeight = BitmapFont.Height(scale);
        // Boundary k (0..cols) lies between bucket k-1 and k: price PriceBuckets[0] + k·size, y from the bottom.
        var maxTicks = Math.Max(2, plot.Height / (textHeight * 3));
        var step = NiceStep((cols + maxTicks - 1) / maxTicks);
        var size = map.BucketSize;
        for (var k = 0; k <= cols; k++)
        {
            var price = map.PriceBuckets[0] + k * size;
            if (price / size % step != 0) continue;
            var y = plot.Y + plot.Height - (int)((long)k * plot.Height / cols);
            if (k == cols) y = plot.Y - 1;
            var label = FormatPrice(price, decimals);
            canvas.FillRect(plot.X - 1 - TickLength, y, TickLength, 1, Ink);
            var textY = Math.Clamp(y - textHeight / 2, 0, canvas.Height - textHeight);
            canvas.DrawText(plot.X - 1 - TickLength - 3 - BitmapFont.Measure(label, scale), textY, label, scale, Ink);
        }
    }

    private static void DrawTimeAxis(RgbCanvas canvas, Heatmap map, PlotArea plot, int scale)
    {
        var rows = map.Times.Length;
        var labelWidth = BitmapFont.Measure("00:00:00", scale);
        var maxTicks = Math.Max(1, plot.Width / (labelWidth + 24));
        var spanSeconds = (map.Times[^1] - map.Times[0]) / 1000 + 1;
        long[] steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
        var stepMs = steps[^1] * 1000;
        foreach (var s in steps)
        {
            if (spanSeconds / s <= maxTicks) { stepMs = s * 1000; break; }
        }
        var lastRight = int.MinValue;
        var y = plot.Y + plot.Height + 1;
        for (var r = 0; r < rows; r++)
        {
            var t = map.Times[r];
            if (t % stepMs != 0) continue;
            var x = plot.X + (int)((long)r * plot.Width / rows);
            var label = DateTimeOffset.FromUnixTimeMilliseconds(t).UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            var textX = Math.Clamp(x - labelWidth / 2, 0, canvas.Width - labelWidth);
            if (textX <= lastRight + 8) continue; // uneven rows (missing seconds) must not overprint
            canvas.FillRect(x, y, 1, TickLength, Ink);
            canvas.DrawText(textX, y + TickLength + 3, label, scale, Ink);
            lastRight = textX + labelWidth;
        }
    }

    private static void DrawColourBar(RgbCanvas canvas, Heatmap map, PlotArea plot, int scale, string maxLabel, string minLabel)
    {
        for (var py = 0; py < plot.Height; py++)
        {
            var f = plot.Height == 1 ? 1 : 1 - (double)py / (plot.Height - 1);
            var c = ColourOf(map.Min + f * (map.Max - map.Min), map.Metric, map.Min, map.Max);
            canvas.FillRect(plot.BarX, plot.Y + py, BarWidth, 1, c);
        }
        canvas.Outline(plot.BarX - 1, plot.Y - 1, BarWidth + 2, plot.Height + 2, Frame);
        var textX = plot.BarX + BarWidth + 4;
        var textHeight = BitmapFont.Height(scale);
        canvas.DrawText(textX, plot.Y, maxLabel, scale, Ink);
        canvas.DrawText(textX, plot.Y + plot.Height - textHeight, minLabel, scale, Ink);
        var middle = map.Metric == HeatmapMetric.Imbalance ? "0" : FormatValue((map.Min + map.Max) / 2, map.Metric);
        if (map.Max > map.Min) canvas.DrawText(textX, plot.Y + (plot.Height - textHeight) / 2, middle, scale, Ink);
    }

    /// <summary>1, 2, 5, 10, 20, 50… not below <paramref name="atLeast"/>.</summary>
    private static long NiceStep(long atLeast)
    {
        long unit = 1;
        while (true)
        {
            foreach (var m in new long[] { 1, 2, 5 })
            {
                if (m * unit >= atLeast) return m * unit;
            }
            unit *= 10;
        }
    }

    /// <summary>Decimals needed to show multiples of the bucket size exactly (0 for whole units).</summary>
    private static int Decimals(long bucketSize)
    {
        if (bucketSize <= 0) return 2;
        var d = 0;
        for (var unit = FixedPoint.Scale; d < FixedPoint.Decimals && bucketSize % unit != 0; unit /= 10) d++;
        return d;
    }

    private static string FormatPrice(long price, int decimals)
        => FixedPoint.ToDecimal(price).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string FormatValue(double v, HeatmapMetric metric)
    {
        if (metric == HeatmapMetric.Imbalance) return v > 0 ? "+" + v.ToString("0.##", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);
        var a = Math.Abs(v);
        var format = a >= 10_000 ? "F0" : a >= 100 ? "F1" : a >= 1 ? "F2" : "F3";
        return v.ToString(format, CultureInfo.InvariantCulture);
    }
}
