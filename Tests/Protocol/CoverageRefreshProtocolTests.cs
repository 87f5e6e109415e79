using System.Net;
using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using Xunit.Abstractions;

namespace MarketData.Tests.Protocol;

/// <summary>
/// Coverage refreshes against a fake Binance whose snapshots are cut off at 8 levels of a deeper book: the price walks
/// beyond the first snapshot's range, refreshes keep the touch verified, the book never leaves synced, and every
/// failure of a refresh (no bridge, HTTP 500, 429, a hang) leaves the served book as it was, counted. Fake time.
/// </summary>
public sealed class CoverageRefreshProtocolTests(ITestOutputHelper output)
{
    private const string Btc = "BTCUSDT";
    private const int Limit = 8;

    /// <summary>Refresh when fewer than 3 verified levels remain; no price-share, periodic or interval test in the way.</summary>
    private static readonly CoverageRefreshRule Rule = new() { WithinLevels = 3, WithinShare = 0, Period = TimeSpan.Zero, MinInterval = TimeSpan.Zero };

    private Task<BinanceFeedHarness> StartAsync(Action<Exchanges.Binance.BinanceFeedOptions>? configure = null, params string[] symbols)
        => BinanceFeedHarness.StartAsync(output, o =>
        {
            o.SnapshotLimit = Limit;
            o.RefreshFetchTimeout = TimeSpan.FromSeconds(5);
            configure?.Invoke(o);
        }, symbols: symbols.Length == 0 ? [Btc] : symbols);

    /// <summary>Emits steps of <paramref name="symbol"/> until its book is synced at the server's last update id.</summary>
    private static Task SyncAsync(BinanceFeedHarness h, string symbol)
        => h.WaitUntilAsync(() => h.IsCaughtUp(symbol), $"{symbol} synced", between: async () => { if (!h.IsCaughtUp(symbol)) await h.Server.EmitAsync(1, symbol); });

    /// <summary>A copy of the whole book, to compare before and after a refresh that must change nothing.</summary>
    private static (PriceLevel[] Bids, PriceLevel[] Asks, long Id, VerifiedRange Range) Copy(OrderBookSynchronizer sync)
    {
        lock (sync)
        {
            var bids = new PriceLevel[sync.Book.BidCount];
            var asks = new PriceLevel[sync.Book.AskCount];
            sync.Book.CopyBids(bids);
            sync.Book.CopyAsks(asks);
            return (bids, asks, sync.Book.LastUpdateId, sync.Verified);
        }
    }

    [Fact]
    public async Task Refreshes_keep_the_touch_verified_as_the_price_walks_past_the_first_snapshot_and_the_book_never_leaves_synced()
    {
        await using var h = await StartAsync();
        await h.WaitConnectedAsync();
        await SyncAsync(h, Btc);
        var sync = h.Book(Btc);
        var first = Copy(sync).Range;
        Assert.True(first.BidBounded, "the 8-level snapshot of a 20-level book is cut off");

        var refreshes = 0;
        for (var step = 0; step < 40; step++)
        {
            await h.Server.WalkAsync(Btc, -1);
            await h.WaitCaughtUpAsync(Btc);
            lock (sync)
            {
                Assert.Equal(BookStatus.Synced, sync.Status);
                Assert.True(sync.Verified.TouchCovered(sync.Book, bids: true), $"step {step}: best bid beyond the verified floor {sync.Verified.BidFloor}");
            }
            await h.AssertVerifiedPartMatchesServerAsync(Btc);

            if (h.CheckCoverage(Btc, Rule) is not { } reason) continue;
            refreshes++;
            output.WriteLine($"step {step}: refresh ({reason})");
            // Diffs keep coming while the snapshot is fetched: the refresh is bridged with them, the book stays synced.
            await h.WaitUntilAsync(() => { lock (sync) return !sync.RefreshOutstanding; }, "refresh merged",
                between: async () => { await h.Server.EmitAsync(1, Btc); lock (sync) Assert.Equal(BookStatus.Synced, sync.Status); });
            await h.WaitCaughtUpAsync(Btc);
            await h.AssertVerifiedPartMatchesServerAsync(Btc);
        }

        var c = sync.Counters;
        output.WriteLine($"refreshes {refreshes}, applied {c.RefreshesApplied}, fills {c.RefreshFills}, corrections {c.RefreshCorrections}, floor {first.BidFloor} -> {sync.Verified.BidFloor}");
        Assert.True(refreshes >= 3, $"{refreshes} refreshes for a 40-tick walk past an 8-level snapshot");
        Assert.Equal(refreshes, c.RefreshesApplied);
        Assert.Equal(0, c.RefreshesDiscarded + c.RefreshesFailed);
        Assert.Equal(0, c.RefreshCorrections);
        Assert.True(c.RefreshFills > 0, "refreshes filled levels the book could not know");
        Assert.Equal(0, c.Resyncs);
        Assert.True(sync.Verified.BidFloor < first.BidFloor, "the verified floor followed the price down");
        var status = h.Feed.GetStatus();
        Assert.Equal((refreshes, refreshes, 0L), (status.CoverageRefreshesRequested, status.CoverageRefreshesFetched, status.CoverageRefreshesFailed));
        Assert.Equal(1 + refreshes, status.SnapshotsFetched);
        Assert.Equal(1, status.Resyncs); // the initial sync only
    }

