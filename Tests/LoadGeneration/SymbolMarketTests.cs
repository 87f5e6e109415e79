using MarketData.Books;
using MarketData.LoadGeneration;
using MarketData.Streams;
using MarketData.Tests.Protocol;
using Xunit.Abstractions;

namespace MarketData.Tests.LoadGeneration;

/// <summary>
/// The load generator's synthetic markets on a simulated clock, consumed through the real parser and book
/// synchronizer: the streams must be exactly consistent (books rebuild level for level, bookTicker is the true top,
/// trades, aggTrades and klines agree) and the rates must follow the profile measured on the recordings.
/// </summary>
public sealed class SymbolMarketTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(30)]
    [InlineData(500)]
    public void Diffs_rebuild_the_book_exactly_and_every_stream_agrees_with_it(int rank)
    {
        var sim = new SimulatedMarket(rank, seed: 7);
        sim.Run(seconds: rank <= 2 ? 120 : 600);
        sim.Flush();

        Assert.Equal(BookStatus.Synced, sim.Book.Status);
        Assert.Equal(0, sim.Book.Counters.Gaps);
        Assert.Equal(0, sim.Book.Counters.CrossedBooks);
        Assert.Equal(0, sim.Book.Counters.BadLevels);
        var book = sim.Market.Book();
        BinanceStreamChecks.AssertBookEquals(sim.Book, book.Bids, book.Asks, book.LastUpdateId, sim.Symbol);
        Assert.True(book.Bids[0].Price < book.Asks[0].Price, "crossed");

        BinanceStreamChecks.AssertNoDuplicates(sim.Events, sim.Symbol);
        BinanceStreamChecks.AssertContiguous(sim.Events, sim.Symbol);
        BinanceStreamChecks.AssertAggTradesMatchTrades(sim.Events, sim.Symbol);
        var bookTickers = sim.Events.OfType<BookTickerEvent>().ToList();
        var checkedTops = BinanceStreamChecks.AssertBookTickersMatchBook(bookTickers, sim.Tops, sim.Symbol);
        var comparedCandles = BinanceStreamChecks.AssertKlinesMatchTrades(sim.Events, sim.Symbol);
        output.WriteLine($"{sim.Symbol}: {sim.Counts[StreamKind.Depth]} diffs, {bookTickers.Count} bookTickers, {checkedTops} tops checked, " +
                         $"{sim.Counts[StreamKind.Trade]} trades, {comparedCandles} 1 s candles compared; book {book.Bids.Length}/{book.Asks.Length}");
        Assert.True(checkedTops > sim.Counts[StreamKind.Depth] / 2, "most book states were compared with a bookTicker");
        Assert.True(comparedCandles > 100);

        // Every finished 1 s candle with trades covers exactly the trades of its second; 1 m candles close once a minute.
        var minutes = sim.Events.OfType<KlineEvent>().Where(k => k.Timeframe.Name == "1m" && (k.Candle.Flags & Candles.CandleFlags.Closed) != 0).ToArray();
        Assert.Equal(minutes.Length, minutes.Select(k => k.Candle.OpenTime).Distinct().Count());
        Assert.InRange(minutes.Length, (int)sim.Seconds / 60 - 1, (int)sim.Seconds / 60);
    }

    [Fact]
    public void Head_rates_and_level_counts_follow_the_recordings()
    {
        var sim = new SimulatedMarket(1, seed: 3) { KeepEvents = false };
        sim.Run(seconds: 600);
        var profile = sim.Profile;
        AssertRate(sim, StreamKind.Depth, profile.ExpectedDepthFramesPerSecond(1), 0.02);
        AssertRate(sim, StreamKind.BookTicker, profile.BookTickerPerSecond(1), 0.05);
        AssertRate(sim, StreamKind.Trade, profile.TradesPerSecond(1), 0.10);
        AssertRate(sim, StreamKind.AggTrade, profile.AggTradesPerSecond(1), 0.08);
        AssertRate(sim, StreamKind.Ticker, 1, 0.01);
        AssertRate(sim, StreamKind.Kline1s, 1, 0.01);
        AssertRate(sim, StreamKind.Kline1m, 0.5, 0.01);
        AssertRate(sim, StreamKind.Kline1d, 0.5, 0.01);
        var mean = sim.LevelsPerFrame.Average();
        var median = sim.LevelsPerFrame.Order().ElementAt(sim.LevelsPerFrame.Count / 2);
        output.WriteLine($"levels per frame: mean {mean:F1} (profile {profile.MeanLevelsPerFrame(1):F1}, recorded 36.0), median {median} (recorded 16), max {sim.LevelsPerFrame.Max()}");
        Assert.InRange(mean, 0.85 * profile.MeanLevelsPerFrame(1), 1.15 * profile.MeanLevelsPerFrame(1));
        Assert.InRange(median, 13, 20);
        Assert.InRange(sim.Market.BidCount, 800, 1000);
        Assert.InRange(sim.Market.AskCount, 800, 1000);
    }

    [Fact]
    public void Tail_rates_and_level_counts_follow_the_recordings()
    {
        // Forty quiet symbols for five minutes: enough events for the rare trades to be counted.
        var sims = Enumerable.Range(300, 40).Select(rank => new SimulatedMarket(rank, seed: 5) { KeepEvents = false }).ToArray();
        foreach (var sim in sims) sim.Run(seconds: 300);
        var profile = LoadProfile.Default;
        var seconds = 300.0 * sims.Length;
        void Check(StreamKind kind, double perSymbol, double tolerance)
        {
            var rate = sims.Sum(s => s.Counts[kind]) / seconds;
            output.WriteLine($"tail {StreamKinds.Name(kind)}: {rate:F4}/s per symbol, profile {perSymbol:F4}");
            Assert.InRange(rate, perSymbol * (1 - tolerance), perSymbol * (1 + tolerance));
        }
        Check(StreamKind.Depth, profile.ExpectedDepthFramesPerSecond(300), 0.05);
        Check(StreamKind.BookTicker, profile.BookTickerPerSecond(300), 0.08);
        Check(StreamKind.AggTrade, profile.AggTradesPerSecond(300), 0.25);
        Check(StreamKind.Trade, profile.TradesPerSecond(300), 0.25);
        var levels = sims.SelectMany(s => s.LevelsPerFrame).ToArray();
        output.WriteLine($"tail levels per frame: mean {levels.Average():F2} (profile {profile.MeanLevelsPerFrame(300):F2}, recorded 2.38)");
        Assert.InRange(levels.Average(), 0.85 * profile.MeanLevelsPerFrame(300), 1.15 * profile.MeanLevelsPerFrame(300));
        Assert.All(sims, s => Assert.InRange(s.Market.BidCount, 400, 600));
    }

    [Fact]
    public void The_book_never_exceeds_its_cap()
    {
        var sim = new SimulatedMarket(1, seed: 11, maxLevelsPerSide: 100);
        sim.Run(seconds: 60);
        sim.Flush();
        var book = sim.Market.Book();
        Assert.InRange(book.Bids.Length, 50, 100);
        Assert.InRange(book.Asks.Length, 50, 100);
        BinanceStreamChecks.AssertBookEquals(sim.Book, book.Bids, book.Asks, book.LastUpdateId, sim.Symbol);
    }

    [Fact]
    public void The_same_seed_gives_the_same_frames()
    {
        var a = new SimulatedMarket(3, seed: 9) { KeepRaw = true, KeepEvents = false };
        var b = new SimulatedMarket(3, seed: 9) { KeepRaw = true, KeepEvents = false };
        var c = new SimulatedMarket(3, seed: 10) { KeepRaw = true, KeepEvents = false };
        a.Run(30);
        b.Run(30);
        c.Run(30);
        Assert.Equal(a.Raw.Count, b.Raw.Count);
        Assert.True(a.Raw.Zip(b.Raw).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
        Assert.False(a.Raw.Count == c.Raw.Count && a.Raw.Zip(c.Raw).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
    }

    [Fact]
    public void Frames_are_serialised_without_allocating()
    {
        var markets = Enumerable.Range(1, 20)
            .Select(rank => new SymbolMarket(LoadServerOptions.SymbolOf(rank), rank, LoadProfile.Default, 1, 1, SimulatedMarket.StartMs, (long)SimulatedMarket.StartMs))
            .ToArray();
        var sink = new CountingSink();
        var writer = new FrameWriter();
        var now = SimulatedMarket.StartMs;
        var slip = 0.0;
        void Run(double seconds)
        {
            for (var end = now + seconds * 1000; now < end; now += 10)
                foreach (var m in markets) m.Advance(now, (long)now, writer, sink, ref slip);
        }
        Run(60); // warm-up: buffers reach their working size
        var framesBefore = sink.Frames;
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(120);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var frames = sink.Frames - framesBefore;
        output.WriteLine($"{frames} frames, {allocated} bytes allocated ({(double)allocated / frames:F3} B/frame)");
        Assert.True(frames > 10_000);
        // Buffers still grow now and then (a record-sized diff), but nothing is allocated per frame.
        Assert.True(allocated < frames, $"{allocated} bytes for {frames} frames");
    }

    private void AssertRate(SimulatedMarket sim, StreamKind kind, double expected, double tolerance)
    {
        var rate = sim.Counts[kind] / sim.Seconds;
        output.WriteLine($"{sim.Symbol} {StreamKinds.Name(kind)}: {rate:F3}/s, profile {expected:F3}");
        Assert.InRange(rate, expected * (1 - tolerance), expected * (1 + tolerance));
    }

    private sealed class CountingSink : IFrameSink
    {
        public long Frames;
        public long Bytes;
        public bool Wants(StreamKind kind) => true;
        public void Write(StreamKind kind, ReadOnlySpan<byte> payload)
        {
            Frames++;
            Bytes += payload.Length;
        }
    }
}
