using System.Net;
using MarketData.Books;
using MarketData.Feeds;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using Xunit.Abstractions;

namespace MarketData.Tests.Protocol;

/// <summary>
/// The live Binance feed against a fake Binance speaking the real protocol, with a synchronizer per symbol
/// fed from the sink. Each fault must end with books equal to the server's, nothing crashed, and counters
/// showing what happened.
/// </summary>
public sealed class BinanceSpotFeedProtocolTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Syncs_books_from_diffs_and_requested_snapshots()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output);
        await h.WaitConnectedAsync();
        var connection = h.Server.Connections[0];
        Assert.Contains("btcusdt@depth@100ms", connection.Streams);
        Assert.Contains("ethusdt@ticker", connection.Streams);
        Assert.Equal(10, connection.Streams.Count);

        await h.Server.EmitAsync(30);
        await h.AssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        Assert.Equal(FeedState.Connected, status.State);
        Assert.Equal("binance-spot", status.Kind);
        Assert.Equal(2, status.SnapshotsFetched);  // one per book, asked for by the book on its first diff
        Assert.Equal(2, status.Resyncs);
        Assert.Equal(0, status.Rejected);
        Assert.Equal(1, status.Connections);
        Assert.Equal(100, status.RestWeightUsed);   // two snapshots of limit 1000 at weight 50, as the server reported
        Assert.True(status.MessagesReceived > 60);
        foreach (var symbol in h.Symbols)
        {
            var events = h.Sink.EventsOf(BinanceFeedHarness.Instrument(symbol));
            Assert.Contains(events, e => e is TradeEvent { IsAggregate: false });
            Assert.Contains(events, e => e is TradeEvent { IsAggregate: true });
            Assert.Contains(events, e => e is BookTickerEvent);
            Assert.Contains(events, e => e is TickerEvent);
            Assert.Single(events.OfType<DepthSnapshot>());
            h.AssertNoDuplicates(symbol);
            h.AssertContiguous(symbol);
            Assert.True(h.AssertStreamsAgree(symbol) > 0);
        }
    }

    [Fact]
    public async Task Disconnect_mid_stream_interrupts_reconnects_with_backoff_and_resyncs()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        h.Server.AbortAllConnections();
        await h.WaitUntilAsync(() => h.Symbols.All(s => h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument(s)).Count == 1), "interruptions published");
        await h.WaitUntilAsync(() => h.Feed.GetStatus().State == FeedState.Reconnecting, "state reconnecting");
        Assert.All(h.Symbols, s => Assert.Equal(BookStatus.Stale, h.Book(s).Status));

        // The market moves on while we are away; the backoff delay runs on fake time.
        await h.Server.EmitAsync(5);
        await h.WaitUntilAsync(() => h.Server.OpenConnections == 1 && h.Server.ConnectionsAccepted == 2, "reconnected", advance: Second);
        await h.AssertBooksMatchServerAsync(advance: TimeSpan.FromMilliseconds(100));

        var status = h.Feed.GetStatus();
        Assert.Equal(1, status.Reconnects);
        Assert.Equal(FeedState.Connected, status.State);
        Assert.Equal(4, status.SnapshotsFetched); // initial two, then one per book after the gap the outage caused
        Assert.All(h.Symbols, s => Assert.True(h.Book(s).Counters.Gaps >= 1));
        Assert.All(h.Symbols, h.AssertNoDuplicates);
        Assert.Contains("connection lost", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sequence_gap_makes_the_book_resync_from_a_new_snapshot()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        h.Server.SkipNextDiffs("BTCUSDT", 2);
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        Assert.Equal(1, h.Book("BTCUSDT").Counters.Gaps);
        Assert.Equal(0, h.Book("ETHUSDT").Counters.Gaps);
        var status = h.Feed.GetStatus();
        Assert.Equal(3, status.Resyncs);
        Assert.Equal(3, status.SnapshotsFetched);
        Assert.Equal(0, status.Reconnects);
    }

    [Fact]
    public async Task Rest_429_then_418_block_all_rest_until_retry_after_then_books_sync()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, beforeStart: server =>
        {
            server.EnqueueRestFault(HttpStatusCode.TooManyRequests, retryAfterSeconds: 5);
            server.EnqueueRestFault((HttpStatusCode)418, retryAfterSeconds: 30);
        });
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(5);

        await h.WaitUntilAsync(() => h.Feed.GetStatus().RateLimitHits == 1, "first refusal");
        var blocked = h.Feed.GetStatus();
        Assert.Equal(FeedState.Degraded, blocked.State);
        Assert.Equal(h.Time.GetUtcNow().UtcDateTime.AddSeconds(5), blocked.RestBlockedUntil);
        Assert.Equal(1, h.Server.RestRequests);
        // While blocked, nothing is sent however much the books wait.
        await h.Server.EmitAsync(3);
        Assert.Equal(1, h.Server.RestRequests);

        await h.WaitUntilAsync(() => h.Feed.GetStatus().RateLimitHits == 2, "ban", advance: Second);
        Assert.Equal(2, h.Server.RestRequests);
        Assert.Equal(FeedState.Degraded, h.Feed.GetStatus().State);

        await h.AssertBooksMatchServerAsync(advance: Second);
        var status = h.Feed.GetStatus();
        Assert.Equal(4, h.Server.RestRequests);  // no request was spent while blocked
        Assert.Equal(2, status.SnapshotsFetched);
        Assert.Equal(FeedState.Connected, status.State);
        Assert.Null(status.RestBlockedUntil);
    }

    [Fact]
    public async Task Malformed_frames_are_rejected_counted_and_interrupt_only_their_book()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        foreach (var kind in new[] { MalformedFrame.BadJson, MalformedFrame.Truncated, MalformedFrame.NonNumericQuantity, MalformedFrame.NegativeQuantity })
            await h.Server.SendMalformedAsync("BTCUSDT", kind);
        await h.Server.SendMalformedAsync("BTCUSDT", MalformedFrame.UnknownEventType);
        await h.WaitUntilAsync(() => h.Feed.GetStatus() is { Rejected: 4, UnknownEvents: 1 }, "rejections counted");

        var btc = BinanceFeedHarness.Instrument("BTCUSDT");
        Assert.Equal(4, h.Sink.EventsOf<FeedInterrupted>(btc).Count);
        Assert.Empty(h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument("ETHUSDT")));
        Assert.Equal(BookStatus.Stale, h.Book("BTCUSDT").Status);
        Assert.Equal(BookStatus.Synced, h.Book("ETHUSDT").Status);

        await h.Server.EmitAsync(5);
        await h.AssertBooksMatchServerAsync();
        var status = h.Feed.GetStatus();
        Assert.Equal(1, h.Server.ConnectionsAccepted); // the connection survived
        Assert.Equal(0, status.Reconnects);
        Assert.NotNull(status.LastError);
    }

    [Fact]
    public async Task Planned_handover_before_the_24h_cutoff_loses_and_duplicates_nothing()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, o => o.HandoverTimeout = TimeSpan.FromMinutes(5));
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        h.Time.Advance(TimeSpan.FromHours(23.5));
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 2, "replacement connected");
        var old = h.Server.Connections[0];
        // Both connections now receive the same events; the feed forwards each once and closes the old one itself.
        await h.WaitUntilAsync(() => old.Closed != FakeCloseKind.Open, "old connection closed", between: () => h.Server.EmitAsync(1));
        Assert.Equal(FakeCloseKind.ClosedByClient, old.Closed);

        h.Time.Advance(TimeSpan.FromHours(1)); // past the old connection's 24 h mark: nothing happens to the new one
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        Assert.Equal(1, status.Handovers);
        Assert.Equal(0, status.Reconnects);
        Assert.Equal(2, status.SnapshotsFetched);  // no resync was needed
        Assert.True(status.DuplicatesDropped > 0, "duplicates from the overlap are dropped and counted");
        Assert.Equal(0, status.Dropped);
        Assert.Equal(1, h.Server.OpenConnections);
        Assert.Equal(1, status.Connections);
        foreach (var symbol in h.Symbols)
        {
            Assert.Equal(0, h.Book(symbol).Counters.Gaps);
            Assert.Empty(h.Sink.EventsOf<FeedInterrupted>(BinanceFeedHarness.Instrument(symbol)));
            h.AssertNoDuplicates(symbol);
            h.AssertContiguous(symbol);
        }
    }

    [Fact]
    public async Task Server_shutdown_notice_triggers_a_seamless_replacement()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output);
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();

        await h.Server.SendServerShutdownAsync();
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 2, "replacement connected");
        var old = h.Server.Connections[0];
        await h.WaitUntilAsync(() => old.Closed != FakeCloseKind.Open, "old connection closed", between: () => h.Server.EmitAsync(1));
        Assert.Equal(FakeCloseKind.ClosedByClient, old.Closed);
        await h.AssertBooksMatchServerAsync();

        Assert.Equal(1, h.Feed.GetStatus().Handovers);
        foreach (var symbol in h.Symbols)
        {
            Assert.Equal(0, h.Book(symbol).Counters.Gaps);
            h.AssertNoDuplicates(symbol);
            h.AssertContiguous(symbol);
        }
    }

    [Fact]
    public async Task Server_cutoff_without_handover_is_a_reconnect_with_interruption()
    {
        // Lifetime set just below the cut-off but the server cuts at 1 h: the feed sees an ordinary loss.
        await using var h = await BinanceFeedHarness.StartAsync(output);
        h.Server.ConnectionMaxAge = TimeSpan.FromHours(1); // applies to connections accepted from now on
        await h.WaitConnectedAsync();
        h.Server.AbortAllConnections();
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 2 && h.Server.OpenConnections == 1, "reconnected", advance: Second);
        await h.Server.EmitAsync(5);
        await h.AssertBooksMatchServerAsync();

        h.Time.Advance(TimeSpan.FromHours(1));
        await h.WaitUntilAsync(() => h.Server.Connections[1].Closed == FakeCloseKind.ClosedByServer, "server cut-off");
        await h.WaitUntilAsync(() => h.Server.ConnectionsAccepted == 3 && h.Server.OpenConnections == 1, "reconnected again", advance: Second);
        await h.AssertBooksMatchServerAsync(advance: TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, h.Feed.GetStatus().Reconnects);
    }

    [Fact]
    public async Task Quiet_symbols_get_heartbeats_while_connected()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, o => o.HeartbeatInterval = TimeSpan.FromSeconds(5));
        await h.WaitConnectedAsync();
        h.Time.Advance(TimeSpan.FromSeconds(5));
        await h.WaitUntilAsync(() => h.Symbols.All(s => h.Sink.EventsOf<FeedHeartbeat>(BinanceFeedHarness.Instrument(s)).Count >= 1), "heartbeats");
        var before = h.Sink.EventsOf<FeedHeartbeat>(BinanceFeedHarness.Instrument("BTCUSDT")).Count;

        // A symbol that just published is not quiet: no heartbeat for it at the next tick.
        h.Time.Advance(TimeSpan.FromSeconds(3));
        await h.Server.EmitAsync(1, onlySymbol: "BTCUSDT");
        await h.WaitUntilAsync(() => h.Sink.EventsOf<DepthDiff>(BinanceFeedHarness.Instrument("BTCUSDT")).Count == 1, "diff");
        h.Time.Advance(TimeSpan.FromSeconds(2));
        await h.WaitUntilAsync(() => h.Sink.EventsOf<FeedHeartbeat>(BinanceFeedHarness.Instrument("ETHUSDT")).Count >= 2, "second heartbeat for the quiet symbol");
        Assert.Equal(before, h.Sink.EventsOf<FeedHeartbeat>(BinanceFeedHarness.Instrument("BTCUSDT")).Count);
    }

    [Fact]
    public async Task An_open_socket_that_delivers_nothing_gets_no_heartbeats_so_books_go_stale()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, o => o.HeartbeatInterval = TimeSpan.FromSeconds(5));
        await h.WaitConnectedAsync();
        await h.Server.EmitAsync(5);
        await h.AssertBooksMatchServerAsync();
        var eth = BinanceFeedHarness.Instrument("ETHUSDT");
        h.Time.Advance(TimeSpan.FromSeconds(5));
        await h.WaitUntilAsync(() => h.Sink.EventsOf<FeedHeartbeat>(eth).Count >= 1, "heartbeat while frames flow");
        var before = h.Sink.EventsOf<FeedHeartbeat>(eth).Count;

        // The stream stalls: the socket stays open, nothing arrives. Heartbeats stop vouching for the book.
        for (var i = 0; i < 4; i++) h.Time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(200); // let any (wrong) heartbeat reach the sink
        Assert.Equal(1, h.Server.OpenConnections);
        Assert.Equal(before, h.Sink.EventsOf<FeedHeartbeat>(eth).Count);
    }

    [Fact]
    public async Task Symbols_are_sharded_over_connections_by_stream_count()
    {
        await using var h = await BinanceFeedHarness.StartAsync(output, o => o.MaxStreamsPerConnection = 5,
            symbols: ["BTCUSDT", "ETHUSDT", "BNBUSDT"]);
        Assert.Equal(3, h.Feed.ConnectionUris.Count);
        await h.WaitUntilAsync(() => h.Server.OpenConnections == 3, "three connections");
        Assert.All(h.Server.Connections, c => Assert.Equal(5, c.Streams.Count));
        await h.Server.EmitAsync(10);
        await h.AssertBooksMatchServerAsync();
        Assert.Equal(3, h.Feed.GetStatus().Connections);
    }
}
