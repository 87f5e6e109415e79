using MarketData.Recording;
using MarketData.Storage;
using MarketData.Storage.TimeSeries;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace MarketData.Silo.Hosting;

/// <summary>
/// The time-series archive: with <c>ConnectionStrings:Postgres</c> set, grains hand trades, per-second aggregates, book
/// snapshots, closed candles and model outputs to a <see cref="TimeSeriesWriter"/> (binary COPY in batches), candle
/// caches restore from it, and <c>--replay-db</c> reads from it. Without a connection string nothing is registered and
/// the grains keep everything in memory, as before.
/// </summary>
public static class ArchiveServices
{
    public const string Section = "TimeSeries";

    public static IServiceCollection AddMarketDataArchive(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BookArchiveOptions>().Bind(configuration.GetSection(Section));
        var connectionString = configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString)) return services;

        services.AddSingleton(_ => new TimeSeriesReader(connectionString));
        services.AddSingleton<IStoredMarketData>(sp => new StoredMarketDataReader(sp.GetRequiredService<TimeSeriesReader>(), sp.GetRequiredService<TimeProvider>()));
        var replayFrom = configuration.GetValue<DateTimeOffset?>("Replay:DatabaseFrom");
        // Candle caches restore what was known where they start: now, or the start of a replay of the database. A
        // replay of files plays another time altogether, so its caches start empty.
        if (configuration["Replay:Files:0"] is null)
            services.AddSingleton<ICandleHistory>(sp => new StoredMarketDataReader(sp.GetRequiredService<TimeSeriesReader>(), sp.GetRequiredService<TimeProvider>(), replayFrom?.ToUnixTimeMilliseconds() - 1));
        // A replay of the database reads the archive and must not write its own replayed rows back into it.
        if (replayFrom is not null) return services;

        services.AddOptions<TimeSeriesOptions>().Bind(configuration.GetSection(Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TimeSeriesOptions>, TimeSeriesOptionsValidator>();
        services.AddSingleton(sp => new TimeSeriesWriter(connectionString, sp.GetRequiredService<IOptions<TimeSeriesOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TimeSeriesWriter>>()));
        services.AddSingleton<TimeSeriesArchive>();
        services.AddSingleton<IMarketDataArchive>(sp => sp.GetRequiredService<TimeSeriesArchive>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, TimeSeriesWriterLifecycle>();
        return services;
    }
}

/// <summary>
/// Runs the writer inside the silo's lifecycle: started before grains can run, stopped only after they are deactivated,
/// so the rows grains produce while the silo stops still reach the database. The final flush is bounded by the silo's
/// stop (and the writer's own shutdown timeout); what it cannot write is counted and logged, never silently lost.
/// </summary>
internal sealed class TimeSeriesWriterLifecycle(TimeSeriesWriter writer, ILogger<TimeSeriesWriterLifecycle> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(TimeSeriesWriterLifecycle), ServiceLifecycleStage.RuntimeServices, writer.StartAsync, StopAsync);

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await writer.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("The silo stopped before the time-series queues were written: {Queued} rows not stored", writer.Counters.Tables.Sum(t => t.QueueDepth));
        }
        await writer.DisposeAsync();
    }
}

internal sealed class TimeSeriesOptionsValidator : IValidateOptions<TimeSeriesOptions>
{
    public ValidateOptionsResult Validate(string? name, TimeSeriesOptions options)
        => options.Validate() is { } error ? ValidateOptionsResult.Fail($"{ArchiveServices.Section}: {error}") : ValidateOptionsResult.Success;
}
