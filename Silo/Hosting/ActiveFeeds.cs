using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.Options;

namespace MarketData.Silo.Hosting;

/// <summary>
/// Which feeds this silo starts: the replay when <c>Replay:Files</c> lists files or <c>--replay-db</c> set a window (an offline run),
/// otherwise the live Binance feed unless <c>Feeds:Binance:Enabled</c> is false.
/// </summary>
public sealed class ActiveFeeds(IOptions<BinanceFeedOptions> binance, IOptions<ReplayOptions> replay)
{
    public IReadOnlyList<(FeedKind Kind, string FeedId)> All
    {
        get
        {
            if (replay.Value.Files.Count > 0 || replay.Value.FromDatabase) return [(FeedKind.Replay, replay.Value.FeedId)];
            return binance.Value.Enabled ? [(FeedKind.BinanceSpot, binance.Value.FeedId)] : [];
        }
    }
}

/// <summary>
/// Starts the active feeds when the silo starts, and keeps asking until each has started: with in-memory
/// reminders nothing else would bring ingestion back after a silo restart.
/// </summary>
public sealed class FeedStarter(IGrainFactory grains, ActiveFeeds feeds, ILogger<FeedStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var (kind, feedId) in feeds.All)
        {
            for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
            {
                try
                {
                    await Actors.FeedGrains.Get(grains, kind, feedId).EnsureStartedAsync();
                    logger.LogInformation("Feed {FeedId} is running", feedId);
                    break;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(ex, "Starting feed {FeedId} failed (attempt {Attempt}); retrying", feedId, attempt);
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), stoppingToken);
                }
            }
        }
    }
}

/// <summary>
/// Starts the periodic <c>base-input</c> snapshot streams when <c>BaseInput:PublishInterval</c> is set: for the
/// configured symbols, or every symbol a feed of the primary exchange follows. It asks again every minute, which is
/// idempotent and brings publishing back after a grain moved or a feed registered late.
/// </summary>
public sealed class SnapshotPublisherStarter(IGrainFactory grains, Actors.LastValidOptions<Actors.BaseInputOptions> options, ILogger<SnapshotPublisherStarter> logger)
    : BackgroundService
{
    public static readonly TimeSpan RecheckEvery = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RecheckEvery);
        do
        {
            var current = options.Value;
            if (current.PublishInterval <= TimeSpan.Zero) continue;
            try
            {
                foreach (var symbol in await SymbolsAsync(current))
                    await grains.GetGrain<Inputs.IMarketDataGrain>(new Instruments.Instrument(current.Exchange, symbol).Key).EnsurePublishingAsync();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Starting the snapshot streams failed; retrying in {Delay}", RecheckEvery);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<IEnumerable<string>> SymbolsAsync(Actors.BaseInputOptions current)
    {
        if (current.PublishSymbols.Count > 0) return current.PublishSymbols.Select(s => s.Trim().ToUpperInvariant());
        var feeds = await grains.GetGrain<IFeedRegistryGrain>(0).GetFeedsAsync();
        return feeds.Where(f => f.Exchange == current.Exchange).SelectMany(f => f.Symbols).Distinct(StringComparer.Ordinal);
    }
}
