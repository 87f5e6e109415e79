using System.Globalization;
using System.IO.Compression;
using System.Text;
using MarketData.Candles;
using MarketData.Domain.Candles;
using MarketData.Exchanges.Binance;
using MarketData.Instruments;
using MarketData.Streams;
using Xunit.Abstractions;

namespace MarketData.Tests.Domain.Candles;

/// <summary>
/// 1s and 1m candles built from the real Binance spot trades recorded by hftbacktest (MIT;
/// ../shared/data/hftbacktest, 2024-08-08 23:54 → 2024-08-09 00:05), checked trade by trade and against the
/// exchange's own hourly klines (../shared/data/static-klines, test-only).
/// </summary>
public class TradeCandlesReplayTests(ITestOutputHelper output)
{
    private static readonly string[] Days = ["20240808", "20240809"];

    [SkippableTheory]
    [InlineData("btcusdt", "BTCUSDT")]
    [InlineData("ethusdt", "ETHUSDT")]
    public void Candles_built_from_trades_contain_every_trade_and_add_up(string file, string symbol)
    {
        var folder = CandleTestData.FindSharedFolder("hftbacktest");
        if (folder is null)
            throw new SkipException("../shared/data/hftbacktest absent");
        var trades = ReadTrades(Days.Select(day => Path.Combine(folder, $"binance-spot_{file}_{day}.gz")));
        Assert.NotEmpty(trades);

        foreach (var timeframe in new[] { Timeframe.OneSecond, Timeframe.OneMinute })
        {
            var builder = new TradeCandleBuilder(timeframe);
            var series = new CandleSeries(timeframe, capacity: 10_000);
            var candles = new Dictionary<long, Candle>();
            void Closed(in Candle candle)
            {
                candles.Add(candle.OpenTime, candle);
                Assert.True(series.Apply(candle).Changed);
            }
            foreach (var trade in trades)
            {
                var result = builder.OnTrade(trade, out var closed);
                Assert.True(result is TradeApplyResult.Applied or TradeApplyResult.AppliedAndClosed, $"trade {trade.TradeId}: {result}");
                if (result == TradeApplyResult.AppliedAndClosed) Closed(closed);
            }
            Assert.True(builder.Advance(long.MaxValue, out var last));
            Closed(last);

            // Every trade lies in its candle; per candle the trades add up exactly.
            var perCandle = new Dictionary<long, (long Volume, decimal Quote, long Count, long Taker)>();
            foreach (var trade in trades)
            {
                var open = timeframe.OpenTimeOf(trade.TradeTime);
                var candle = candles[open];
                Assert.InRange(trade.TradeTime, candle.OpenTime, candle.CloseTime);
                Assert.InRange(trade.Price, candle.Low, candle.High);
                perCandle.TryGetValue(open, out var sum);
                perCandle[open] = (sum.Volume + trade.Quantity,
                                   sum.Quote + FixedPoint.ToDecimal(trade.Price) * FixedPoint.ToDecimal(trade.Quantity),
                                   sum.Count + 1, sum.Taker + (trade.BuyerIsMaker ? 0 : trade.Quantity));
            }
            Assert.Equal(perCandle.Count, candles.Count); // no candle without trades
            foreach (var (open, sum) in perCandle)
            {
                var candle = candles[open];
                Assert.Equal(sum.Volume, candle.Volume);
                Assert.Equal(sum.Count, candle.TradeCount);
                Assert.Equal(sum.Taker, candle.TakerBuyVolume);
                Assert.Equal(FixedPoint.FromDecimal(decimal.Truncate(sum.Quote * FixedPoint.Scale) / FixedPoint.Scale), candle.QuoteVolume);
                Assert.Equal(CandleSource.Trades, candle.Source);
                Assert.True(candle.IsClosed);
            }
            Assert.Equal(trades.Sum(t => t.Quantity), candles.Values.Sum(c => c.Volume));
            Assert.Equal(trades.Count, candles.Values.Sum(c => c.TradeCount));

            var counters = builder.Counters;
            output.WriteLine($"{symbol} {timeframe}: {trades.Count} trades → {candles.Count} candles, {counters.EmptyIntervals} empty intervals, " +
                             $"id gaps {counters.TradeIdGaps}, late {counters.LateTrades}, duplicates {counters.Duplicates}");
            Assert.Equal(0, counters.TradeIdGaps); // ids are consecutive across the two files
            Assert.Equal(0, counters.LateTrades);
            Assert.Equal(0, series.Counters.Rejected);
            Assert.Empty(series.Gaps); // quiet seconds are empty intervals, not gaps
            Assert.Equal(counters.EmptyIntervals, series.Counters.EmptyIntervals);

            // Redelivering the whole tape changes nothing.
            foreach (var trade in trades) Assert.Equal(TradeApplyResult.Duplicate, builder.OnTrade(trade, out _));
            Assert.False(builder.HasForming);

            // The exchange's hourly candles contain every built candle.
            var klines = CandleTestData.FindSharedFolder("static-klines");
            if (klines is null)
            {
                output.WriteLine("hourly check skipped: ../shared/data/static-klines absent");
                continue;
            }
            var first = Timeframe.OneHour.OpenTimeOf(trades[0].TradeTime);
            var hours = CandleTestData.ReadKlineCsv(Path.Combine(klines, $"{symbol}-1h.csv.gz"))
                .Where(h => h.OpenTime >= first && h.OpenTime <= first + Timeframe.OneHour.Milliseconds)
                .ToDictionary(h => h.OpenTime);
            Assert.Equal(2, hours.Count); // 2024-08-08 23:00 and 2024-08-09 00:00
            foreach (var candle in candles.Values)
            {
                var hour = hours[Timeframe.OneHour.OpenTimeOf(candle.OpenTime)];
                Assert.InRange(candle.High, hour.Low, hour.High);
                Assert.InRange(candle.Low, hour.Low, hour.High);
                Assert.True(candle.Volume <= hour.Volume);
            }
        }
    }

    /// <summary>The trade frames of the recordings, in file order, through the project's frame parser.</summary>
    private static List<TradeEvent> ReadTrades(IEnumerable<string> paths)
    {
        var parser = new BinanceFrameParser();
        var trades = new List<TradeEvent>();
        foreach (var path in paths)
        {
            using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (reader.ReadLine() is { } line)
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var ns = long.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture);
                if (parser.Parse(Encoding.UTF8.GetBytes(line[(space + 1)..])) == BinanceFrameKind.Trade)
                    trades.Add((TradeEvent)parser.ToEvent(DateTime.UnixEpoch.AddTicks(ns / 100)));
            }
        }
        return trades;
    }
}
