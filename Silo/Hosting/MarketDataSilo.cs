using System.Net;
using MarketData.Actors;
using MarketData.Domain.ModelOutputs;
using MarketData.Exchanges.Binance;
using MarketData.Exchanges.Fallback;
using MarketData.Exchanges.Mexc;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Providers;
using Orleans.Streams;
using Orleans.Storage;

namespace MarketData.Silo.Hosting;

/// <summary>
/// The silo's Orleans providers and the services its grains need, in one place so that the host program
/// and the integration tests configure a silo the same way.
/// </summary>
public static class MarketDataSilo
{

    /// <summary>
    /// Streams are memory streams in both modes. Grain storage (default, <c>marketdata</c>, <c>PubSubStore</c>) and
    /// reminders are in memory in the embedded default, and in PostgreSQL (ADO.NET, invariant <c>Npgsql</c>) when
    /// <c>ConnectionStrings:Postgres</c> is set and the silo is not replaying (<see cref="PostgresSetup.ClusterConnectionString"/>). Clustering is left to the caller (<see cref="UseMarketDataClustering"/>
    /// for the host program, the test cluster's own for tests).
    /// </summary>
    public static ISiloBuilder AddMarketDataProviders(this ISiloBuilder silo, IConfiguration configuration)
    {
        var streams = configuration.GetSection(StreamOptionsSection).Get<MarketStreamOptions>() ?? new MarketStreamOptions();
        if (PostgresSetup.ClusterConnectionString(configuration) is { } postgres)
        {
            // Orleans' own binary serializer for grain state (the types carry [GenerateSerializer] and [Alias]): the default
            // JSON one made a pivot snapshot nearly twice the size, and ties stored state to CLR type names.
            void Storage(OptionsBuilder<AdoNetGrainStorageOptions> b) => b.Configure<Orleans.Serialization.Serializer>((o, serializer) =>
            {
                o.Invariant = PostgresSetup.Invariant;
                o.ConnectionString = postgres;
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            });
            silo.AddAdoNetGrainStorageAsDefault(Storage)
                .AddAdoNetGrainStorage(StorageNames.MarketData, Storage)
                .AddAdoNetGrainStorage(PubSubStore, Storage)
                .UseAdoNetReminderService(o => { o.Invariant = PostgresSetup.Invariant; o.ConnectionString = postgres; });
        }
        else
        {
            silo.AddMemoryGrainStorageAsDefault()
                .AddMemoryGrainStorage(StorageNames.MarketData)
                // Snapshot streams are subscribed to explicitly (by clients collecting training data): that needs pub-sub state.
                .AddMemoryGrainStorage(PubSubStore)
                .UseInMemoryReminderService();
        }
        var cluster = PostgresSetup.ClusterConnectionString(configuration) is not null;
        silo.Services.AddSingleton(new GrainStateDurability(OutlivesSilo: cluster));
        silo.AddMemoryStreams(MarketStreams.Provider, b =>
            {
                b.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                b.ConfigurePartitioning(streams.Queues);
                b.ConfigurePullingAgent(ob => ob.Configure(o => o.GetQueueMsgsTimerPeriod = streams.PollPeriod));
                b.ConfigureCacheEviction(ob => ob.Configure(streams.ApplyCacheEviction));
                if (cluster) StreamRetryBackoff.Apply(b, streams.RetryBackoffMax);
            })
            .AddMemoryStreams(MarketStreams.SnapshotProvider, b =>
            {
                b.ConfigureCacheEviction(ob => ob.Configure(streams.ApplyCacheEviction));
                if (cluster) StreamRetryBackoff.Apply(b, streams.RetryBackoffMax);
            });
        silo.Services.AddMarketDataServices(configuration);
        return silo;
    }

