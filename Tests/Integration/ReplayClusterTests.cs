using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Client;
using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Recording;
using MarketData.Silo.Hosting;
using MarketData.Streams;
using MarketData.Tests.Recording;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace MarketData.Tests.Integration;

/// <summary>
/// The shipped sample replayed at full speed through feed grain, streams and book grains must leave each
/// book grain exactly where the pure domain leaves a synchroniser fed the same frames: the Orleans path
/// loses, repeats and reorders nothing.
/// </summary>
public sealed class ReplayClusterTests : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;
    private string? _sample;

    public async Task InitializeAsync()
    {
        _sample = RecordingTestFiles.Sample();
        if (_sample is null) return;
        _cluster = await TestClusters.StartAsync(new Dictionary<string, string?>
        {
            ["Replay:Files:0"] = _sample,
            ["Replay:Speed"] = "0",
            ["Books:StaleAfter"] = "00:10:00", // the comparison must not race the staleness timer
        });
    }

    public async Task DisposeAsync()
    {
        if (_cluster is null) return;
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [SkippableFact]
    public async Task Replayed_sample_leaves_every_book_grain_equal_to_the_domain_replay()
    {
        if (_sample is null || _cluster is null) throw new SkipException("samples/ missing: nothing to replay");
        var expected = ReplayInDomain(_sample);
        var client = new MarketDataClient(_cluster.Client);

        var feed = await Eventually.WaitAsync(() => client.GetFeedsAsync(), f => f.Count == 1 && f[0].State == FeedState.Completed, "replay completed");
        Assert.Equal(0, feed[0].Rejected);
        Assert.Equal(0, feed[0].Dropped);
        Assert.Equal(feed[0].MessagesReceived, feed[0].EventsPublished);

        foreach (var (symbol, sync) in expected)
        {
            var instrument = new Instrument("binance", symbol);
            var view = await Eventually.WaitAsync(() => client.GetBookAsync(instrument, 5000),
                v => v.LastUpdateId == sync.Book.LastUpdateId, $"{symbol} at update {sync.Book.LastUpdateId}");
            Assert.Equal(BookStatus.Synced, view.Status);
            Assert.Equal(Levels(sync, bids: true), view.Bids);
            Assert.Equal(Levels(sync, bids: false), view.Asks);
            Assert.True(view.Bids.Count > 100 && view.Asks.Count > 100, "most of the snapshot's depth is served");
            // The verified range is the domain's, and the levels served beyond it are counted.
            Assert.Equal(sync.Verified.BidBounded ? FixedPoint.ToDecimal(sync.Verified.BidFloor) : null, view.VerifiedBidFloor);
            Assert.Equal(sync.Verified.AskBounded ? FixedPoint.ToDecimal(sync.Verified.AskCeiling) : null, view.VerifiedAskCeiling);
            Assert.Equal(sync.Verified.CountBeyond(sync.Book, bids: true), view.BidsBeyondVerified);
            Assert.Equal(sync.Verified.CountBeyond(sync.Book, bids: false), view.AsksBeyondVerified);

            var health = await client.GetBookHealthAsync(instrument);
            Assert.Equal(sync.Counters.DiffsApplied, health.DiffsApplied);
            Assert.Equal(0, health.Gaps);

            // One aggregate per second of the recording, from its first second to its last, gaps with reasons
            // before the book synced; every aggregate belongs to the book state it reports.
            var (firstSecond, lastSecond) = RecordedFacts.DepthSeconds(_sample, symbol);
            var seconds = await Eventually.WaitAsync(() => client.GetCobHistoryAsync(instrument, firstSecond, lastSecond - 1000),
                h => h.Count == (lastSecond - firstSecond) / 1000, $"{symbol}: one aggregate per recorded second");
            for (var i = 0; i < seconds.Count; i++) Assert.Equal(firstSecond + i * 1000L, seconds[i].Time);
            Assert.All(seconds.Where(c => c.IsGap), c => Assert.False(string.IsNullOrEmpty(c.GapReason)));
            var aggregated = seconds.Where(c => !c.IsGap).ToList();
            Assert.True(aggregated.Count >= seconds.Count - 5, $"{symbol}: {aggregated.Count} of {seconds.Count} seconds aggregated");
            Assert.All(aggregated, c =>
            {
                Assert.True(c.BookUpdateId > 0 && c.Buckets.Length > 0 && c.Spread > 0);
                Assert.Equal(c.Buckets.Sum(b => b.BidVolume), c.BidDepth);
                Assert.Equal(c.Buckets.Sum(b => b.AskVolume), c.AskDepth);
            });
            // Every recorded trade is in some second's flow or counted late (at full speed the trade stream may
            // trail the depth stream by more than the grace): none is lost or counted twice.
            var recordedTrades = RecordedFacts.TradeCounts(_sample)[symbol];
            await Eventually.WaitAsync(async () => (await client.GetCobHistoryAsync(instrument, 0, long.MaxValue)).Sum(c => (long)c.Flow.TradeCount)
                    + (await client.GetBookHealthAsync(instrument)).LateTrades,
                n => n == recordedTrades, $"{symbol}: all {recordedTrades} trades accounted for");

            var map = await client.GetHeatmapAsync(instrument, 300, HeatmapMetric.Total);
            Assert.True(map.Times.Length > 0 && map.PriceBuckets.Length > 0);
            var png = Domain.Heatmap.TestPngReader.Read(await client.GetHeatmapPngAsync(instrument, 300, HeatmapMetric.Imbalance));
            Assert.Equal((900, 480), (png.Width, png.Height));
        }

        // Candles: a replay carries trades only, so 1s and 1m candles are built from them, and their volumes add
        // up to the recorded trades' (the forming candle holds the rest).
        foreach (var (symbol, tradeVolume) in TradeVolumes(_sample))
        {
            foreach (var timeframe in new[] { Timeframe.OneSecond, Timeframe.OneMinute })
            {
                var series = new CandleSeriesKey(new Instrument("binance", symbol), timeframe);
                var view = await Eventually.WaitAsync(() => client.GetCandlesAsync(series, 100_000),
                    v => v.Candles.Sum(c => c.Volume) + (v.Forming?.Volume ?? 0) == tradeVolume, $"{series} volumes add up to the trades'");
                Assert.All(view.Candles, c => Assert.Equal(CandleSource.Trades, c.Source));
                Assert.StartsWith("unavailable", view.Backfill, StringComparison.Ordinal);
                Assert.Empty(view.Gaps);
            }
            var pivots = await Eventually.WaitAsync(() => client.GetPivotsAsync(new CandleSeriesKey(new Instrument("binance", symbol), Timeframe.OneSecond), 2),
                p => p.CandlesAnalysed > 60, $"{symbol} 1s pivots");
            Assert.NotEmpty(pivots.Levels[0]);
        }
    }

    private static Dictionary<string, long> TradeVolumes(string file)
    {
        var volumes = new Dictionary<string, long>(StringComparer.Ordinal);
        var parser = new BinanceFrameParser();
        foreach (var frame in new RecordingReader([file]).ReadFrames())
        {
            if (parser.Parse(frame.Payload.Span) != BinanceFrameKind.Trade) continue;
            var trade = (TradeEvent)parser.ToEvent(frame.ReceivedAtUtc);
            volumes[parser.Symbol!] = volumes.GetValueOrDefault(parser.Symbol!) + trade.Quantity;
        }
        return volumes;
    }

    private static Dictionary<string, OrderBookSynchronizer> ReplayInDomain(string file)
    {
        var books = new Dictionary<string, OrderBookSynchronizer>(StringComparer.Ordinal);
        var parser = new BinanceFrameParser();
        foreach (var frame in new RecordingReader([file]).ReadFrames())
        {
            var kind = parser.Parse(frame.Payload.Span);
            var symbol = frame.Source == FrameSource.RestDepth ? frame.Symbol : parser.Symbol;
            if (symbol is null || kind is not (BinanceFrameKind.DepthUpdate or BinanceFrameKind.DepthSnapshot)) continue;
            if (!books.TryGetValue(symbol, out var sync)) books[symbol] = sync = new OrderBookSynchronizer();
            if (parser.ToEvent(frame.ReceivedAtUtc) is DepthDiff diff) sync.OnDiff(diff);
            else sync.OnSnapshot((DepthSnapshot)parser.ToEvent(frame.ReceivedAtUtc));
        }
        Assert.Equal(2, books.Count);
        Assert.All(books.Values, b => Assert.Equal(BookStatus.Synced, b.Status));
        return books;
    }

    /// <summary>Every level the book holds, best first (up to the largest depth served).</summary>
    private static BookLevel[] Levels(OrderBookSynchronizer sync, bool bids)
    {
        var book = sync.Book;
        var buffer = new PriceLevel[bids ? book.BidCount : book.AskCount];
        var n = bids ? book.CopyBids(buffer) : book.CopyAsks(buffer);
        return buffer.Take(Math.Min(n, 5000)).Select(l => new BookLevel(FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity))).ToArray();
    }
}
