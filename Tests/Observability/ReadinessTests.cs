using System.Net;
using System.Text.Json;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using Xunit.Abstractions;

namespace MarketData.Tests.Observability;

/// <summary><c>/health/ready</c> of the real silo host as its feed connects, its books sync, and the exchange goes away.</summary>
public sealed class ReadinessTests(ITestOutputHelper output)
{
    private static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];

    private sealed record Ready(HttpStatusCode Code, string Status, string Feeds, string Books, string Cluster)
    {
        public override string ToString() => $"{(int)Code} {Status}: cluster [{Cluster}] feeds [{Feeds}] books [{Books}]";
    }

    [Fact]
    public async Task Ready_waits_for_the_connection_and_synced_books_and_drops_when_the_feed_loses_its_connection()
    {
        await using var server = await FakeBinanceServer.StartAsync(TimeProvider.System, seed: 5, Symbols);
        server.StartPump(TimeSpan.FromMilliseconds(50));
        // The exchange refuses connections at first: the feed cannot connect and no book can sync.
        await server.RefuseConnectionsAsync();
        await using var silo = await SiloHostRun.StartAsync(SiloHostRun.Settings(server, "ready-feed", Symbols));

        using (var live = await silo.Http.GetAsync("/health/live"))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // The dashboard is off unless enabled: nothing there.
        using (var dashboard = await silo.Http.GetAsync("/dashboard/"))
            Assert.Equal(HttpStatusCode.NotFound, dashboard.StatusCode);

        var before = await Eventually.WaitAsync(() => ReadyAsync(silo), r => r.Books.Contains("0 of 2 books synced", StringComparison.Ordinal),
            "a readiness answer about the unsynced books");
        output.WriteLine(before.ToString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.Code);
        Assert.Equal("Unhealthy", before.Status);
        Assert.Contains("ready-feed is", before.Feeds, StringComparison.Ordinal);
        Assert.Contains("BTCUSDT", before.Books, StringComparison.Ordinal);
        Assert.Contains("ETHUSDT", before.Books, StringComparison.Ordinal);
        Assert.Contains("is Active", before.Cluster, StringComparison.Ordinal);

        await server.AcceptConnectionsAsync();
        var ready = await Eventually.WaitAsync(() => ReadyAsync(silo), r => r.Code == HttpStatusCode.OK, "the silo to become ready");
        output.WriteLine(ready.ToString());
        Assert.Equal("Healthy", ready.Status);
        Assert.Contains("2 of 2 books synced", ready.Books, StringComparison.Ordinal);
        Assert.Contains("ready-feed connected", ready.Feeds, StringComparison.Ordinal);

        // The exchange drops every connection and refuses new ones: not ready until it comes back.
        await server.RefuseConnectionsAsync();
        var lost = await Eventually.WaitAsync(() => ReadyAsync(silo), r => r.Code == HttpStatusCode.ServiceUnavailable, "readiness to drop");
        output.WriteLine(lost.ToString());
        Assert.Contains("ready-feed is reconnecting", lost.Feeds, StringComparison.Ordinal);

        await server.AcceptConnectionsAsync();
        await Eventually.WaitAsync(() => ReadyAsync(silo), r => r.Code == HttpStatusCode.OK, "the silo to be ready again");
    }

    private static async Task<Ready> ReadyAsync(SiloHostRun silo)
    {
        using var response = await silo.Http.GetAsync("/health/ready");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var checks = doc.RootElement.GetProperty("checks");
        string Reason(string name) => checks.GetProperty(name).GetProperty("reason").GetString() ?? "";
        return new Ready(response.StatusCode, doc.RootElement.GetProperty("status").GetString()!, Reason("feeds"), Reason("books"), Reason("cluster"));
    }
}