    /// <summary>Pub-sub state of explicitly subscribed streams (Orleans' well-known name).</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>
    /// The host program's clustering, from <c>Orleans:*</c>. Embedded default: localhost clustering, one silo. With
    /// <c>ConnectionStrings:Postgres</c>: membership in PostgreSQL, so several silos (on one machine: distinct
    /// <c>Orleans:SiloPort</c> and <c>Orleans:GatewayPort</c>) form one cluster, listening on
    /// <c>Orleans:AdvertisedIP</c>, with the failure detection of <see cref="MembershipTuning"/>.
    /// </summary>
    public static ISiloBuilder UseMarketDataClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var orleans = configuration.GetSection("Orleans");
        var siloPort = orleans.GetValue("SiloPort", 11111);
        var gatewayPort = orleans.GetValue("GatewayPort", 30000);
        var serviceId = orleans.GetValue("ServiceId", "marketdata") ?? "marketdata";
        var clusterId = orleans.GetValue("ClusterId", "dev") ?? "dev";
        if (PostgresSetup.ClusterConnectionString(configuration) is not { } postgres)
            return silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: serviceId, clusterId: clusterId);

        var advertisedText = orleans.GetValue("AdvertisedIP", "127.0.0.1");
        if (!IPAddress.TryParse(advertisedText, out var advertised))
            throw new InvalidOperationException($"Orleans:AdvertisedIP must be an IP address, not '{advertisedText}'.");
        silo.UseAdoNetClustering(o => { o.Invariant = PostgresSetup.Invariant; o.ConnectionString = postgres; })
            .Configure<ClusterOptions>(o => { o.ServiceId = serviceId; o.ClusterId = clusterId; })
            // Bound to the advertised address unless told to listen on every interface (containers).
            .ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: orleans.GetValue("ListenOnAnyHostAddress", false));
        var tuning = orleans.GetSection(MembershipTuning.Section);
        silo.Configure<ClusterMembershipOptions>(o => MembershipTuning.Apply(o, tuning));
        return silo;
    }

    public const string StreamOptionsSection = "Streams";

    /// <summary>Options bound for the grains: feeds, replay, books, recording.</summary>
    public static IServiceCollection AddMarketDataServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        // Book grains report their status here for the marketdata.books gauge (one registry per silo).
        services.TryAddSingleton<BookStatusRegistry>();
        var binance = configuration.GetSection(BinanceFeedOptions.SectionName);
        services.AddOptions<BinanceFeedOptions>().Configure(options =>
        {
            binance.Bind(options);
            // Binding appends configured list items to the defaults; configured lists replace them instead.
            if (binance.GetSection(nameof(options.Symbols)).Get<List<string>>() is { Count: > 0 } symbols) options.Symbols = symbols;
            if (binance.GetSection(nameof(options.Streams)).Get<List<string>>() is { Count: > 0 } streams) options.Streams = streams;
            configuration.GetSection(MexcOptions.SectionName).Bind(options.Mexc);
            configuration.GetSection(FallbackOptions.SectionName).Bind(options.Fallback);
        }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BinanceFeedOptions>, BinanceFeedOptionsValidator>();
        services.AddOptions<FeedWatchdogOptions>().Bind(configuration.GetSection(FeedWatchdogOptions.Section));
        services.AddOptions<ReplayOptions>().Bind(configuration.GetSection("Replay"));
        services.AddOptions<OrderBookOptions>().Bind(configuration.GetSection(OrderBookOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OrderBookOptions>, OrderBookOptionsValidator>();
        services.AddOptions<CandleOptions>().Bind(configuration.GetSection(CandleOptions.Section));
        services.AddOptions<CobOptions>().Bind(configuration.GetSection(CobOptions.Section));
        services.AddOptions<BaseInputOptions>().Bind(configuration.GetSection(BaseInputOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BaseInputOptions>, BaseInputOptionsValidator>();
        services.TryAddSingleton(typeof(LastValidOptions<>));
        services.AddOptions<ModelOutputLimits>().Bind(configuration.GetSection(ModelOutputLimits.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelOutputLimits>, ModelOutputLimitsValidator>();
        services.AddMarketDataArchive(configuration);
        var recordDirectory = configuration["Record:Directory"];
        if (!string.IsNullOrWhiteSpace(recordDirectory))
        {
            services.AddSingleton<IFrameRecorder>(sp => new FileFrameRecorder(recordDirectory,
                sp.GetRequiredService<IOptions<BinanceFeedOptions>>().Value.FeedId, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<FileFrameRecorder>()));
        }
        return services;
    }
}

/// <summary>
/// Failure detection of a PostgreSQL cluster, tuned so that a silo killed on this machine is declared dead within
/// about 6-10 s (Orleans' defaults take 15-60 s: 5 s probes, a membership table read every minute). Each key of
/// <c>Orleans:Membership</c> overrides the matching <see cref="ClusterMembershipOptions"/> property.
/// </summary>
public static class MembershipTuning
{
    public const string Section = "Membership";

    /// <summary>Initial probe timeout and period; Orleans adapts it per peer between half and four times this.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes that make a silo suspect it (and vote it dead).</summary>
    public const int NumMissedProbesLimit = 3;

    /// <summary>How often each silo re-reads the membership table (a safety net beside gossip).</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeat written to the table; three missed ones make an entry stale.</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);

    public static void Apply(ClusterMembershipOptions options, IConfiguration overrides)
    {
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
        overrides.Bind(options);
    }
}

/// <summary>Memory stream tuning, bound from <c>Streams</c>.</summary>
public sealed class MarketStreamOptions
{
    /// <summary>Stream queues (each a grain); instruments hash onto them.</summary>
    public int Queues { get; set; } = 8;

    /// <summary>How often pulling agents poll the queues. Orleans' default of 100 ms would dominate latency.</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Longest wait between a pulling agent's retries of a failed queue read or event delivery, in a PostgreSQL
    /// cluster (<see cref="StreamRetryBackoff"/>). Orleans waits 10-20 s after a failed read and up to 30 s between
    /// deliveries, which after a silo's death would hold the books' streams for that long.
    /// </summary>
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long delivered stream events stay in the pulling agents' cache at least / at most. Orleans keeps them 5 to 30
    /// minutes for rewinding subscribers; ours never rewind, and at market rates that cache grew by about 5 MB a minute per
    /// symbol (found by the soak). An event still undelivered at <see cref="CacheMaxAge"/> is lost to its consumer, which
    /// sees the gap in the batch sequence and resyncs.
    /// </summary>
    public TimeSpan CacheMinTime { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan CacheMaxAge { get; set; } = TimeSpan.FromMinutes(1);

    internal void ApplyCacheEviction(StreamCacheEvictionOptions options)
    {
        options.DataMinTimeInCache = CacheMinTime;
        options.DataMaxAgeInCache = CacheMaxAge > CacheMinTime ? CacheMaxAge : CacheMinTime;
    }
}

/// <summary>
/// Retry spacing of the pulling agents in a cluster: exponential from 50 ms up to a ceiling of about a second.
/// A memory stream queue lives in a grain; when its silo dies, the agents' reads and the deliveries to book grains
/// of that silo fail until membership declares it dead. Orleans' own backoff (10-20 s for reads, 1-30 s for
/// deliveries) would then delay the books by up to that much after the cluster has already recovered; retrying
/// within a second costs a few failed local calls during the outage.
/// </summary>
internal sealed class StreamRetryBackoff(TimeSpan max) : IQueueReaderBackoffProvider, IMessageDeliveryBackoffProvider
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(50);

    public static void Apply(ISiloPersistentStreamConfigurator streams, TimeSpan max)
    {
        var ceiling = max > Min ? max : Min;
        streams.ConfigureBackoffProvider((_, _) => (IQueueReaderBackoffProvider)new StreamRetryBackoff(ceiling));
        streams.ConfigureBackoffProvider((_, _) => (IMessageDeliveryBackoffProvider)new StreamRetryBackoff(ceiling));
    }

    public TimeSpan Next(int attempt)
    {
        var doubled = Min.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 16));
        return TimeSpan.FromMilliseconds(Math.Min(doubled, max.TotalMilliseconds));
    }
}

/// <summary>Fails silo start-up with every problem in <c>BaseInput</c>.</summary>
internal sealed class BaseInputOptionsValidator : IValidateOptions<BaseInputOptions>
{
    public ValidateOptionsResult Validate(string? name, BaseInputOptions options)
        => options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
}

/// <summary>Fails silo start-up with every problem in <c>Books</c>, one sentence each.</summary>
internal sealed class OrderBookOptionsValidator : IValidateOptions<OrderBookOptions>
{
    public ValidateOptionsResult Validate(string? name, OrderBookOptions options)
        => options.Validate() is { Count: > 0 } errors
            ? ValidateOptionsResult.Fail($"Invalid {OrderBookOptions.Section} settings: " + string.Join(" ", errors))
            : ValidateOptionsResult.Success;
}

/// <summary>Fails silo start-up with the problem in <c>ModelOutputs</c>.</summary>
internal sealed class ModelOutputLimitsValidator : IValidateOptions<ModelOutputLimits>
{
    public ValidateOptionsResult Validate(string? name, ModelOutputLimits options)
        => options.Validate() is { } error ? ValidateOptionsResult.Fail($"{ModelOutputLimits.SectionName}: {error}") : ValidateOptionsResult.Success;
}

/// <summary>Fails silo start-up with every problem in <c>Feeds:Binance</c>, one sentence each.</summary>
internal sealed class BinanceFeedOptionsValidator : IValidateOptions<BinanceFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, BinanceFeedOptions options)
    {
        if (!options.Enabled) return ValidateOptionsResult.Success;
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(e => $"{BinanceFeedOptions.SectionName}: {e}"));
    }
}
