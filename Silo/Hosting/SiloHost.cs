using MarketData.Actors;
using MarketData.Exchanges.Binance;
using MarketData.Silo.Http;
using MarketData.Streams;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration.Json;

namespace MarketData.Silo.Hosting;

/// <summary>
/// Builds the silo's host: Orleans (clustering and providers from configuration), the feeds, the HTTP API, metrics
/// (<see cref="Telemetry"/>), health endpoints (<see cref="Health"/>) and the optional Orleans Dashboard
/// (<see cref="Dashboard"/>). The host program and the integration tests build the very same host.
/// </summary>
public static class SiloHost
{
    /// <summary>
    /// The builder with its configuration: appsettings.json beside the binary (unless <paramref name="appSettings"/> is
    /// false, for tests), environment variables, <paramref name="args"/>, then <paramref name="settings"/> on top.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, IEnumerable<KeyValuePair<string, string?>> settings, bool appSettings = true)
    {
        // appsettings.json ships beside the binary; the working directory is the caller's (for relative --replay paths).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (!appSettings)
            foreach (var json in builder.Configuration.Sources.OfType<JsonConfigurationSource>().ToList())
                builder.Configuration.Sources.Remove(json);
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    /// <summary>
    /// Adds the silo's services to <paramref name="builder"/> and maps its endpoints. Throws
    /// <see cref="SiloConfigurationException"/> (one sentence saying what to fix) for settings the silo must not start with.
    /// </summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var dashboard = DashboardSettings.From(configuration);
        builder.UseOrleans(silo =>
        {
            silo.UseMarketDataClustering(configuration);
            silo.AddMarketDataProviders(configuration);
            silo.AddMarketDataDashboard(dashboard, configuration);
        });
        builder.Services.AddSingleton<ActiveFeeds>();
        builder.Services.AddHostedService<FeedStarter>();
        builder.Services.AddHostedService<SnapshotPublisherStarter>();
        builder.Services.AddMarketDataHealth(configuration);
        builder.AddMarketDataTelemetry();

        var app = builder.Build();
        WarnOfPivotMemory(app);
        app.MapMarketDataDashboard(dashboard);
        app.MapMarketDataApi();
        app.MapMarketDataHealth();
        app.MapMarketDataTelemetry();
        return app;
    }

    /// <summary>The 30-day 1s pivot window is 31 MB a symbol: say so at start when the followed symbols cannot fit.</summary>
    private static void WarnOfPivotMemory(WebApplication app)
    {
        var feeds = app.Services.GetRequiredService<ActiveFeeds>().All;
        if (!feeds.Any(f => f.Kind == FeedKind.BinanceSpot)) return;
        var symbols = app.Services.GetRequiredService<IOptions<BinanceFeedOptions>>().Value.Symbols.Count;
        var candles = app.Services.GetRequiredService<IOptions<CandleOptions>>().Value;
        if (candles.PivotMemoryWarning(symbols, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes) is { } warning)
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SiloHost)).LogWarning("{Warning}", warning);
    }
}
