namespace MarketData.Tests.Domain.Heatmap;

using MarketData.Aggregation;
using MarketData.Domain.Heatmap;
using Xunit.Abstractions;
using static MarketData.Tests.Domain.Heatmap.HeatmapTestData;

public sealed class HeatmapPngTests(ITestOutputHelper output)
{
    private static readonly (byte, byte, byte) Grey = (128, 128, 128);

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, TestPngReader.CheckValue());
        Assert.Equal(0xCBF43926u, TestPngReader.EncoderCheckValue());
    }

    [Fact]
    public void Encoder_round_trips_arbitrary_pixels()
    {
        var random = new Random(3);
        var rgb = new byte[17 * 5 * 3];
        random.NextBytes(rgb);
        var png = TestPngReader.Read(PngEncoder.EncodeRgb(17, 5, rgb));
        Assert.Equal(17, png.Width);
        Assert.Equal(5, png.Height);
        Assert.Equal(rgb, png.Rgb);
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.Chunks);
    }

    [Theory]
    [InlineData(HeatmapMetric.Total)]
    [InlineData(HeatmapMetric.Imbalance)]
    public void Png_decodes_with_the_documented_default_size(HeatmapMetric metric)
    {
        var map = HeatmapBuilder.Build(Walk(300, 100), metric);
        var bytes = HeatmapPng.Render(map, title: "BTCUSDT");
        var png = TestPngReader.Read(bytes);
        Assert.Equal(HeatmapPng.DefaultWidth, png.Width);
        Assert.Equal(HeatmapPng.DefaultHeight, png.Height);
        Assert.Equal(900 * 480 * 3, png.Rgb.Length);
        Assert.Equal((255, 255, 255), png.Pixel(png.Width - 1, png.Height - 1)); // background corner
    }

    [Fact]
    public void Gap_row_is_grey_and_colour_bar_ends_show_min_and_max()
    {
        // 10 seconds, the 5th a gap; two buckets with volumes 1 and 9.
        var seconds = Enumerable.Range(0, 10).Select(i => i == 4 ? Gap(i) : Second(i, 10, 100, (1, 0), (9, 0))).ToList();
        var map = HeatmapBuilder.Build(seconds, HeatmapMetric.Bid);
        var pixels = HeatmapPng.RenderPixels(map, 600, 320, null, out var plot);
        var png = TestPngReader.Read(PngEncoder.EncodeRgb(600, 320, pixels));
        Assert.Equal(600, png.Width);
        Assert.Equal(320, png.Height);

        int XOfRow(int r) => plot.X + (2 * r + 1) * plot.Width / 20;  // centre of second r
        var lowerBucketY = plot.Y + plot.Height * 3 / 4;                // lower half = bucket 100
        var upperBucketY = plot.Y + plot.Height / 4;                    // upper half = bucket 110
        Assert.Equal(Grey, png.Pixel(XOfRow(4), lowerBucketY));
        Assert.Equal(Grey, png.Pixel(XOfRow(4), upperBucketY));
        var darkest = png.Pixel(XOfRow(3), lowerBucketY);  // volume 1 = Min
        var brightest = png.Pixel(XOfRow(3), upperBucketY); // volume 9 = Max
        Assert.Equal((0, 0, 4), darkest);
        Assert.Equal((0xFC, 0xFD, 0xBF), brightest);
        // The colour bar: top = max colour, bottom = min colour.
        Assert.Equal(brightest, png.Pixel(plot.BarX + 5, plot.Y));
        Assert.Equal(darkest, png.Pixel(plot.BarX + 5, plot.Y + plot.Height - 1));
    }

    [Fact]
    public void Imbalance_uses_red_white_green()
    {
        var map = HeatmapBuilder.Build([Second(0, 1, 10, (0, 1), (1, 1), (1, 0))], HeatmapMetric.Imbalance);
        var pixels = HeatmapPng.RenderPixels(map, 400, 300, "ETHUSDT", out var plot);
        var png = TestPngReader.Read(PngEncoder.EncodeRgb(400, 300, pixels));
        var x = plot.X + plot.Width / 2;
        Assert.Equal((0x1A, 0x98, 0x50), png.Pixel(x, plot.Y + plot.Height / 6));         // top bucket +1: green
        Assert.Equal((0xF7, 0xF7, 0xF7), png.Pixel(x, plot.Y + plot.Height / 2));         // middle 0: white
        Assert.Equal((0xB2, 0x18, 0x2B), png.Pixel(x, plot.Y + plot.Height * 5 / 6));     // bottom -1: red
    }

    [Fact]
    public void Empty_and_small_maps_render()
    {
        foreach (var map in new[] { HeatmapBuilder.Build([], HeatmapMetric.Total), HeatmapBuilder.Build([Gap(0)], HeatmapMetric.Ask),
                     HeatmapBuilder.Build([Second(0, 0.00001m, 0.5m, (1, 2))], HeatmapMetric.Total) })
        {
            var png = TestPngReader.Read(HeatmapPng.Render(map, HeatmapPng.MinWidth, HeatmapPng.MinHeight));
            Assert.Equal(HeatmapPng.MinWidth, png.Width);
        }
    }

    [Fact]
    public void Example_image_is_written_for_a_person_to_look_at()
    {
        var folder = Path.Combine(Path.GetTempPath(), "marketdata-heatmap-tests");
        Directory.CreateDirectory(folder);
        foreach (var metric in new[] { HeatmapMetric.Total, HeatmapMetric.Imbalance })
        {
            var path = Path.Combine(folder, $"heatmap-{metric.ToString().ToLowerInvariant()}.png");
            File.WriteAllBytes(path, HeatmapPng.Render(HeatmapBuilder.Build(Walk(300, 100), metric), title: "BTCUSDT"));
            output.WriteLine($"wrote {path}");
        }
    }
}
