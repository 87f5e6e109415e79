using MarketData.Silo.Hosting;
using MarketData.Silo.Http;
using MarketData.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace MarketData.Tests.Integration;

/// <summary>
/// One in-process Orleans cluster (one silo, configured exactly as the host program configures it), fed
/// by a fake Binance server on loopback, with the HTTP API served on a loopback port over the cluster's client.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];

    public FakeBinanceServer Server { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;
    public HttpClient Http { get; private set; } = null!;
    private WebApplication? _api;

    public async Task InitializeAsync()
    {
        Server = await FakeBinanceServer.StartAsync(TimeProvider.System, seed: 7, Symbols);
        Server.StartPump(TimeSpan.FromMilliseconds(50));

        var settings = new Dictionary<string, string?>
        {
            ["Feeds:Binance:RestBaseUrl"] = Server.RestBaseUrl.ToString(),
            ["Feeds:Binance:WebSocketBaseUrl"] = Server.WebSocketBaseUrl.ToString(),
            ["Feeds:Binance:SnapshotStagger"] = "00:00:00.010",
            ["Feeds:Binance:HeartbeatInterval"] = "00:00:00.500",
            ["Feeds:Binance:ReconnectMinDelay"] = "00:00:00.100",
            ["Feeds:Binance:ReconnectMaxDelay"] = "00:00:01",
            ["Books:StaleAfter"] = "00:00:10", // long enough that a starved test host does not age a book between two reads
            ["Books:CheckInterval"] = "00:00:00.500",
            ["Books:SnapshotRetryAfter"] = "00:00:03",
            // Pivot windows small enough to fill in a test from the fake exchange's synthetic klines.
            ["Candles:PivotFillRequestInterval"] = "00:00:00.020",
            ["Candles:PivotWindows:1s"] = "00:30:00",
            ["Candles:PivotWindows:1m"] = "1.00:00:00",
            ["Candles:PivotWindows:1h"] = "30.00:00:00",
            ["Candles:PivotWindows:1d"] = "300.00:00:00",
            ["Feeds:Mexc:Enabled"] = "false",
        };
        for (var i = 0; i < Symbols.Length; i++) settings[$"Feeds:Binance:Symbols:{i}"] = Symbols[i];

        Cluster = await TestClusters.StartAsync(settings);

        (_api, Http) = await StartApiAsync(Cluster.Client, settings);

        // The feed registers its books from a background service: every test starts once both are served.
        foreach (var symbol in Symbols)
            await Eventually.WaitAsync(async () => (await Http.GetAsync($"/api/v1/books/binance/{symbol}?depth=1")).StatusCode,
                code => code == System.Net.HttpStatusCode.OK, $"{symbol} served by the API");
    }

    /// <summary>The HTTP API on a loopback port over <paramref name="grains"/>, configured from <paramref name="settings"/>; <paramref name="services"/> adds to its services.</summary>
    public static async Task<(WebApplication App, HttpClient Http)> StartApiAsync(IGrainFactory grains, IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? services = null)
    {
        var web = WebApplication.CreateSlimBuilder();
        web.WebHost.UseUrls("http://127.0.0.1:0");
        web.Logging.ClearProviders();
        web.Services.AddSingleton(grains);
        web.Services.AddMarketDataApiServices(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services?.Invoke(web.Services);
        var app = web.Build();
        app.MapMarketDataApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) });
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_api is not null) await _api.DisposeAsync();
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
        if (Server is not null) await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
