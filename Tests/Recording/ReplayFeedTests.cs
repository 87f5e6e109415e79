using System.IO.Compression;
using MarketData.Domain.Books;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace MarketData.Tests.Recording;

public sealed class ReplayFeedTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly RecordingTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string BookTicker(string symbol, long u) =>
        $$$"""{"stream":"{{{symbol.ToLowerInvariant()}}}@bookTicker","data":{"u":{{{u}}},"s":"{{{symbol}}}","b":"100.00000000","B":"1.00000000","a":"101.00000000","A":"2.00000000"}}""";

    private static ReplayFeed Feed(IMarketEventSink sink, TimeProvider time, double speed, params string[] files)
        => new(new ReplayOptions { Files = [.. files], Speed = speed }, sink, time, NullLogger.Instance);

    [SkippableFact]
    public async Task Shipped_sample_replays_into_two_synced_books_with_no_gaps()
    {
        var sample = RecordingTestFiles.Sample();
        if (sample is null) throw new SkipException("samples/ not found from the test binaries");
        long fileLines;
        using (var gzip = new GZipStream(File.OpenRead(sample), CompressionMode.Decompress))
        {
            fileLines = 0;
            var buffer = new byte[1 << 16];
            int n;
            while ((n = gzip.Read(buffer)) > 0) fileLines += buffer.AsSpan(0, n).Count((byte)'\n');
        }

        var sink = new ListSink();
        await using var feed = Feed(sink, TimeProvider.System, speed: double.PositiveInfinity, sample);
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion.WaitAsync(Bound);

        var status = feed.GetStatus();
        output.WriteLine($"{status.State}: {status.LinesRead} lines, {status.MessagesReceived} messages, {status.EventsPublished} events, {status.BytesReceived} bytes");
        Assert.Equal(FeedState.Completed, status.State);
        Assert.NotNull(status.CompletedAt);
        Assert.Equal("replay", status.Kind);
        Assert.Equal(26_126, fileLines);
        Assert.Equal(fileLines, status.LinesRead);
        Assert.Equal(fileLines, status.MessagesReceived);
        Assert.Equal(fileLines, status.EventsPublished);
        Assert.Equal(fileLines, sink.Count);
        Assert.Equal((0L, 0L, 0L, 2L), (status.Rejected, status.UnknownEvents, status.Dropped, status.SnapshotsFetched));
        Assert.Equal(["BTCUSDT", "ETHUSDT"], status.Symbols);
        Assert.True(sink.Flushes >= 1, "the sink is flushed before Completed");
        Assert.Null(status.LastError);

        // Counts per kind as listed in samples/README.md.
        var events = sink.Events;
        int Count<T>(string symbol) => events.Count(e => e.Instrument.Symbol == symbol && e.Event is T);
        Assert.Equal((1188, 2543, 9784, 1), (Count<DepthDiff>("BTCUSDT"), Count<TradeEvent>("BTCUSDT"), Count<BookTickerEvent>("BTCUSDT"), Count<DepthSnapshot>("BTCUSDT")));
        Assert.Equal((1195, 2016, 9398, 1), (Count<DepthDiff>("ETHUSDT"), Count<TradeEvent>("ETHUSDT"), Count<BookTickerEvent>("ETHUSDT"), Count<DepthSnapshot>("ETHUSDT")));
        Assert.All(events, e => Assert.Equal("binance", e.Instrument.Exchange));

        // One book per symbol, fed in publish order exactly as a book grain would be.
        long bookRequests = 0;
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
        {
            var sync = new OrderBookSynchronizer();
            BookTickerEvent? lastTicker = null;
            int states = 0, agreeing = 0;
            var pendingTickers = new Queue<BookTickerEvent>();
            foreach (var e in events.Where(e => e.Instrument.Symbol == symbol).Select(e => e.Event))
            {
                switch (e)
                {
                    case DepthSnapshot snapshot:
                        if (sync.OnSnapshot(snapshot).RequestSnapshot) feed.RequestSnapshot(symbol, "test");
                        break;
                    case DepthDiff diff:
                        var applied = sync.Counters.DiffsApplied;
                        if (sync.OnDiff(diff).RequestSnapshot) feed.RequestSnapshot(symbol, "test");
                        if (sync.Counters.DiffsApplied > applied && sync.Status == Books.BookStatus.Synced)
                        {
                            // Top of book against the exchange's own bookTicker at or before this update id.
                            while (pendingTickers.TryPeek(out var t) && t.UpdateId <= sync.Book.LastUpdateId) lastTicker = pendingTickers.Dequeue();
                            if (lastTicker is not null && sync.Book.TryGetBestBid(out var bid) && sync.Book.TryGetBestAsk(out var ask))
                            {
                                states++;
                                if (bid.Price == lastTicker.BidPrice && ask.Price == lastTicker.AskPrice) agreeing++;
                            }
                        }
                        break;
                    case BookTickerEvent ticker:
                        pendingTickers.Enqueue(ticker);
                        break;
                }
            }
            output.WriteLine($"{symbol}: {sync.Status}, applied {sync.Counters.DiffsApplied}, dropped stale {sync.Counters.DiffsDroppedStale}, gaps {sync.Counters.Gaps}, top of book agreeing {agreeing}/{states}");
            Assert.Equal(Books.BookStatus.Synced, sync.Status);
            Assert.Equal(0, sync.Counters.Gaps);
            Assert.Equal(0, sync.Counters.CrossedBooks);
            Assert.Equal(0, sync.Counters.Resyncs);
            Assert.Equal(1, sync.Counters.SnapshotsApplied);
            Assert.Equal(Count<DepthDiff>(symbol), sync.Counters.DiffsApplied + sync.Counters.DiffsDroppedStale);
            Assert.True(states > 1000 && agreeing >= states * 0.99, $"top of book agreed with bookTicker in {agreeing} of {states} states");
            // A fresh book asks for its first snapshot once (the recording's REST line answers it); never again.
            Assert.InRange(sync.Counters.SnapshotRequests, 0, 1);
            bookRequests += sync.Counters.SnapshotRequests;
        }
        Assert.Equal(bookRequests, feed.GetStatus().Resyncs);
        Assert.Null(feed.GetStatus().LastError);
    }

    [SkippableFact]
    public async Task Hftbacktest_files_replay_both_days_of_both_symbols_into_synced_books()
    {
        string?[] paths =
        [
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_btcusdt_20240809.gz"),
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_ethusdt_20240808.gz"),
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_btcusdt_20240808.gz"),
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_ethusdt_20240809.gz"),
        ];
        if (paths.Any(p => p is null)) throw new SkipException("../shared/data/hftbacktest absent");

        // Books fed straight from the sink as events arrive, as book grains would be.
        var books = new Dictionary<string, OrderBookSynchronizer>(StringComparer.Ordinal);
        var sink = new CallbackSink((instrument, e) =>
        {
            if (!books.TryGetValue(instrument.Symbol, out var sync)) books[instrument.Symbol] = sync = new OrderBookSynchronizer();
            switch (e)
            {
                case DepthDiff diff: sync.OnDiff(diff); break;
                case DepthSnapshot snapshot: sync.OnSnapshot(snapshot); break;
            }
        });
        await using var feed = Feed(sink, TimeProvider.System, 0, paths!);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion.WaitAsync(Bound);
        started.Stop();

        var status = feed.GetStatus();
        output.WriteLine($"{status.LinesRead} lines ({status.BytesReceived / 1e6:F1} MB of JSON) in {started.Elapsed.TotalMilliseconds:F0} ms: {status.LinesRead / started.Elapsed.TotalSeconds:F0} frames/s");
        Assert.Equal(FeedState.Completed, status.State);
        Assert.Equal(179_318, status.LinesRead); // 41,249 + 58,325 + 33,618 + 46,126 (../shared/data/README.md)
        Assert.Equal(179_318, status.EventsPublished);
        Assert.Equal(0, status.Rejected);
        foreach (var (symbol, applied) in new[] { ("BTCUSDT", 6493L), ("ETHUSDT", 6468L) })
        {
            var sync = books[symbol];
            output.WriteLine($"{symbol}: {sync.Status}, applied {sync.Counters.DiffsApplied}, gaps {sync.Counters.Gaps}");
            Assert.Equal(Books.BookStatus.Synced, sync.Status);
            Assert.Equal(0, sync.Counters.Gaps);
            Assert.Equal(applied, sync.Counters.DiffsApplied); // as measured in ../shared/data/README.md
        }
    }

    /// <summary>Hands each event to a callback on the publishing thread.</summary>
    private sealed class CallbackSink(Action<Instruments.Instrument, MarketEvent> onEvent) : IMarketEventSink
    {
        public bool Publish(Instruments.Instrument instrument, MarketEvent marketEvent)
        {
            onEvent(instrument, marketEvent);
            return true;
        }

        public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public async Task Recorded_pace_waits_on_the_time_provider(double speed)
    {
        var t0 = 1_723_161_253_000_000_000L;
        long[] offsetsMs = [0, 1000, 1000, 3000, 3500];
        var path = _files.Write("paced.rec", offsetsMs.Select((ms, i) => $"{t0 + ms * 1_000_000} ws {BookTicker("BTCUSDT", i + 1)}"), gzip: false);
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var sink = new ListSink(time);
        await using var feed = Feed(sink, time, speed, path);
        await feed.StartAsync(CancellationToken.None);

        await RecordingTestFiles.WaitUntil(() => sink.Count == 1, "the first frame");
        Assert.Equal(FeedState.Connected, feed.GetStatus().State);
        // Fake time only moves when this test moves it: step it until the replay has played everything.
        var deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (!feed.Completion.IsCompleted)
        {
            Assert.True(Environment.TickCount64 < deadline, "replay did not finish");
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        Assert.Equal(FeedState.Completed, feed.GetStatus().State);
        var events = sink.Events;
        Assert.Equal(offsetsMs.Length, events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var due = TimeSpan.FromMilliseconds(offsetsMs[i] / speed);
            var publishedAfter = events[i].PublishedAt - start;
            output.WriteLine($"frame {i}: due {due.TotalMilliseconds} ms, published at {publishedAfter.TotalMilliseconds} ms (fake time)");
            Assert.True(publishedAfter >= due, $"frame {i} published at {publishedAfter} before it was due at {due}");
            Assert.Equal(((BookTickerEvent)events[i].Event).ReceivedAt, DateTime.UnixEpoch.AddTicks((t0 + offsetsMs[i] * 1_000_000) / 100));
        }
        // The last frame was due at 3.5 s / speed: the replay cannot have finished before that in fake time.
        Assert.True(time.GetUtcNow() - start >= TimeSpan.FromMilliseconds(3500 / speed));
    }

    [SkippableTheory]
    [InlineData(0.0)]
    [InlineData(double.PositiveInfinity)]
    public async Task Max_speed_does_not_wait(double speed)
    {
        var t0 = 1_723_161_253_000_000_000L;
        var hour = 3_600_000_000_000L;
        var path = _files.Write("spread.rec.gz", Enumerable.Range(0, 5).Select(i => $"{t0 + i * hour} ws {BookTicker("ETHUSDT", i + 1)}"), gzip: true);
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var sink = new ListSink(time);
        await using var feed = Feed(sink, time, speed, path);
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion.WaitAsync(Bound);

        Assert.Equal(FeedState.Completed, feed.GetStatus().State);
        Assert.Equal(5, sink.Count);
        Assert.Equal(start, time.GetUtcNow());
        Assert.Equal(start.UtcDateTime, feed.GetStatus().CompletedAt);
    }

    [SkippableFact]
    public async Task Malformed_unknown_and_bad_lines_are_counted_and_interrupt_the_symbol()
    {
        var path = _files.Write("faults.rec",
        [
            $"100 ws {BookTicker("BTCUSDT", 1)}",
            """200 ws {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":6,"b":[["100.0","-1.0"]],"a":[]}}""",
            """300 ws {"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT","c":"1"}}""",
            """400 ws {"result":null,"id":1}""",
            "not a line",
            """500 rest:depth:ETHUSDT {"lastUpdateId":7,"bids":[["abc","1.0"]],"asks":[]}""",
            $"600 ws {BookTicker("ETHUSDT", 2)}",
        ], gzip: false);
        var sink = new ListSink();
        await using var feed = Feed(sink, TimeProvider.System, 0, path);
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion.WaitAsync(Bound);

        var status = feed.GetStatus();
        output.WriteLine($"rejected {status.Rejected}, unknown {status.UnknownEvents}, last error: {status.LastError}");
        Assert.Equal(FeedState.Completed, status.State);
        Assert.Equal(7, status.LinesRead);
        Assert.Equal(6, status.MessagesReceived);
        Assert.Equal(3, status.Rejected);     // negative quantity, bad REST body, the line without a timestamp
        Assert.Equal(1, status.UnknownEvents); // miniTicker
        Assert.NotNull(status.LastError);
        var interrupted = sink.Events.Where(e => e.Event is FeedInterrupted).Select(e => e.Instrument.Symbol).ToArray();
        Assert.Equal(["BTCUSDT", "ETHUSDT"], interrupted);
        Assert.Equal(2, sink.Events.Count(e => e.Event is BookTickerEvent));
    }

    [SkippableFact]
    public async Task Snapshot_requests_are_counted_without_raising_an_error()
    {
        var path = _files.Write("one.rec", [$"100 ws {BookTicker("BTCUSDT", 1)}"], gzip: false);
        await using var feed = Feed(new ListSink(), TimeProvider.System, 0, path);
        feed.RequestSnapshot("BTCUSDT", "gap");
        feed.RequestSnapshot("BTCUSDT", "gap");
        var status = feed.GetStatus();
        Assert.Equal(2, status.Resyncs);
        Assert.Null(status.LastError);
        Assert.Equal(FeedState.Stopped, status.State);
    }

    [SkippableFact]
    public async Task An_unreadable_file_fails_the_replay_with_the_reason()
    {
        var missing = _files.FilePath("missing.rec.gz");
        var sink = new ListSink();
        await using var feed = Feed(sink, TimeProvider.System, 0, missing);
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion.WaitAsync(Bound);
        var status = feed.GetStatus();
        Assert.Equal(FeedState.Failed, status.State);
        Assert.Contains("missing.rec.gz", status.LastError, StringComparison.Ordinal);
        Assert.Null(status.CompletedAt);
        Assert.Equal(0, sink.Count);
    }

    [SkippableFact]
    public async Task Dispose_stops_a_paced_replay()
    {
        var path = _files.Write("slow.rec", [$"100 ws {BookTicker("BTCUSDT", 1)}", $"{100 + 3_600_000_000_000L} ws {BookTicker("BTCUSDT", 2)}"], gzip: false);
        var time = new FakeTimeProvider();
        var sink = new ListSink();
        var feed = Feed(sink, time, 1, path);
        await feed.StartAsync(CancellationToken.None);
        await RecordingTestFiles.WaitUntil(() => sink.Count == 1, "the first frame");
        await feed.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(FeedState.Stopped, feed.GetStatus().State);
        Assert.Equal(1, sink.Count);
    }

    [SkippableFact]
    public void Options_are_checked()
    {
        var sink = new ListSink();
        Assert.Throws<ArgumentException>(() => new ReplayFeed(new ReplayOptions(), sink, TimeProvider.System, NullLogger.Instance));
        Assert.Throws<ArgumentOutOfRangeException>(() => Feed(sink, TimeProvider.System, -1, "x.rec"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Feed(sink, TimeProvider.System, double.NaN, "x.rec"));
        Assert.Throws<ArgumentException>(() => new ReplayFeed(new ReplayOptions { Files = ["x.rec"], Exchange = "Bin ance" }, sink, TimeProvider.System, NullLogger.Instance));
    }
}
