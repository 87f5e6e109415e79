using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Pivots;
using MarketData.Feeds;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Streams;
using Orleans.Configuration;
using Orleans.Streams;
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
    private readonly string _exchange;

    /// <param name="exchange">The primary exchange of calls that take a bare symbol.</param>
    public MarketDataClient(IGrainFactory grains, string exchange = MarketDataClientOptions.DefaultExchange)
    {
        _grains = grains;
        _exchange = exchange;
    }

    private MarketDataClient(IHost host, string exchange)
    {
        _host = host;
        _grains = host.Services.GetRequiredService<IClusterClient>();
        _exchange = exchange;
    }

    /// <summary>
    /// Connects to the cluster: through the membership table in PostgreSQL when
    /// <see cref="MarketDataClientOptions.PostgresConnectionString"/> is set (any live silo's gateway; another one
    /// when it dies), else to a silo's gateway on this machine (the embedded default's localhost clustering).
    /// </summary>
    public static async Task<MarketDataClient> ConnectAsync(MarketDataClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevelForOrleans(options.Verbose))
            .UseOrleansClient(client =>
            {
                if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
                {
                    client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
                }
                else
                {
                    client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = options.PostgresConnectionString; })
                        .Configure<ClusterOptions>(o => { o.ServiceId = options.ServiceId; o.ClusterId = options.ClusterId; })
                        // Orleans re-reads the gateway list every minute by default; a silo's death should not cost that long.
                        .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayListRefreshPeriod);
                }
                client.AddMemoryStreams(MarketStreams.SnapshotProvider);
            })
            .Build();
        await host.StartAsync(cancellationToken);
        return new MarketDataClient(host, options.Exchange);
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

    /// <summary>
    /// A validated snapshot of <paramref name="symbol"/> on the primary exchange (<see cref="MarketDataClientOptions.Exchange"/>).
    /// Throws <see cref="DataQualityException"/> with the full report when its quality is below <paramref name="minQuality"/>:
    /// never a silent partial snapshot.
    /// </summary>
    /// <param name="model">The calling model: its own outputs are left out of the snapshot's model outputs.</param>
    public async Task<BaseDataInput> GetBaseDataInputAsync(string symbol, double minQuality = BaseDataRequest.DefaultMinQuality, long? asOf = null, string? model = null)
    {
        var instrument = ModelInstrument(symbol);
        var result = await GetBaseDataResultAsync(instrument, new BaseDataRequest { MinQuality = minQuality, AsOf = asOf, Model = model });
        return result.Input ?? throw new DataQualityException(instrument, result.Quality);
    }

    /// <summary>The snapshot and its report, or only the report when refused; for callers that want to inspect a refusal without an exception.</summary>
    public Task<BaseDataResult> GetBaseDataResultAsync(Instrument instrument, BaseDataRequest request)
    {
        CheckRequest(request);
        return _grains.GetGrain<IMarketDataGrain>(instrument.Key).GetBaseDataInputAsync(request);
    }

    /// <summary>The float32 feature vector of a validated snapshot (layout: <see cref="GetFeatureLayoutAsync"/>); throws <see cref="DataQualityException"/> when refused.</summary>
    public async Task<FeatureVector> GetFeatureVectorAsync(string symbol, double minQuality = BaseDataRequest.DefaultMinQuality, long? asOf = null, string? model = null)
    {
        var instrument = ModelInstrument(symbol);
        var result = await GetFeatureResultAsync(instrument, new BaseDataRequest { MinQuality = minQuality, AsOf = asOf, Model = model });
        return result.Vector ?? throw new DataQualityException(instrument, result.Quality);
    }

    public Task<FeatureResult> GetFeatureResultAsync(Instrument instrument, BaseDataRequest request)
    {
        CheckRequest(request);
        return _grains.GetGrain<IMarketDataGrain>(instrument.Key).GetFeatureVectorAsync(request);
    }

    /// <summary>The name and offset of every feature, and the layout version the vectors carry.</summary>
    public Task<FeatureLayout> GetFeatureLayoutAsync(string symbol) => _grains.GetGrain<IMarketDataGrain>(ModelInstrument(symbol).Key).GetFeatureLayoutAsync();

    /// <summary>
    /// Stores a model's output for <paramref name="symbol"/>; throws <see cref="ModelOutputRejectedException"/> listing
    /// every problem when it is invalid (nothing is stored then).
    /// </summary>
    public async Task<ModelOutputReceipt> SubmitModelOutputAsync(string symbol, ModelOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!ModelOutputKey.IsValidModelName(output.ModelName)) throw new ModelOutputRejectedException([ModelOutputKey.InvalidModelName(output.ModelName)]);
        var key = new ModelOutputKey(ModelInstrument(symbol), output.ModelName);
        var receipt = await _grains.GetGrain<IModelOutputGrain>(key.Key).SubmitAsync(output);
        return receipt.Accepted ? receipt : throw new ModelOutputRejectedException(receipt.Errors);
    }

    /// <summary>Without <paramref name="model"/>: the latest output of every model. With it: that model's latest <paramref name="limit"/> outputs, oldest first.</summary>
    public Task<IReadOnlyList<ModelOutput>> GetModelOutputsAsync(string symbol, string? model = null, int limit = 100)
        => GetModelOutputsAsync(ModelInstrument(symbol), model, limit);

    public Task<IReadOnlyList<ModelOutput>> GetModelOutputsAsync(Instrument instrument, string? model, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (model is null) return _grains.GetGrain<IModelOutputIndexGrain>(instrument.Key).GetLatestAsync();
        if (!ModelOutputKey.IsValidModelName(model)) throw new ArgumentException(ModelOutputKey.InvalidModelName(model), nameof(model));
        return _grains.GetGrain<IModelOutputGrain>(new ModelOutputKey(instrument, model).Key).GetHistoryAsync(limit);
    }

    /// <summary>
    /// Subscribes to the periodic snapshots of <paramref name="symbol"/> (published when the silo sets
    /// <c>BaseInput:PublishInterval</c>). Only for a client made by <see cref="ConnectAsync"/>, which sets up the stream provider.
    /// </summary>
    public async Task<StreamSubscriptionHandle<BaseDataInput>> SubscribeBaseInputAsync(string symbol, Func<BaseDataInput, Task> onSnapshot)
    {
        var provider = (_host?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("Subscribing needs a client made by ConnectAsync."))
            .GetStreamProvider(MarketStreams.SnapshotProvider);
        var stream = provider.GetStream<BaseDataInput>(StreamId.Create(MarketStreams.BaseInput, ModelInstrument(symbol).Key));
        return await stream.SubscribeAsync((snapshot, _) => onSnapshot(snapshot));
    }

    private Instrument ModelInstrument(string symbol)
        => Instrument.TryCreate(_exchange, symbol, out var instrument, out var error) ? instrument : throw new ArgumentException(error, nameof(symbol));

    private static void CheckRequest(BaseDataRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!(request.MinQuality is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(request), request.MinQuality, "minQuality must be a number from 0 to 1.");
    }

    public Task<IReadOnlyList<FeedStatus>> GetFeedsAsync() => _grains.GetGrain<IFeedRegistryGrain>(0).GetStatusesAsync();

    /// <summary>True when a registered feed follows the instrument (an unknown one has no book).</summary>
    public Task<bool> IsFollowedAsync(Instrument instrument) => _grains.GetGrain<IFeedRegistryGrain>(0).IsFollowedAsync(instrument.Exchange, instrument.Symbol);

    /// <summary>How often a client over PostgreSQL clustering re-reads the list of live gateways.</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(10);

    public async ValueTask DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }
}

