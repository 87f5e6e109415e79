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
using Orleans.Streams;

namespace MarketData.Silo.Hosting;

/// <summary>
/// The silo's Orleans providers and the services its grains need, in one place so that the host program
/// and the integration tests configure a silo the same way.
/// </summary>
public static class MarketDataSilo
{

    /// <summary>
    /// Embedded default: memory streams, memory grain storage, in-memory reminders. Clustering is left to the
    /// caller (localhost for the host program, the test cluster's own for tests).
    /// </summary>
    public static ISiloBuilder AddMarketDataProviders(this ISiloBuilder silo, IConfiguration configuration)
    {
        var streams = configuration.GetSection(StreamOptionsSection).Get<MarketStreamOptions>() ?? new MarketStreamOptions();
        silo.AddMemoryGrainStorageAsDefault()
            .AddMemoryGrainStorage(StorageNames.MarketData)
            .UseInMemoryReminderService()
            .AddMemoryStreams(MarketStreams.Provider, b =>
            {
                b.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                b.ConfigurePartitioning(streams.Queues);
                b.ConfigurePullingAgent(ob => ob.Configure(o => o.GetQueueMsgsTimerPeriod = streams.PollPeriod));
            })
            // Snapshot streams are subscribed to explicitly (by clients collecting training data): that needs pub-sub state.
            .AddMemoryGrainStorage("PubSubStore")
            .AddMemoryStreams(MarketStreams.SnapshotProvider);
        silo.Services.AddMarketDataServices(configuration);
        return silo;
    }

    public const string StreamOptionsSection = "Streams";

    /// <summary>Options bound for the grains: feeds, replay, books, recording.</summary>
    public static IServiceCollection AddMarketDataServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
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
        services.AddOptions<ReplayOptions>().Bind(configuration.GetSection("Replay"));
        services.AddOptions<OrderBookOptions>().Bind(configuration.GetSection(OrderBookOptions.Section));
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

/// <summary>Memory stream tuning, bound from <c>Streams</c>.</summary>
public sealed class MarketStreamOptions
{
    /// <summary>Stream queues (each a grain); instruments hash onto them.</summary>
    public int Queues { get; set; } = 8;

    /// <summary>How often pulling agents poll the queues. Orleans' default of 100 ms would dominate latency.</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>Fails silo start-up with every problem in <c>BaseInput</c>.</summary>
internal sealed class BaseInputOptionsValidator : IValidateOptions<BaseInputOptions>
{
    public ValidateOptionsResult Validate(string? name, BaseInputOptions options)
        => options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
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