    [Fact]
    public async Task A_refresh_snapshot_from_a_lagging_replica_does_not_bridge_and_is_discarded_with_the_book_unchanged()
    {
        await using var h = await StartAsync();
        await h.WaitConnectedAsync();
        await SyncAsync(h, Btc);
        h.Server.HoldDepthSnapshot(Btc); // the next depth answer is the book as of now
        await h.Server.EmitAsync(3, Btc);
        await h.WaitCaughtUpAsync(Btc);
        var sync = h.Book(Btc);
        var before = Copy(sync);

        Assert.NotNull(h.CheckCoverage(Btc, Rule with { WithinLevels = 1_000 }));
        await h.WaitUntilAsync(() => { lock (sync) return !sync.RefreshOutstanding; }, "refresh discarded");

        Assert.Equal(1, sync.Counters.RefreshesDiscarded);
        Assert.Equal(0, sync.Counters.RefreshesApplied);
        Assert.Contains("cannot be bridged", sync.LastRefresh, StringComparison.Ordinal);
        var after = Copy(sync);
        Assert.Equal(before.Bids, after.Bids);
        Assert.Equal(before.Asks, after.Asks);
        Assert.Equal(before.Range, after.Range);
        Assert.Equal(BookStatus.Synced, sync.Status);
        await h.AssertVerifiedPartMatchesServerAsync(Btc);
        Assert.Equal(1, h.Feed.GetStatus().CoverageRefreshesFetched);
    }

    public enum Failure { ServerError, RateLimited, Hang }