public sealed record MarketDataClientOptions
{
    /// <summary>The gateway of localhost clustering; ignored with <see cref="PostgresConnectionString"/>.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>
    /// The cluster's PostgreSQL database (the silos' <c>ConnectionStrings:Postgres</c>): the client finds the
    /// gateways in its membership table. Null: localhost clustering on <see cref="GatewayPort"/>.
    /// </summary>
    public string? PostgresConnectionString { get; init; }

    public string ServiceId { get; init; } = "marketdata";
    public string ClusterId { get; init; } = "dev";
    public bool Verbose { get; init; }

    public const string DefaultExchange = "binance";

    /// <summary>The exchange of model-facing calls that take a bare symbol.</summary>
    public string Exchange { get; init; } = DefaultExchange;
}

/// <summary>A snapshot was refused because its data quality was below the caller's minimum; <see cref="Quality"/> says why.</summary>
public sealed class DataQualityException(Instrument instrument, QualityReport quality)
    : Exception($"The data quality of {instrument} is {quality.Score:F3}, below the minimum of {quality.MinimumRequired:F3}: "
        + (quality.Problems.Count == 0 ? "no single problem, every part a little short." : string.Join("; ", quality.Problems.Take(3))))
{
    public Instrument Instrument { get; } = instrument;
    public QualityReport Quality { get; } = quality;
}

/// <summary>A model output was rejected; <see cref="Errors"/> lists every reason. Nothing was stored.</summary>
public sealed class ModelOutputRejectedException(IReadOnlyList<string> errors)
    : ArgumentException("The model output was rejected: " + string.Join(" ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

internal static class LoggingExtensions
{
    public static ILoggingBuilder SetMinimumLevelForOrleans(this ILoggingBuilder logging, bool verbose)
    {
        if (!verbose) logging.ClearProviders();
        return logging;
    }
}
