using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MarketData.Silo.Hosting;
using MarketData.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MarketData.Tests.Observability;

/// <summary>
/// The real silo host (<see cref="SiloHost"/>: Orleans, feeds, HTTP API, metrics, health, dashboard) in this process, on
/// free ports, without appsettings.json, following a fake Binance server on loopback.
/// </summary>
internal sealed class SiloHostRun : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SiloHostRun(WebApplication app, Uri address)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    /// <summary>Settings of a silo that follows <paramref name="server"/> with short timings, as the cluster tests use.</summary>
    public static Dictionary<string, string?> Settings(FakeBinanceServer server, string feedId, params string[] symbols)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Feeds:Binance:FeedId"] = feedId,
            ["Feeds:Binance:RestBaseUrl"] = server.RestBaseUrl.ToString(),
            ["Feeds:Binance:WebSocketBaseUrl"] = server.WebSocketBaseUrl.ToString(),
            ["Feeds:Binance:SnapshotStagger"] = "00:00:00.010",
            ["Feeds:Binance:HeartbeatInterval"] = "00:00:00.500",
            ["Feeds:Binance:ReconnectMinDelay"] = "00:00:00.100",
            ["Feeds:Binance:ReconnectMaxDelay"] = "00:00:00.500",
            ["Feeds:Mexc:Enabled"] = "false",
            ["Books:StaleAfter"] = "00:00:10", // long enough that a starved test host does not age a book between two reads
            ["Books:CheckInterval"] = "00:00:00.500",
            ["Books:SnapshotRetryAfter"] = "00:00:02",
            ["Health:CacheDuration"] = "00:00:00.200",
        };
        for (var i = 0; i < symbols.Length; i++) settings[$"Feeds:Binance:Symbols:{i}"] = symbols[i];
        return settings;
    }

    public static async Task<SiloHostRun> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["Orleans:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:ClusterId"] = "obs-" + Guid.NewGuid().ToString("N")[..8],
            ["Urls"] = "http://127.0.0.1:0",
        };
        var builder = SiloHost.CreateBuilder([], all, appSettings: false);
        builder.Logging.ClearProviders();
        var app = SiloHost.Build(builder);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SiloHostRun(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await _app.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { /* disposed below regardless */ }
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