    [Theory]
    [InlineData(Failure.ServerError)]
    [InlineData(Failure.RateLimited)]
    [InlineData(Failure.Hang)]
    public async Task A_refresh_that_fails_is_counted_tried_once_and_leaves_the_served_book_unchanged(Failure failure)
    {
        await using var h = await StartAsync();
        await h.WaitConnectedAsync();
        await SyncAsync(h, Btc);
        var sync = h.Book(Btc);
        var before = Copy(sync);
        var requests = h.Server.RestRequests;
        switch (failure)
        {
            case Failure.ServerError: h.Server.RestFault = FakeRestFault.ServerError5xx; break;
            case Failure.RateLimited: h.Server.EnqueueRestFault(HttpStatusCode.TooManyRequests, retryAfterSeconds: 30); break;
            case Failure.Hang: h.Server.RestFault = FakeRestFault.Hang; break;
        }

        Assert.True(h.CheckCoverage(Btc, Rule with { WithinLevels = 1_000 }) is not null, $"no refresh begun: {h.Describe()}");
        // A hang ends at the refresh's own timeout, on the fake clock.
        await h.WaitUntilAsync(() => h.Feed.GetStatus().CoverageRefreshesFailed == 1, "refresh failed",
            advance: failure == Failure.Hang ? TimeSpan.FromSeconds(1) : null);
        h.Server.RestFault = FakeRestFault.None;

        var status = h.Feed.GetStatus();
        Assert.True((1L, 0L, 1L) == (status.CoverageRefreshesRequested, status.CoverageRefreshesFetched, status.CoverageRefreshesFailed), h.Describe());
        Assert.True(status.LastError?.Contains("refresh snapshot BTCUSDT", StringComparison.Ordinal) == true, h.Describe());
        Assert.True(requests + 1 == h.Server.RestRequests, $"{h.Server.RestRequests - requests} REST requests for one refresh: {h.Describe()}"); // tried once, not retried
        lock (sync)
        {
            Assert.Equal(BookStatus.Synced, sync.Status);
            Assert.True(sync.RefreshOutstanding); // until the book gives it up (the grain does after Books:RefreshTimeout)
            sync.AbandonRefresh("the feed could not fetch it");
            Assert.Equal(1, sync.Counters.RefreshesFailed);
        }
        var after = Copy(sync);
        Assert.Equal(before.Bids, after.Bids);
        Assert.Equal(before.Asks, after.Asks);
        Assert.Equal(before.Range, after.Range);

        // The book keeps following the market, and a later refresh succeeds.
        if (failure == Failure.RateLimited) h.Time.Advance(TimeSpan.FromSeconds(31));
        await h.Server.EmitAsync(2, Btc);
        await h.WaitCaughtUpAsync(Btc);
        await h.AssertVerifiedPartMatchesServerAsync(Btc);
        Assert.True(h.CheckCoverage(Btc, Rule with { WithinLevels = 1_000 }) is not null, $"no second refresh begun: {h.Describe()}");
        await h.WaitUntilAsync(() => { lock (sync) return !sync.RefreshOutstanding; }, "second refresh merged");
        Assert.True(sync.Counters.RefreshesApplied == 1, $"second refresh: {sync.LastRefresh}; {h.Describe()}");
    }

    [Fact]
    public async Task A_resync_is_fetched_before_a_waiting_refresh_and_takes_the_place_of_its_own_symbols_refresh()
    {
        // A refresh may spend up to 10 of 250 weight a minute: after the two initial snapshots (5 each) it waits for the next minute, while resyncs go ahead.
        await using var h = await StartAsync(o => { o.RestWeightLimitPerMinute = 250; o.RefreshBudgetShare = 0.04; }, Btc, "ETHUSDT");
        await h.WaitConnectedAsync();
        await SyncAsync(h, Btc);
        await SyncAsync(h, "ETHUSDT");
        var btc = h.Book(Btc);
        var eth = h.Book("ETHUSDT");

        Assert.NotNull(h.CheckCoverage(Btc, Rule with { WithinLevels = 1_000 }));
        Assert.NotNull(h.CheckCoverage("ETHUSDT", Rule with { WithinLevels = 1_000 }));
        // ETHUSDT loses a diff: its resync goes ahead of both waiting refreshes.
        h.Server.SkipNextDiffs("ETHUSDT");
        await h.Server.EmitAsync(2, "ETHUSDT");
        await h.WaitUntilAsync(() => h.IsCaughtUp("ETHUSDT"), "ETHUSDT resynced", between: () => h.Server.EmitAsync(1, "ETHUSDT"));
        lock (eth)
        {
            Assert.Equal(1, eth.Counters.Resyncs);
            Assert.Equal(1, eth.Counters.RefreshesDiscarded); // its refresh was superseded by the resync
        }
        Assert.Equal(0, h.Feed.GetStatus().CoverageRefreshesFetched);
        lock (btc) Assert.True(btc.RefreshOutstanding);

        // The next minute brings the headroom: BTCUSDT's refresh is fetched and merged.
        await h.WaitUntilAsync(() => { lock (btc) return btc.Counters.RefreshesApplied == 1; }, "BTCUSDT refresh merged",
            advance: TimeSpan.FromSeconds(5), between: () => h.Server.EmitAsync(1, Btc));
        lock (btc) Assert.Equal(BookStatus.Synced, btc.Status);
        await h.WaitCaughtUpAsync(Btc);
        await h.AssertVerifiedPartMatchesServerAsync(Btc);
    }
}
