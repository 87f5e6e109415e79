using System.Net;
using System.Text.Json;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Pivots;
using MarketData.Tests.Fakes;
using MarketData.Client;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Json;
using MarketData.Streams;

namespace MarketData.Tests.Integration;

/// <summary>
/// The whole path on an Orleans test cluster: fake Binance → feed grain → streams → book grains, read
/// through the client SDK and over HTTP.
/// </summary>
[Collection(ClusterCollection.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Wraps the fixture's client; owns no connection.")]
public sealed class OrderBookClusterTests(ClusterFixture fixture)
{
    private static readonly Instrument Btc = new("binance", "BTCUSDT");
    private static readonly Instrument Eth = new("binance", "ETHUSDT");
    private static readonly string[] UsableStatuses = ["synced", "stale"];
    private readonly MarketDataClient _client = new(fixture.Client);

    private Task<OrderBookView> WaitSyncedAsync(Instrument instrument)
        => Eventually.WaitAsync(() => _client.GetBookAsync(instrument, 20), v => v.Status == BookStatus.Synced, $"{instrument} synced");

    /// <summary>Pauses the fake market until the book has caught up, then compares the two books level by level.</summary>
    private async Task AssertBookEqualsExchangeAsync(Instrument instrument)
    {
        fixture.Server.StopPump();
        try
        {
            // One more step after the pump stops: a book that missed the pump's last diffs learns it from this
            // one (a gap) and resyncs, instead of waiting for a diff that never comes.
            await fixture.Server.EmitAsync(1);
            var exchange = await fixture.Server.BookAsync(instrument.Symbol);
            OrderBookView view;
            try
            {
                view = await Eventually.WaitAsync(() => _client.GetBookAsync(instrument, 5000),
                    v => v.Status == BookStatus.Synced && v.LastUpdateId == exchange.LastUpdateId, $"{instrument} at update {exchange.LastUpdateId}");
            }
            catch (TimeoutException ex)
            {
                var feeds = await _client.GetFeedsAsync();
                var health = await _client.GetBookHealthAsync(instrument);
                var connections = string.Join("; ", fixture.Server.Connections.Select(c => $"#{c.Id} {c.Closed} sent {c.FramesSent}"));
                throw new TimeoutException($"{ex.Message}\nfeeds: {string.Join(" | ", feeds)}\nhealth: {health}\nserver connections: {connections}", ex);
            }
            Assert.Equal(exchange.Bids.Select(l => new BookLevel(FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity))), view.Bids);
            Assert.Equal(exchange.Asks.Select(l => new BookLevel(FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity))), view.Asks);
        }
        finally
        {
            fixture.Server.StartPump(TimeSpan.FromMilliseconds(50));
        }
    }

    [Fact]
    public async Task Books_sync_from_the_fake_exchange_and_match_it()
    {
        await WaitSyncedAsync(Btc);
        await WaitSyncedAsync(Eth);
        await AssertBookEqualsExchangeAsync(Btc);
        await AssertBookEqualsExchangeAsync(Eth);

        var top = await _client.GetTopOfBookAsync(Btc);
        Assert.NotNull(top.BestBid);
        Assert.NotNull(top.BestAsk);
        Assert.True(top.BestBid!.Value.Price < top.BestAsk!.Value.Price);
    }

    [Fact]
    public async Task A_sequence_gap_resyncs_only_that_book()
    {
        await WaitSyncedAsync(Btc);
        await WaitSyncedAsync(Eth);
        var btcBefore = await _client.GetBookHealthAsync(Btc);
        var ethBefore = await _client.GetBookHealthAsync(Eth);

        fixture.Server.SkipNextDiffs(Btc.Symbol);
        await Eventually.WaitAsync(() => _client.GetBookHealthAsync(Btc), h => h.Gaps > btcBefore.Gaps && h.Status == BookStatus.Synced, "BTCUSDT gap detected and resynced");
        await AssertBookEqualsExchangeAsync(Btc);

        var ethAfter = await _client.GetBookHealthAsync(Eth);
        Assert.Equal(ethBefore.Gaps, ethAfter.Gaps);
        Assert.Equal(ethBefore.Resyncs, ethAfter.Resyncs);
    }

    [Fact]
    public async Task Http_serves_the_book_feeds_and_clear_errors()
    {
        await WaitSyncedAsync(Btc);

        using var book = await fixture.Http.GetAsync("/api/v1/books/binance/btcusdt?depth=5");
        Assert.Equal(HttpStatusCode.OK, book.StatusCode);
        using var doc = JsonDocument.Parse(await book.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal("binance", root.GetProperty("exchange").GetString());
        Assert.Equal("BTCUSDT", root.GetProperty("symbol").GetString());
        Assert.Contains(root.GetProperty("status").GetString(), UsableStatuses);
        Assert.True(root.GetProperty("lastUpdateId").GetInt64() > 0);
        var bids = root.GetProperty("bids");
        Assert.Equal(5, bids.GetArrayLength());
        Assert.Equal(JsonValueKind.String, bids[0][0].ValueKind);
        Assert.Equal(bids[0][0].GetString(), root.GetProperty("bestBid")[0].GetString());
        Assert.True(decimal.Parse(root.GetProperty("bestBid")[0].GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            < decimal.Parse(root.GetProperty("bestAsk")[0].GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(JsonValueKind.String, root.GetProperty("updatedAt").ValueKind);
        // The fake's book is shallower than the snapshot limit: the snapshot held whole sides, nothing lies beyond.
        Assert.Equal(JsonValueKind.Null, root.GetProperty("verifiedBidFloor").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("verifiedAskCeiling").ValueKind);
        Assert.Equal(0, root.GetProperty("bidsBeyondVerified").GetInt32());
        Assert.Equal(0, root.GetProperty("asksBeyondVerified").GetInt32());
        Assert.Equal(JsonValueKind.String, root.GetProperty("verifiedAt").ValueKind);

        using var health = await fixture.Http.GetAsync("/api/v1/books/binance/BTCUSDT/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var healthDoc = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        var h = healthDoc.RootElement;
        Assert.Equal("BTCUSDT", h.GetProperty("symbol").GetString());
        Assert.True(h.GetProperty("diffsApplied").GetInt64() > 0);
        Assert.True(h.GetProperty("coverage").GetProperty("bidTouchVerified").GetBoolean());
        Assert.Equal(0, h.GetProperty("refreshCorrections").GetInt64());
        using var unknownHealth = await fixture.Http.GetAsync("/api/v1/books/binance/DOGEUSDT/health");
        Assert.Equal(HttpStatusCode.NotFound, unknownHealth.StatusCode);
        using var badHealth = await fixture.Http.GetAsync("/api/v1/books/binance/BTC$USDT/health");
        Assert.Equal(HttpStatusCode.BadRequest, badHealth.StatusCode);

        using var unknown = await fixture.Http.GetAsync("/api/v1/books/binance/DOGEUSDT");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No feed follows binance:DOGEUSDT", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        foreach (var bad in new[] { "/api/v1/books/binance/BTC$USDT", "/api/v1/books/bin-ance/BTCUSDT", "/api/v1/books/binance/BTCUSDT?depth=0",
                     "/api/v1/books/binance/BTCUSDT?depth=abc", "/api/v1/books/binance/BTCUSDT?depth=5001" })
        {
            using var response = await fixture.Http.GetAsync(bad);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad} gave {response.StatusCode}");
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetString()));
        }

        using var feeds = await fixture.Http.GetAsync("/api/v1/feeds");
        Assert.Equal(HttpStatusCode.OK, feeds.StatusCode);
        using var feedsDoc = JsonDocument.Parse(await feeds.Content.ReadAsStringAsync());
        var feed = Assert.Single(feedsDoc.RootElement.GetProperty("feeds").EnumerateArray());
        Assert.Equal("binance", feed.GetProperty("feedId").GetString());
        Assert.Equal("connected", feed.GetProperty("state").GetString());
        Assert.True(feed.GetProperty("messagesReceived").GetInt64() > 0);
        Assert.True(feed.GetProperty("eventsPublished").GetInt64() > 0);
        Assert.True(feed.GetProperty("snapshotsFetched").GetInt64() >= 2);
    }

    [Fact]
    public async Task Cli_prints_the_same_document_as_http()
    {
        await WaitSyncedAsync(Eth);
        fixture.Server.StopPump(); // hold the book still so both reads see the same state
        try
        {
            var exchange = await fixture.Server.BookAsync(Eth.Symbol);
            await Eventually.WaitAsync(() => _client.GetBookAsync(Eth, 3), v => v.LastUpdateId == exchange.LastUpdateId, "ETHUSDT caught up");

            using var output = new StringWriter();
            using var errors = new StringWriter();
            var exit = await Cli.RunAsync(["book", "binance:ETHUSDT", "--depth", "3"], output, errors,
                _ => Task.FromResult(new MarketDataClient(fixture.Client)));
            Assert.True(exit == 0, errors.ToString());
            var http = await fixture.Http.GetStringAsync("/api/v1/books/binance/ETHUSDT?depth=3");
            using var cliJson = JsonDocument.Parse(output.ToString());
            using var httpJson = JsonDocument.Parse(http);
            Assert.Equal(httpJson.RootElement.ToString(), JsonSerializer.Serialize(cliJson.RootElement));
            Assert.Equal(3, cliJson.RootElement.GetProperty("bids").GetArrayLength());

            using var healthOut = new StringWriter();
            Assert.Equal(0, await Cli.RunAsync(["book-health", "binance:ETHUSDT"], healthOut, errors, _ => Task.FromResult(new MarketDataClient(fixture.Client))));
            using var healthJson = JsonDocument.Parse(healthOut.ToString());
            Assert.Equal(exchange.LastUpdateId, healthJson.RootElement.GetProperty("lastUpdateId").GetInt64());
            Assert.Equal(JsonValueKind.Object, healthJson.RootElement.GetProperty("coverage").ValueKind);
            Assert.Equal(2, await Cli.RunAsync(["book-health"], healthOut, errors));

            using var unknownOut = new StringWriter();
            using var unknownErr = new StringWriter();
            Assert.Equal(3, await Cli.RunAsync(["book", "binance:DOGEUSDT"], unknownOut, unknownErr, _ => Task.FromResult(new MarketDataClient(fixture.Client))));
            Assert.Contains("No feed follows binance:DOGEUSDT", unknownErr.ToString(), StringComparison.Ordinal);
            Assert.Equal(2, await Cli.RunAsync(["book", "ETHUSDT"], unknownOut, unknownErr));
            Assert.Equal(2, await Cli.RunAsync(["book", "binance:ETHUSDT", "--depth", "0"], unknownOut, unknownErr));
            Assert.Equal(2, await Cli.RunAsync(["frobnicate"], unknownOut, unknownErr));
        }
        finally
        {
            fixture.Server.StartPump(TimeSpan.FromMilliseconds(50));
        }
    }

    [Fact]
    public async Task Candles_backfill_from_rest_and_pivots_fill_their_window()
    {
        await WaitSyncedAsync(Btc); // the feed is up and registered
        var series = new CandleSeriesKey(Btc, Timeframe.OneHour);
        var view = await Eventually.WaitAsync(() => _client.GetCandlesAsync(series, 24), v => v.Backfill == "done" && v.Candles.Count == 24, "1h candles backfilled");
        Assert.Equal("binance", view.Source);
        foreach (var candle in view.Candles)
        {
            var exchange = SyntheticCandles.At("BTCUSDT", Timeframe.OneHour.Milliseconds, candle.OpenTime);
            Assert.Equal((exchange.Open, exchange.High, exchange.Low, exchange.Close, exchange.Volume), (candle.Open, candle.High, candle.Low, candle.Close, candle.Volume));
            Assert.Equal(CandleSource.BinanceRest, candle.Source);
            Assert.True(candle.IsClosed);
        }
        for (var i = 1; i < view.Candles.Count; i++)
            Assert.Equal(view.Candles[i - 1].OpenTime + Timeframe.OneHour.Milliseconds, view.Candles[i].OpenTime);

        // The 1h pivot window (30 days = 720 candles) fills from REST; then pivots and bounds are served over HTTP.
        var pivots = await Eventually.WaitAsync(() => _client.GetPivotsAsync(series, 5), p => p.Progress.State == "done", "1h pivot window filled");
        Assert.True(pivots.CandlesAnalysed >= 700, $"analysed {pivots.CandlesAnalysed}");
        Assert.NotEmpty(pivots.Levels[0]);
        Assert.All(pivots.Levels[0], p => Assert.True(p.ConfirmedAt > p.Time));
        using var http = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/pivots/BTCUSDT?timeframe=1h&levels=2&limit=3"));
        Assert.Equal(2, http.RootElement.GetProperty("levels").GetArrayLength());
        Assert.True(http.RootElement.GetProperty("levels")[0].GetProperty("pivots").GetArrayLength() <= 3);
        using var bounds = await fixture.Http.GetAsync("/api/v1/pivot-bounds/BTCUSDT?timeframe=1h");
        Assert.Equal(HttpStatusCode.OK, bounds.StatusCode);
        using var boundsJson = JsonDocument.Parse(await bounds.Content.ReadAsStringAsync());
        Assert.True(decimal.Parse(boundsJson.RootElement.GetProperty("priceMax").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            >= decimal.Parse(boundsJson.RootElement.GetProperty("priceMin").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        using var candlesHttp = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/candles/binance/BTCUSDT/1h?limit=2"));
        Assert.Equal(2, candlesHttp.RootElement.GetProperty("candles").GetArrayLength());
        foreach (var bad in new[] { "/api/v1/candles/binance/BTCUSDT/2h", "/api/v1/candles/binance/BTCUSDT/1h?limit=0", "/api/v1/pivots/BTCUSDT?levels=6",
                     "/api/v1/pivots/BTCUSDT?timeframe=5m", "/api/v1/pivot-bounds/BTCUSDT?asOf=yesterday" })
        {
            using var response = await fixture.Http.GetAsync(bad);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad} gave {response.StatusCode}");
        }
        using var unknown = await fixture.Http.GetAsync("/api/v1/candles/binance/DOGEUSDT/1m");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Pivot_state_survives_reactivation()
    {
        await WaitSyncedAsync(Btc);
        var series = new CandleSeriesKey(Btc, Timeframe.OneDay);
        var before = await Eventually.WaitAsync(() => _client.GetPivotsAsync(series, 5), p => p.Progress.State == "done" && p.CandlesAnalysed > 250, "1d pivot window filled");
        var grain = fixture.Client.GetGrain<IPivotGrain>(series.Key);
        await fixture.Cluster.DeactivateAsync(grain);
        await fixture.Cluster.WaitForDeactivationAsync(grain);

        var after = await _client.GetPivotsAsync(series, 5);
        // Restored from grain state, not refilled: the same analysis at once, with nothing fetched again yet.
        Assert.Equal(before.CandlesAnalysed, after.CandlesAnalysed);
        Assert.Equal(before.Levels.Select(l => l.Count), after.Levels.Select(l => l.Count));
        Assert.Equal(before.Levels[0], after.Levels[0]);
        Assert.Equal(0, after.Progress.CandlesFetched);
    }

    [Fact]
    public async Task Each_second_is_aggregated_and_served_with_its_heatmap()
    {
        await WaitSyncedAsync(Btc);
        var latest = await Eventually.WaitAsync(() => _client.GetLatestCobAsync(Btc), c => c is { IsGap: false }, "an aggregated second");
        Assert.True(latest!.Buckets.Length > 0);

        // The latest second over HTTP may be a newer one, a gap if the fake exchange stalled: wait for one with buckets.
        using var cob = JsonDocument.Parse(await Eventually.WaitAsync(() => fixture.Http.GetStringAsync("/api/v1/cob/BTCUSDT"),
            b => { using var d = JsonDocument.Parse(b); return d.RootElement.GetProperty("buckets").GetArrayLength() > 0; }, "an aggregated second over HTTP"));
        Assert.Equal("BTCUSDT", cob.RootElement.GetProperty("symbol").GetString());
        Assert.Equal(JsonValueKind.Object, cob.RootElement.GetProperty("averages").ValueKind);

        using var heatmap = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/heatmap/BTCUSDT?seconds=60&metric=imbalance"));
        var rows = heatmap.RootElement.GetProperty("values");
        Assert.True(rows.GetArrayLength() > 0);
        Assert.Equal(heatmap.RootElement.GetProperty("prices").GetArrayLength(), rows[0].GetArrayLength());

        using var png = await fixture.Http.GetAsync("/api/v1/heatmap/BTCUSDT?seconds=60&format=png");
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        var image = Domain.Heatmap.TestPngReader.Read(await png.Content.ReadAsByteArrayAsync());
        Assert.Equal((900, 480), (image.Width, image.Height));

        foreach (var bad in new[] { "/api/v1/heatmap/BTCUSDT?seconds=0", "/api/v1/heatmap/BTCUSDT?metric=volume", "/api/v1/heatmap/BTCUSDT?format=gif", "/api/v1/cob/BTC$" })
        {
            using var response = await fixture.Http.GetAsync(bad);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad} gave {response.StatusCode}");
        }
        using var unknown = await fixture.Http.GetAsync("/api/v1/cob/DOGEUSDT");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // The buffer fills at the fake exchange's pace: wait for more than 50 ticks rather than assume them.
        var ticks = await Eventually.WaitAsync(() => fixture.Client.GetGrain<IOrderBookGrain>(Btc.Key).GetTicksAsync(0, long.MaxValue, 50),
            t => t.Truncated, "more than 50 ticks buffered");
        Assert.Equal(50, ticks.Ticks.Length);
        Assert.True(ticks.Truncated);
        Assert.Contains(ticks.Ticks, t => t is DepthDiff);
    }

    [Fact]
    public async Task Live_price_comes_from_the_synced_book_first()
    {
        await WaitSyncedAsync(Eth);
        // Synced a moment ago; a gap resync in between would briefly (and rightly) answer from another source.
        var body = await Eventually.WaitAsync(() => fixture.Http.GetStringAsync("/api/v1/price/ETHUSDT"),
            b => JsonProperty(b, "source") == "bookMid", "the price from the book's mid");
        using var doc = JsonDocument.Parse(body);
        var price = decimal.Parse(doc.RootElement.GetProperty("price").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var book = await _client.GetTopOfBookAsync(Eth);
        Assert.InRange(price, book.BestBid!.Value.Price - 1, book.BestAsk!.Value.Price + 1); // the book moves on between the two reads
        using var unknown = await fixture.Http.GetAsync("/api/v1/price/DOGEUSDT");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var bad = await fixture.Http.GetAsync("/api/v1/price/DOGE$");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task The_feed_registry_refills_after_it_is_collected()
    {
        await WaitSyncedAsync(Btc);
        await fixture.Cluster.DeactivateAsync(fixture.Client.GetGrain<IFeedRegistryGrain>(0));
        // The feed re-registers on its next tick (5 s): until then the API may answer 404, never afterwards.
        await Eventually.WaitAsync(async () => (await fixture.Http.GetAsync("/api/v1/books/binance/BTCUSDT?depth=1")).StatusCode,
            code => code == HttpStatusCode.OK, "BTCUSDT served again");
    }

    [Fact]
    public async Task Ingestion_comes_back_after_the_feed_grain_is_deactivated()
    {
        await WaitSyncedAsync(Btc);
        var connectionsBefore = fixture.Server.ConnectionsAccepted;

        await fixture.Cluster.DeactivateAsync(fixture.Client.GetGrain<IBinanceFeedGrain>("binance"));

        // The feed starter's watchdog (every 5 s), or the books once silent, start the feed again; the books resync.
        await Eventually.WaitAsync(() => Task.FromResult(fixture.Server.ConnectionsAccepted), n => n > connectionsBefore, "a new connection");
        var reconnectedAt = DateTime.UtcNow;
        await Eventually.WaitAsync(() => _client.GetFeedsAsync(), f => f.Any(s => s.State == FeedState.Connected), "feed connected again");
        await Eventually.WaitAsync(() => _client.GetBookAsync(Btc, 1), v => v.Status == BookStatus.Synced && v.ReceivedAt > reconnectedAt,
            "BTCUSDT synced on data from the new connection");
        await AssertBookEqualsExchangeAsync(Btc);
    }

    private static string? JsonProperty(string json, string name)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty(name).GetString();
    }
}
