using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace MarketData.Tests.Protocol;

/// <summary>
/// <c>--record</c> then <c>--replay</c>: a live session against the fake exchange, with a fault in the middle,
/// is recorded; replaying the recording must publish the same events and rebuild the same books.
/// </summary>
public sealed class RecordAndReplayRoundTripTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("md-record-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_recorded_live_session_replays_to_the_same_events_and_books()
    {
        var recorder = new FileFrameRecorder(_directory, "binance", TimeProvider.System, NullLogger.Instance);
        RecordingSink live;
        await using (var h = await BinanceFeedHarness.StartAsync(output, recorder: recorder))
        {
            await h.WaitConnectedAsync();
            await h.Server.EmitAsync(20);
            await h.AssertBooksMatchServerAsync();
            h.Server.SkipNextDiffs("BTCUSDT", 2); // a gap: the book resyncs from a second REST snapshot
            await h.Server.EmitAsync(20);
            await h.AssertBooksMatchServerAsync();
            live = h.Sink;
        }
        await recorder.DisposeAsync();
        Assert.Equal(0, recorder.DroppedRecords);
        var files = Directory.GetFiles(_directory, "*.rec.gz");
        Assert.Single(files);

        var replayed = new ListSink();
        await using (var replay = new ReplayFeed(new ReplayOptions { Files = [.. files], Speed = 0 }, replayed, TimeProvider.System, NullLogger.Instance))
        {
            await replay.StartAsync(CancellationToken.None);
            await replay.Completion;
            var status = replay.GetStatus();
            Assert.Equal(FeedState.Completed, status.State);
            Assert.Equal(0, status.Rejected);
        }

        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
        {
            var instrument = BinanceFeedHarness.Instrument(symbol);
            // Market data, without the feed's own liveness events (heartbeats are not in the recording). Each kind
            // keeps its order; a REST snapshot may land a frame earlier or later relative to the stream frames,
            // since it is recorded when its body arrives and published when it is parsed (the book copes either way).
            foreach (var kind in new[] { typeof(DepthDiff), typeof(DepthSnapshot), typeof(TradeEvent), typeof(BookTickerEvent), typeof(TickerEvent) })
            {
                var expected = live.EventsOf(instrument).Where(e => e.GetType() == kind).Select(Key).ToArray();
                var actual = replayed.Events.Where(e => e.Instrument == instrument && e.Event.GetType() == kind).Select(e => Key(e.Event)).ToArray();
                Assert.True(expected.Length > 0 || kind == typeof(TickerEvent), $"{symbol}: no {kind.Name} recorded");
                Assert.Equal(expected, actual);
            }
            Assert.True(live.EventsOf(instrument).OfType<DepthDiff>().Count() >= 30, $"{symbol}: too few diffs recorded");

            var liveBook = Rebuild(live.EventsOf(instrument));
            var replayBook = Rebuild(replayed.Events.Where(e => e.Instrument == instrument).Select(e => e.Event));
            Assert.Equal(BookStatus.Synced, replayBook.Status);
            Assert.Equal(liveBook.Book.LastUpdateId, replayBook.Book.LastUpdateId);
            Assert.Equal(Levels(liveBook.Book), Levels(replayBook.Book));
        }
    }

    /// <summary>What identifies an event (record equality would compare level arrays by reference).</summary>
    private static string Key(MarketEvent e) => e switch
    {
        DepthDiff d => $"diff {d.FirstUpdateId}-{d.FinalUpdateId} {string.Join(',', d.Bids)} | {string.Join(',', d.Asks)}",
        DepthSnapshot s => $"snapshot {s.LastUpdateId} {s.Bids.Length}/{s.Asks.Length}",
        _ => (e with { ReceivedAt = default }).ToString(),
    };

    private static OrderBookSynchronizer Rebuild(IEnumerable<MarketEvent> events)
    {
        var sync = new OrderBookSynchronizer();
        foreach (var e in events)
        {
            if (e is DepthDiff diff) sync.OnDiff(diff);
            else if (e is DepthSnapshot snapshot) sync.OnSnapshot(snapshot);
        }
        return sync;
    }

    private static PriceLevel[] Levels(OrderBook book)
    {
        var levels = new PriceLevel[book.BidCount + book.AskCount];
        var n = book.CopyBids(levels);
        book.CopyAsks(levels.AsSpan(n));
        return levels;
    }
}
