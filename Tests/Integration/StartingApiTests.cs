using System.Net;
using MarketData.Exchanges.Binance;
using MarketData.Recording;
using MarketData.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MarketData.Tests.Integration;

/// <summary>
/// Right after a silo starts, its HTTP API answers before its feeds have registered their symbols: a symbol that is not
/// followed yet must get 503 "starting" with Retry-After, not a 404 that says no feed follows it. An API over the shared
/// test cluster is configured as a host whose feed is <c>ghost</c> (never registered: starting) or <c>binance</c> (running).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StartingApiTests(ClusterFixture fixture)
{
    private Task<(WebApplication App, HttpClient Http)> ApiAsync(string feedId)
        => ClusterFixture.StartApiAsync(fixture.Client, new Dictionary<string, string?>(), services =>
        {
            services.AddOptions<BinanceFeedOptions>().Configure(o => o.FeedId = feedId);
            services.AddOptions<ReplayOptions>();
            services.AddSingleton<ActiveFeeds>();
        });

    [Fact]
    public async Task Until_the_hosts_feeds_have_registered_an_unfollowed_symbol_gets_503_starting_and_then_404()
    {
        var (starting, early) = await ApiAsync("ghost");
        try
        {
            foreach (var route in new[] { "/api/v1/books/binance/DOGEUSDT", "/api/v1/candles/binance/DOGEUSDT/1m", "/api/v1/base-input/DOGEUSDT" })
            {
                using var response = await early.GetAsync(route);
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{route}: {response.StatusCode}");
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
                Assert.Contains("Starting: feed ghost has not registered its symbols yet", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            // A followed symbol is served whatever else is starting.
            using var followed = await early.GetAsync("/api/v1/books/binance/BTCUSDT?depth=1");
            Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        }
        finally
        {
            early.Dispose();
            await starting.DisposeAsync();
        }

        var (started, late) = await ApiAsync("binance");
        try
        {
            using var unknown = await late.GetAsync("/api/v1/books/binance/DOGEUSDT");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Null(unknown.Headers.RetryAfter);
            Assert.Contains("No feed follows binance:DOGEUSDT", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            late.Dispose();
            await started.DisposeAsync();
        }
    }
}
