using System.Globalization;
using System.IO.Compression;
using System.Text;
using MarketData.Candles;
using MarketData.Instruments;

namespace MarketData.Tests.Domain.Candles;

/// <summary>Locates ../shared/data (test-only recordings, never copied) and reads kline CSVs and candles for tests.</summary>
internal static class CandleTestData
{
    /// <summary>../shared/data/<paramref name="folder"/> next to the folder holding Orleans.sln, or null when absent.</summary>
    public static string? FindSharedFolder(string folder) => Recording.RecordingTestFiles.SharedFolder(folder);

    /// <summary>
    /// Rows of a data.binance.vision style kline CSV (no header, 12 columns; .gz or plain) as closed candles.
    /// </summary>
    public static List<Candle> ReadKlineCsv(string path, CandleSource source = CandleSource.BinanceRest)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var result = new List<Candle>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            var f = line.Split(',');
            Assert.True(f.Length == 12, $"{path}: expected 12 columns in '{line}'");
            result.Add(new Candle
            {
                OpenTime = long.Parse(f[0], CultureInfo.InvariantCulture),
                Open = Fixed(f[1]),
                High = Fixed(f[2]),
                Low = Fixed(f[3]),
                Close = Fixed(f[4]),
                Volume = Fixed(f[5]),
                CloseTime = long.Parse(f[6], CultureInfo.InvariantCulture),
                QuoteVolume = Fixed(f[7]),
                TradeCount = long.Parse(f[8], CultureInfo.InvariantCulture),
                TakerBuyVolume = Fixed(f[9]),
                TakerBuyQuoteVolume = Fixed(f[10]),
                Source = source,
                Flags = CandleFlags.Closed,
            });
        }
        return result;
    }

    public static long Fixed(string text)
    {
        Assert.True(FixedPoint.TryParse(text, out var value), $"bad decimal '{text}'");
        return value;
    }

    public static long Px(decimal value) => FixedPoint.FromDecimal(value);

    /// <summary>A valid closed candle of <paramref name="timeframe"/> at <paramref name="openTime"/> with a flat-ish range around <paramref name="price"/>.</summary>
    public static Candle Make(Timeframe timeframe, long openTime, decimal price = 100m, decimal volume = 1m, long trades = 10,
                              bool closed = true, CandleSource source = CandleSource.BinanceRest)
        => new()
        {
            OpenTime = openTime,
            CloseTime = timeframe.CloseTimeOf(openTime),
            Open = Px(price),
            High = Px(price + 1),
            Low = Px(price - 1),
            Close = Px(price + 0.5m),
            Volume = Px(volume),
            QuoteVolume = Px(volume * price),
            TradeCount = trades,
            TakerBuyVolume = Px(volume / 2),
            TakerBuyQuoteVolume = Px(volume * price / 2),
            Source = source,
            Flags = closed ? CandleFlags.Closed : CandleFlags.None,
        };
}
