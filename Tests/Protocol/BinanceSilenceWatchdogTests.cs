using MarketData.Books;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using Xunit.Abstractions;

namespace MarketData.Tests.Protocol;

/// <summary>
/// The silence watchdog against a fake Binance whose front end stalls: connections that stay open, whose WebSocket layer
/// keeps answering pings, but that deliver no frame. Silence is judged per connection on the fake clock, which the tests
/// step; the watchdog runs inside the step, so a count read right after it is exact.
/// </summary>
public sealed class BinanceSilenceWatchdogTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static void Watchdog(MarketData.Exchanges.Binance.BinanceFeedOptions o)
    {
        o.SilenceTimeout = Limit;             // the default streams carry ticker: the scheduled limit applies
        o.EventOnlySilenceTimeout = TimeSpan.FromSeconds(20);
        o.KeepAliveInterval = TimeSpan.FromMilliseconds(100); // pings go out all along (real time) and are answered
    }

    [Fact]
    public async Task A_connection_that_stalls_while_answering_pings_is_replaced_at_the_limit_and_the_books_resync()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, Watchdog);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();
        var stalled = h.Server.Connections[0];

        h.Server.Stall();
        await h.WaitDeliveredAsync(); // the last frame arrived at this fake instant
        await h.Server.EmitAsync(5);  // the market moves on; the stalled connection hears none of it

        h.Time.Advance(Limit - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Feed.GetStatus().SilentReplacements);
        Assert.Equal(1, h.Server.ConnectionsAccepted);
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var found = h.Feed.GetStatus();
        Assert.Equal(1, found.SilentReplacements);
        Assert.Contains("silent", found.LastError, StringComparison.Ordinal);
        Assert.Contains("no frame for 10 s", found.LastError, StringComparison.Ordinal);
        foreach (var symbol in h.Symbols)
        {
            var interruption = Assert.Single(h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument(symbol)));
            Assert.Equal("connection silent: no frame for 10 s", interruption.Reason);
            Assert.Equal(BookStatus.Stale, h.Book(symbol).Status);
        }

        // The clock stands still from here, so the handover timeout cannot end the handover: each symbol switches on
        // the replacement's first event for it, and then the stalled connection is closed by the feed.
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 2, "replacement connected");
        await h.WaitUntilAsync(() => stalled.Closed != FakeCloseKind.Open, "stalled connection closed", between: () => h.Server.EmitAsync(1));
        Assert.Equal(FakeCloseKind.ClosedByClient, stalled.Closed); // open to the end: keep-alive never saw a problem
        await h.AssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        Assert.Equal(1, status.SilentReplacements);
        Assert.Equal(0, status.Reconnects);
        Assert.Equal(0, status.Handovers); // planned ones only
        Assert.Equal(1, status.Connections);
        Assert.Equal(1, h.Server.OpenConnections);
        Assert.Equal(4, status.SnapshotsFetched); // each book saw the steps it missed as a gap and resynced once
        foreach (var symbol in h.Symbols)
        {
            Assert.Equal(1, h.Book(symbol).Counters.Gaps);
            h.AssertNoDuplicates(symbol);
        }
    }

    [Fact]
    public async Task A_silent_connection_whose_data_continues_on_the_replacement_bridges_without_a_resync()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, Watchdog);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        h.Server.Stall(); // the market does not move while the connection is silent: nothing is missed
        await h.WaitDeliveredAsync();
        h.Time.Advance(Limit);
        Assert.Equal(1, h.Feed.GetStatus().SilentReplacements);
        await h.WaitUntilAsync(() => h.Feed.GetStatus().Connections == 2, "replacement connected");
        await h.WaitUntilAsync(() => h.Server.Connections[0].Closed != FakeCloseKind.Open, "silent connection closed", between: () => h.Server.EmitAsync(1));
        await h.AssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        Assert.Equal(2, status.SnapshotsFetched); // the initial ones only
        Assert.Equal(0, status.Reconnects);
        foreach (var symbol in h.Symbols)
        {
            Assert.Equal(0, h.Book(symbol).Counters.Gaps);
            h.AssertNoDuplicates(symbol);
            h.AssertContiguous(symbol);
        }
    }

    [Fact]
    public async Task A_replacement_lost_after_some_symbols_switched_to_it_hands_them_back_and_their_books_recover()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, Watchdog);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();
        var old = h.Server.Connections[0];

        h.Server.Stall();
        await h.WaitDeliveredAsync();
        h.Time.Advance(Limit);
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 2 && h.Feed.GetStatus().Connections == 2, "replacement connected");
        // Only BTCUSDT moves: it switches to the replacement on its first event there; ETHUSDT stays pending.
        await h.WaitUntilAsync(() => h.IsCaughtUp("BTCUSDT") && h.Book("BTCUSDT").Book.LastUpdateId > 1_010, "BTCUSDT on the replacement",
            between: () => h.Server.EmitAsync(1, "BTCUSDT"));

        // The replacement dies before the handover completes.
        await h.Server.CloseConnectionAsync(h.Server.Connections[1]);
        // The shard's loop hands BTCUSDT back when it handles the loss: its book hears of the interruption.
        await h.WaitUntilAsync(() => h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument("BTCUSDT"))
            .Any(i => i.Reason.Contains("replacement connection lost", StringComparison.Ordinal)), "BTCUSDT handed back with an interruption");
        await h.WaitUntilAsync(() => h.Feed.GetStatus().Connections == 1, "replacement gone");
        lock (h.Book("BTCUSDT")) Assert.Equal(BookStatus.Stale, h.Book("BTCUSDT").Status);

        // The old connection speaks again: BTCUSDT is its symbol once more (not stranded on the dead replacement), and
        // both books follow the market.
        h.Server.EndStall();
        await h.AssertBooksMatchServerAsync();
        Assert.Equal(FakeCloseKind.Open, old.Closed);
        foreach (var symbol in h.Symbols) h.AssertNoDuplicates(symbol);
    }

    [Fact]
    public async Task A_quiet_symbol_beside_a_busy_one_never_makes_the_connection_silent()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, Watchdog);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10, onlySymbol: "BTCUSDT");
        await h.WaitDeliveredAsync();

        // Six limits long, ETHUSDT gets nothing at all (no diff, no trade, no ticker) while BTCUSDT trades every second.
        for (var i = 0; i < 6 * Limit.TotalSeconds; i++)
        {
            h.Time.Advance(Second);
            await h.Server.EmitAsync(1, onlySymbol: "BTCUSDT");
            await h.WaitDeliveredAsync();
        }
        var status = h.Feed.GetStatus();
        Assert.Equal(0, status.SilentReplacements);
        Assert.Equal(1, h.Server.ConnectionsAccepted);
        Assert.Empty(h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument("ETHUSDT")));
        Assert.Empty(h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument("BTCUSDT")));

        // The control: once the busy symbol goes quiet too, the connection is silent and is replaced at the limit.
        h.Time.Advance(Limit - Second);
        Assert.Equal(0, h.Feed.GetStatus().SilentReplacements);
        h.Time.Advance(Second);
        Assert.Equal(1, h.Feed.GetStatus().SilentReplacements);
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 2, "replacement connected");
    }

    [Fact]
    public async Task An_exchange_silent_for_everyone_is_retried_at_doubling_intervals_until_a_frame_resets_them()
    {
        var handoverTimeout = TimeSpan.FromSeconds(5);
        await using var h = await BinanceFeedHarness.StartAsync(output, o =>
        {
            Watchdog(o);
            o.HandoverTimeout = handoverTimeout;
        });
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        h.Server.Stall(newConnectionsToo: true);
        await h.WaitDeliveredAsync();
        var found = new List<DateTimeOffset> { h.Time.GetUtcNow() };
        for (var k = 1; k <= 5; k++)
        {
            await h.WaitUntilAsync(() => h.Feed.GetStatus().SilentReplacements == k, $"silent replacement {k}", advance: Second);
            found.Add(h.Time.GetUtcNow());
            // The replacement is as silent as the rest; it takes over when the handover times out.
            await h.WaitUntilAsync(() => h.Feed.GetStatus().Connections == 2, $"replacement {k} connected");
            h.Time.Advance(handoverTimeout);
            await h.WaitUntilAsync(() => h.Feed.GetStatus().Connections == 1 && h.Server.OpenConnections == 1, $"replacement {k} took over");
        }
        double[] doubling = [10, 20, 40, 80, 80]; // from the limit, capped at 8 times it
        Assert.Equal(doubling, found.Zip(found.Skip(1), (a, b) => (b - a).TotalSeconds));
        Assert.Equal(6, h.Server.ConnectionsAccepted);

        // A frame ends the series: the next silence is judged by the plain limit again.
        h.Server.EndStall();
        await h.AssertBooksMatchServerAsync();
        h.Server.Stall();
        await h.WaitDeliveredAsync();
        h.Time.Advance(Limit - Second);
        Assert.Equal(5, h.Feed.GetStatus().SilentReplacements);
        h.Time.Advance(Second);
        Assert.Equal(6, h.Feed.GetStatus().SilentReplacements);

        var status = h.Feed.GetStatus();
        Assert.Equal(0, status.Reconnects);
        Assert.Equal(0, status.Handovers);
    }
}
