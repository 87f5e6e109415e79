using MarketData.Candles;
using MarketData.Client;
using MarketData.Instruments;
using MarketData.Silo.Hosting;
using MarketData.Storage.TimeSeries;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using MarketData.Tests.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace MarketData.Tests.Storage;

/// <summary>
/// A live cluster archives the candles it backfills; a cluster started later on the same database restores its candle
/// caches from the archive and asks REST only for the tail the archive lacks.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CandleRestoreTests(PostgresFixture fixture)
{
    private static readonly Instrument Btc = new("binance", "BTCUSDT");

    [SkippableFact]
    public async Task A_new_activation_starts_from_the_stored_candles_and_fetches_only_the_missing_tail()
    {
        if (fixture.Server is not { } server) throw new SkipException($"{PostgresServer.Unavailable}");
        var database = await server.CreateDatabaseAsync("restore");
        await MarketData.Storage.Schema.SchemaMigrator.MigrateAsync(database, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using var exchange = await FakeBinanceServer.StartAsync(TimeProvider.System, seed: 11, "BTCUSDT");
        exchange.StartPump(TimeSpan.FromMilliseconds(100));
        var daily = new CandleSeriesKey(Btc, Timeframe.OneDay);

        int firstRunRequests;
        CandleSeriesView first;
        await using (var cluster = await StartAsync(database, exchange))
        {
            var client = new MarketDataClient(cluster.Client);
            first = await Eventually.WaitAsync(() => client.GetCandlesAsync(daily, 1_500), v => v.Backfill == "done" && v.Candles.Count >= 1_000, "1d backfill from REST");
            firstRunRequests = exchange.KlineRequests;
            await cluster.Silos[0].ServiceProvider.GetRequiredService<TimeSeriesWriter>().FlushAsync();
        }
        Assert.True(firstRunRequests >= 2, $"a 1,500-day backfill takes at least two 1,000-candle requests, not {firstRunRequests}");
        var stored = await new TimeSeriesReader(database).LatestCandlesAsync("binance", "BTCUSDT", Timeframe.OneDay, 1_500);
        Assert.Equal(first.Candles.Select(c => c.OpenTime), stored.Select(c => c.OpenTime));

        await using (var cluster = await StartAsync(database, exchange))
        {
            var client = new MarketDataClient(cluster.Client);
            var before = exchange.KlineRequests;
            var restored = await Eventually.WaitAsync(() => client.GetCandlesAsync(daily, 1_500), v => v.Backfill == "done", "1d cache restored");
            Assert.Equal(first.Candles.Select(c => (c.OpenTime, c.Close, c.Volume)), restored.Candles.Take(first.Candles.Count).Select(c => (c.OpenTime, c.Close, c.Volume)));
            // The archive held every closed day up to yesterday: at most the day that closed since needs REST.
            Assert.True(exchange.KlineRequests - before <= 1, $"{exchange.KlineRequests - before} kline requests after the restore");
        }
    }

    private static Task<InProcessTestCluster> StartAsync(string database, FakeBinanceServer exchange)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database,
            ["Feeds:Binance:RestBaseUrl"] = exchange.RestBaseUrl.ToString(),
            ["Feeds:Binance:WebSocketBaseUrl"] = exchange.WebSocketBaseUrl.ToString(),
            ["Feeds:Binance:Symbols:0"] = "BTCUSDT",
            // No trades, no kline streams, no pivot fills: the only candle cache is the one the test asks, so every kline
            // request is its own.
            ["Feeds:Binance:Streams:0"] = "depth@100ms",
            ["Feeds:Mexc:Enabled"] = "false",
            ["Candles:PivotFill"] = "false",
            ["TimeSeries:FlushInterval"] = "00:00:00.100",
        };
        return TestClusters.StartAsync(settings);
    }
}
