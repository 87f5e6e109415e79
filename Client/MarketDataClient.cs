using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Pivots;
using MarketData.Feeds;
using MarketData.Instruments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketData.Client;

/// <summary>
/// The .NET client SDK: typed calls over the grain interfaces. Create one with <see cref="ConnectAsync"/>
/// (an Orleans client of its own) or wrap an existing <see cref="IGrainFactory"/>.
/// </summary>
public sealed class MarketDataClient : IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly IHost? _host;

    public MarketDataClient(IGrainFactory grains) => _grains = grains;

    private MarketDataClient(IHost host)
    {
        _host = host;
        _grains = host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>Connects to a silo's gateway on this machine (the embedded default's localhost clustering).</summary>
    public static async Task<MarketDataClient> ConnectAsync(MarketDataClientOptions options, CancellationToken cancellationToken = default)
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevelForOrleans(options.Verbose))
            .UseOrleansClient(client => client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId))
            .Build();
        await host.StartAsync(cancellationToken);
        return new MarketDataClient(host);
    }

    /// <summary>The book of <paramref name="instrument"/> to <paramref name="depth"/> levels a side.</summary>
    public Task<OrderBookView> GetBookAsync(Instrument instrument, int depth = 100)
    {
        if (depth is < 1 or > 5000) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be between 1 and 5000");
        return _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetSnapshotAsync(depth);
    }

    public Task<TopOfBook> GetTopOfBookAsync(Instrument instrument) => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetTopOfBookAsync();

    public Task<BookHealth> GetBookHealthAsync(Instrument instrument) => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetHealthAsync();

    /// <summary>The latest <paramref name="limit"/> closed candles (and the forming one); with <paramref name="asOf"/> only those closed by then.</summary>
    public Task<CandleSeriesView> GetCandlesAsync(CandleSeriesKey series, int limit = 500, long? asOf = null)
        => _grains.GetGrain<ICandleGrain>(series.Key).GetCandlesAsync(limit, asOf);

    /// <summary>Williams pivots of levels 1..<paramref name="levels"/>; with <paramref name="asOf"/> only those confirmed by then.</summary>
    public Task<PivotsView> GetPivotsAsync(CandleSeriesKey series, int levels = 5, long? asOf = null, int maxPerLevel = 500)
        => _grains.GetGrain<IPivotGrain>(series.Key).GetPivotsAsync(levels, asOf, maxPerLevel);

    public Task<PivotBounds?> GetPivotBoundsAsync(CandleSeriesKey series, long? asOf = null)
        => _grains.GetGrain<IPivotGrain>(series.Key).GetBoundsAsync(asOf);

    /// <summary>The latest per-second aggregate of the book (buckets, imbalances, moving averages, trade flow).</summary>
    public Task<CobSecond?> GetLatestCobAsync(Instrument instrument) => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetLatestCobAsync();

    public Task<IReadOnlyList<CobSecond>> GetCobHistoryAsync(Instrument instrument, long from, long to)
        => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetCobHistoryAsync(from, to);

    public Task<Heatmap> GetHeatmapAsync(Instrument instrument, int seconds = 300, HeatmapMetric metric = HeatmapMetric.Total)
        => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetHeatmapAsync(seconds, metric);

    public Task<byte[]> GetHeatmapPngAsync(Instrument instrument, int seconds = 300, HeatmapMetric metric = HeatmapMetric.Total)
        => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetHeatmapPngAsync(seconds, metric);

    /// <summary>Raw book updates and trades received in [from, to] (Unix ms), oldest first, at most <paramref name="max"/>.</summary>
    public Task<TickRange> GetTicksAsync(Instrument instrument, long from, long to, int max = 10_000)
        => _grains.GetGrain<IOrderBookGrain>(instrument.Key).GetTicksAsync(from, to, max);

    public Task<IReadOnlyList<FeedStatus>> GetFeedsAsync() => _grains.GetGrain<IFeedRegistryGrain>(0).GetStatusesAsync();

    /// <summary>True when a registered feed follows the instrument (an unknown one has no book).</summary>
    public Task<bool> IsFollowedAsync(Instrument instrument) => _grains.GetGrain<IFeedRegistryGrain>(0).IsFollowedAsync(instrument.Exchange, instrument.Symbol);

    public async ValueTask DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }
}

public sealed record MarketDataClientOptions
{
    public int GatewayPort { get; init; } = 30000;
    public string ServiceId { get; init; } = "marketdata";
    public string ClusterId { get; init; } = "dev";
    public bool Verbose { get; init; }
}

internal static class LoggingExtensions
{
    public static ILoggingBuilder SetMinimumLevelForOrleans(this ILoggingBuilder logging, bool verbose)
    {
        if (!verbose) logging.ClearProviders();
        return logging;
    }
}
