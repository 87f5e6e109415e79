using MarketData.Recording;
using MarketData.Storage;
using MarketData.Storage.TimeSeries;
using Microsoft.Extensions.Options;

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
        services.AddSingleton<IStoredMarketData>(sp => new StoredMarketDataReader(sp.GetRequiredService<TimeSeriesReader>()));
        services.AddSingleton<ICandleHistory>(sp => new StoredMarketDataReader(sp.GetRequiredService<TimeSeriesReader>()));
        // A replay of the database reads the archive and must not write its own replayed rows back into it.
        if (configuration["Replay:DatabaseFrom"] is not null) return services;

        services.AddOptions<TimeSeriesOptions>().Bind(configuration.GetSection(Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TimeSeriesOptions>, TimeSeriesOptionsValidator>();
        services.AddSingleton(sp => new TimeSeriesWriter(connectionString, sp.GetRequiredService<IOptions<TimeSeriesOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TimeSeriesWriter>>()));
        services.AddSingleton<TimeSeriesArchive>();
        services.AddSingleton<IMarketDataArchive>(sp => sp.GetRequiredService<TimeSeriesArchive>());
        services.AddHostedService<TimeSeriesWriterService>();
        return services;
    }
}

/// <summary>Starts the writer with the host and, on shutdown, commits what is queued (bounded by the host's shutdown timeout).</summary>
internal sealed class TimeSeriesWriterService(TimeSeriesWriter writer, ILogger<TimeSeriesWriterService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => writer.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await writer.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Shutdown came before the time-series queues were written: {Queued} rows not stored", writer.Counters.Tables.Sum(t => t.QueueDepth));
        }
        await writer.DisposeAsync();
    }
}

internal sealed class TimeSeriesOptionsValidator : IValidateOptions<TimeSeriesOptions>
{
    public ValidateOptionsResult Validate(string? name, TimeSeriesOptions options)
        => options.Validate() is { } error ? ValidateOptionsResult.Fail($"{ArchiveServices.Section}: {error}") : ValidateOptionsResult.Success;
}
