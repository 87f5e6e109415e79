using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using Xunit.Abstractions;

namespace MarketData.Tests.Observability;

/// <summary>The real silo host following the fake exchange, with the dashboard enabled behind basic authentication.</summary>
public sealed class ObservedSiloFixture : IAsyncLifetime
{
    public const string FeedId = "observed";
    public const string User = "operator";
    public const string Password = "correct horse battery staple";
    public static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];

    public FakeBinanceServer Server { get; private set; } = null!;
    internal SiloHostRun Silo { get; private set; } = null!;
    public HttpClient Http => Silo.Http;

    public async Task InitializeAsync()
    {
        Server = await FakeBinanceServer.StartAsync(TimeProvider.System, seed: 11, Symbols);
        Server.StartPump(TimeSpan.FromMilliseconds(50));
        var settings = SiloHostRun.Settings(Server, FeedId, Symbols);
        settings["Dashboard:Enabled"] = "true";
        settings["Dashboard:Username"] = User;
        settings["Dashboard:Password"] = Password;
        Silo = await SiloHostRun.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        if (Silo is not null) await Silo.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ObservedSiloCollection : ICollectionFixture<ObservedSiloFixture>
{
    public const string Name = "observed-silo";
}

[Collection(ObservedSiloCollection.Name)]
public sealed class ObservedSiloTests(ObservedSiloFixture fixture, ITestOutputHelper output)
{
    private static readonly (string, string) Feed = ("feed", ObservedSiloFixture.FeedId);

    [Fact]
    public async Task Metrics_endpoint_serves_feed_book_and_runtime_instruments_with_real_values()
    {
        // Activity first: the books sync (the silo says it is ready) and keep applying diffs.
        await Eventually.WaitAsync(() => fixture.Http.GetAsync("/health/ready"), r => r.StatusCode == HttpStatusCode.OK, "the silo to be ready");

        var samples = await Eventually.WaitAsync(async () => PrometheusText.Parse(await fixture.Http.GetStringAsync("/metrics")),
            s => s.Sum("marketdata_book_update_lag_milliseconds_count") > 0
                 && s.Sum("marketdata_feed_lag_milliseconds_count", Feed) > 0
                 && s.Sum("marketdata_book_updates_total", ("symbol", "ETHUSDT")) > 0
                 && s.Sum("marketdata_feed_messages_total", Feed, ("kind", "trade")) > 0 // trades come less often than diffs
                 && s.Sum("marketdata_books", ("status", "synced")) >= ObservedSiloFixture.Symbols.Length // not a moment of resync
                 && s.Sum("marketdata_feed_connections", Feed) == 1,
            "book and feed metrics with values");

        // Book update lag: the fine explicit buckets, a count and a sum.
        var lagBuckets = samples.Find("marketdata_book_update_lag_milliseconds_bucket", ("exchange", "binance")).ToList();
        foreach (var le in new[] { "0.1", "0.25", "1", "50", "10000", "+Inf" })
            Assert.Contains(lagBuckets, b => b.Labels["le"] == le);
        Assert.Equal(35, lagBuckets.Select(b => b.Labels["le"]).Distinct().Count());
        Assert.True(samples.Sum("marketdata_book_update_lag_milliseconds_sum") >= 0);
        Assert.Equal(35, samples.Find("marketdata_feed_lag_milliseconds_bucket", Feed).Select(b => b.Labels["le"]).Distinct().Count());

        // Feed: messages by kind, snapshots, gauges of the REST budget and the connection.
        Assert.True(samples.Sum("marketdata_feed_messages_total", Feed, ("kind", "depth")) > 0);
        Assert.True(samples.Sum("marketdata_feed_messages_total", Feed, ("kind", "trade")) > 0);
        Assert.True(samples.Sum("marketdata_feed_snapshots_total", Feed) >= ObservedSiloFixture.Symbols.Length);
        Assert.True(samples.Sum("marketdata_feed_events_published_total", Feed) > 0);
        Assert.Single(samples.Find("marketdata_feed_reconnects_total", Feed));
        Assert.Single(samples.Find("marketdata_feed_rejected_total", Feed));
        Assert.Equal(6000, samples.Sum("marketdata_feed_rest_weight_limit", Feed));
        Assert.True(samples.Sum("marketdata_feed_rest_weight_used", Feed) >= 0);
        Assert.Equal(1, samples.Sum("marketdata_feed_connections", Feed));

        // Books: per-book update counts and the per-status gauge of this process's silos.
        Assert.True(samples.Sum("marketdata_book_updates_total", ("exchange", "binance"), ("symbol", "BTCUSDT")) > 0);
        Assert.True(samples.Sum("marketdata_books", ("status", "synced")) >= ObservedSiloFixture.Symbols.Length);
        Assert.Single(samples.Find("marketdata_books", ("status", "stale")));

        // Orleans', the runtime's and ASP.NET Core's own meters come along.
        Assert.Contains(samples, s => s.Name.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("http_server_request_duration", StringComparison.Ordinal));
        output.WriteLine(string.Join('\n', samples.Where(s => s.Name.StartsWith("marketdata_", StringComparison.Ordinal) && !s.Name.EndsWith("_bucket", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Dashboard_answers_only_with_the_right_basic_credentials()
    {
        using (var anonymous = await fixture.Http.GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        }
        foreach (var (user, password) in new[] { ("operator", "wrong"), ("someone", ObservedSiloFixture.Password), ("", ""), ("operator", ObservedSiloFixture.Password + "x") })
        {
            using var wrong = await GetDashboardAsync("/dashboard/", Basic(user, password));
            Assert.True(wrong.StatusCode == HttpStatusCode.Unauthorized, $"{user}:{password} must be refused");
        }
        using (var garbage = await GetDashboardAsync("/dashboard/", new AuthenticationHeaderValue("Basic", "not base64!")))
            Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        using (var bearer = await GetDashboardAsync("/dashboard/", new AuthenticationHeaderValue("Bearer", "token")))
            Assert.Equal(HttpStatusCode.Unauthorized, bearer.StatusCode);

        using var page = await GetDashboardAsync("/dashboard/", Basic(ObservedSiloFixture.User, ObservedSiloFixture.Password));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("html", (await page.Content.ReadAsStringAsync()).ToLowerInvariant(), StringComparison.Ordinal);

        // The rest of the API stays open: only the dashboard is protected.
        using var feeds = await fixture.Http.GetAsync("/api/v1/feeds");
        Assert.Equal(HttpStatusCode.OK, feeds.StatusCode);
    }

    [Fact]
    public async Task Live_answers_200_with_the_process_check()
    {
        using var response = await fixture.Http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", doc.RootElement.GetProperty("status").GetString());
        var process = doc.RootElement.GetProperty("checks").GetProperty("process");
        Assert.Equal("Healthy", process.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(process.GetProperty("reason").GetString()));
    }

    private async Task<HttpResponseMessage> GetDashboardAsync(string path, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = authorization;
        return await fixture.Http.SendAsync(request);
    }

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
