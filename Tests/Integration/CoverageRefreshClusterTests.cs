using MarketData.Books;
using MarketData.Client;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Tests.Fakes;
using Orleans.TestingHost;

namespace MarketData.Tests.Integration;

/// <summary>
/// Coverage refreshes through the grains: a silo whose Binance snapshots are cut off at 8 levels of the fake's deeper
/// book. As the fake's price walks down past the first snapshot, the book grain asks its feed grain for refreshes,
/// the feed fetches them behind resyncs, and the book merges them from the depth stream without leaving synced.
/// </summary>
public sealed class CoverageRefreshClusterTests : IAsyncLifetime
{
    private static readonly Instrument Btc = new("binance", "BTCUSDT");
    private FakeBinanceServer _server = null!;
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeBinanceServer.StartAsync(TimeProvider.System, seed: 11, Btc.Symbol);
        _cluster = await TestClusters.StartAsync(new Dictionary<string, string?>
        {
            ["Feeds:Binance:RestBaseUrl"] = _server.RestBaseUrl.ToString(),
            ["Feeds:Binance:WebSocketBaseUrl"] = _server.WebSocketBaseUrl.ToString(),
            ["Feeds:Binance:Symbols:0"] = Btc.Symbol,
            ["Feeds:Binance:SnapshotLimit"] = "8",
            ["Feeds:Binance:SnapshotStagger"] = "00:00:00",
            ["Feeds:Binance:HeartbeatInterval"] = "00:00:00.500",
            ["Feeds:Mexc:Enabled"] = "false",
            ["Books:StaleAfter"] = "00:10:00",
            ["Books:CheckInterval"] = "00:00:00.100",
            ["Books:RefreshWithinLevels"] = "3",
            ["Books:RefreshWithinShare"] = "0",
            ["Books:RefreshPeriod"] = "00:00:00",
            ["Books:RefreshMinInterval"] = "00:00:00",
        });
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_book_grain_refreshes_its_coverage_through_its_feed_as_the_price_walks_and_never_leaves_synced()
    {
        var client = new MarketDataClient(_cluster.Client);
        await Eventually.WaitAsync(async () =>
        {
            var health = await client.GetBookHealthAsync(Btc);
            if (health.Status != BookStatus.Synced || health.LastUpdateId != _server.Market(Btc.Symbol).LastUpdateId) await _server.EmitAsync(1);
            return health;
        }, h => h.Status == BookStatus.Synced && h.LastUpdateId == _server.Market(Btc.Symbol).LastUpdateId, "BTCUSDT synced");
        var first = (await client.GetBookAsync(Btc, 20)).VerifiedBidFloor;
        Assert.NotNull(first);

        for (var step = 0; step < 30; step++)
        {
            await _server.WalkAsync(Btc.Symbol, -1);
            var id = _server.Market(Btc.Symbol).LastUpdateId;
            var view = await Eventually.WaitAsync(() => client.GetBookAsync(Btc, 20), v => v.LastUpdateId == id, $"step {step}: book at {id}");
            Assert.Equal(BookStatus.Synced, view.Status);
            Assert.True(view.BestBid!.Value.Price >= view.VerifiedBidFloor, $"step {step}: best bid {view.BestBid.Value.Price} below the floor {view.VerifiedBidFloor}");
            var server = await _server.BookAsync(Btc.Symbol);
            Assert.Equal(server.Bids.Take(view.Bids.Count - view.BidsBeyondVerified).Select(Level), view.Bids.Take(view.Bids.Count - view.BidsBeyondVerified));

            // The grain's check asks once fewer than 3 verified bids are left: wait for that refresh before walking on.
            if (view.Bids.Count - view.BidsBeyondVerified < 3)
            {
                await Eventually.WaitAsync(async () =>
                {
                    var v = await client.GetBookAsync(Btc, 20);
                    if (v.Bids.Count - v.BidsBeyondVerified < 3) await _server.EmitAsync(1); // diffs keep coming meanwhile
                    return v;
                }, v => v.Bids.Count - v.BidsBeyondVerified >= 3 && v.Status == BookStatus.Synced, $"step {step}: coverage refreshed");
            }
        }

        var health = await client.GetBookHealthAsync(Btc);
        Assert.True(health.RefreshesApplied >= 3, $"{health.RefreshesApplied} refreshes applied ({health.LastRefresh})");
        Assert.Equal(0, health.RefreshesDiscarded + health.RefreshesFailed + health.RefreshCorrections);
        Assert.Equal(0, health.Resyncs);
        Assert.True(health.RefreshFills > 0);
        Assert.StartsWith("applied snapshot", health.LastRefresh, StringComparison.Ordinal);
        var final = await client.GetBookAsync(Btc, 20);
        Assert.True(final.VerifiedBidFloor < first, $"the floor followed the price down: {first} -> {final.VerifiedBidFloor}");
        var feed = Assert.Single(await client.GetFeedsAsync());
        Assert.Equal(health.RefreshesApplied, feed.CoverageRefreshesFetched);
        Assert.True(feed.CoverageRefreshesRequested >= health.RefreshesApplied);
        Assert.Equal(0, feed.CoverageRefreshesFailed);
    }

    private static BookLevel Level(Streams.PriceLevel l) => new(FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity));
}
