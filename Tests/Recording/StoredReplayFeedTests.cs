using System.Runtime.CompilerServices;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Recording;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MarketData.Tests.Recording;

public class StoredReplayFeedTests
{
    private static readonly Instrument Btc = new("binance", "BTCUSDT");
    private static readonly DateTimeOffset From = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private sealed class Stored(IEnumerable<StoredMarketEvent> events, Exception? failAfter = null) : IStoredMarketData
    {
        public (long From, long To)? Asked { get; private set; }

        public async IAsyncEnumerable<StoredMarketEvent> ReadAsync(long fromMs, long toMs, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Asked = (fromMs, toMs);
            foreach (var e in events)
            {
                await Task.Yield();
                yield return e;
            }
            if (failAfter is not null) throw failAfter;
        }
    }

    private static StoredMarketEvent Trade(long time, long id) => new(Btc, time, new TradeEvent { TradeId = id, TradeTime = time, EventTime = time, Price = 1, Quantity = 1 });

    private static ReplayOptions Options(double speed = 0) => new() { FeedId = "replay-db", DatabaseFrom = From, DatabaseTo = From.AddHours(1), Speed = speed };

    [Fact]
    public async Task Stored_events_are_published_in_order_and_the_feed_completes()
    {
        var source = new Stored([Trade(From.ToUnixTimeMilliseconds() + 1, 1), Trade(From.ToUnixTimeMilliseconds() + 2, 2)]);
        var sink = new ListSink();
        await using var feed = new StoredReplayFeed(Options(), source, sink, TimeProvider.System, NullLogger.Instance);
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion;
        Assert.Equal([1L, 2L], sink.Events.Select(e => ((TradeEvent)e.Event).TradeId));
        Assert.Equal((From.ToUnixTimeMilliseconds(), From.AddHours(1).ToUnixTimeMilliseconds()), source.Asked);
        var status = feed.GetStatus();
        Assert.Equal(FeedState.Completed, status.State);
        Assert.Equal(2, status.EventsPublished);
        Assert.Equal(["BTCUSDT"], status.Symbols);
    }

    [Fact]
    public async Task Events_are_paced_by_their_stored_times()
    {
        var time = new FakeTimeProvider(From);
        var t0 = From.ToUnixTimeMilliseconds();
        var sink = new ListSink(time);
        await using var feed = new StoredReplayFeed(Options(speed: 2), new Stored([Trade(t0, 1), Trade(t0 + 10_000, 2)]), sink, time, NullLogger.Instance);
        await feed.StartAsync(CancellationToken.None);
        await Eventually.WaitAsync(() => Task.FromResult(sink.Count), c => c == 1, "first event");
        time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(50);
        Assert.Equal(1, sink.Count);                 // 10 s of data at speed 2 is due after 5 s
        time.Advance(TimeSpan.FromSeconds(1));
        await feed.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, sink.Count);
    }

    [Fact]
    public async Task A_database_failure_is_reported_on_the_status_and_a_full_sink_counts_drops()
    {
        var sink = new ListSink { Accepting = false };
        await using var feed = new StoredReplayFeed(Options(), new Stored([Trade(From.ToUnixTimeMilliseconds(), 1)], new InvalidOperationException("connection refused")),
            sink, TimeProvider.System, NullLogger.Instance);
        await feed.StartAsync(CancellationToken.None);
        await feed.Completion;
        var status = feed.GetStatus();
        Assert.Equal(FeedState.Failed, status.State);
        Assert.Contains("connection refused", status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, status.Dropped);
    }

    [Fact]
    public void A_replay_without_a_proper_window_is_refused()
    {
        var sink = new ListSink();
        Assert.Throws<ArgumentException>(() => new StoredReplayFeed(new ReplayOptions { DatabaseFrom = From }, new Stored([]), sink, TimeProvider.System, NullLogger.Instance));
        Assert.Throws<ArgumentException>(() => new StoredReplayFeed(new ReplayOptions { DatabaseFrom = From, DatabaseTo = From }, new Stored([]), sink, TimeProvider.System, NullLogger.Instance));
    }
}
