using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using System.Threading.Channels;
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

/// <summary>Feed watchdog tuning, bound from <c>Feeds:Watchdog</c>.</summary>
public sealed class FeedWatchdogOptions
{
    public const string Section = "Feeds:Watchdog";

    /// <summary>
    /// How often every silo asks the live feeds to be running. After a silo dies, this (not the one-minute reminder)
    /// bounds how long a feed it hosted stays down once membership has declared the silo dead.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest wait for one start call: a call routed to a silo that has just died may hang until Orleans' response
    /// timeout, and the next round must not wait for it.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The feed watchdog, one per silo: it starts the active feeds when the silo starts and then keeps asking live feeds
/// to run, every <see cref="FeedWatchdogOptions.Interval"/> and at once when membership declares a silo dead. The
/// call is idempotent and cheap on a running feed; on a feed whose silo died it activates the feed grain on a
/// survivor, so ingestion resumes within seconds of the death instead of at the next reminder tick (up to a
/// minute). A replay is started once and never again: a finished replay must not play twice.
/// </summary>
public sealed class FeedStarter(IGrainFactory grains, ActiveFeeds feeds, IOptions<FeedWatchdogOptions> options, TimeProvider time,
    IServiceProvider services, ILogger<FeedStarter> logger) : BackgroundService
{
    // Capacity one: kicks that arrive while a round is pending collapse into it.
    private readonly Channel<bool> _kicks = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly HashSet<string> _startedOnce = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var interval = settings.Interval > TimeSpan.Zero ? settings.Interval : TimeSpan.FromSeconds(5);
        // Present in a silo; absent only where this runs without one.
        if (services.GetService<IClusterMembershipService>() is { } membership) _ = WatchMembershipAsync(membership, stoppingToken);

        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var (kind, feedId) in feeds.All)
            {
                if (kind == FeedKind.Replay && _startedOnce.Contains(feedId)) continue;
                await EnsureStartedAsync(kind, feedId, settings.CallTimeout, stoppingToken);
            }
            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var tick = Task.Delay(interval, time, wait.Token);
                var kick = _kicks.Reader.WaitToReadAsync(wait.Token).AsTask();
                await Task.WhenAny(tick, kick);
                await wait.CancelAsync();
                while (_kicks.Reader.TryRead(out _)) { }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task EnsureStartedAsync(FeedKind kind, string feedId, TimeSpan callTimeout, CancellationToken stoppingToken)
    {
        try
        {
            await Actors.FeedGrains.Get(grains, kind, feedId).EnsureStartedAsync().WaitAsync(callTimeout, time, stoppingToken);
            var recovered = _failures.Remove(feedId, out var failed);
            if (_startedOnce.Add(feedId) || recovered)
                logger.LogInformation("Feed {FeedId} is running{After}", feedId, recovered ? $" (after {failed} failed attempts)" : "");
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Expected for a few rounds after a silo's death (calls to the dead silo fail until membership declares it):
            // one warning per outage, then quiet retries.
            var attempts = _failures[feedId] = _failures.GetValueOrDefault(feedId) + 1;
            if (attempts == 1) logger.LogWarning(ex, "Starting feed {FeedId} failed; retrying every round", feedId);
            else logger.LogDebug(ex, "Starting feed {FeedId} failed (attempt {Attempt})", feedId, attempts);
        }
    }

    /// <summary>Kicks a round as soon as a silo is declared dead: its feed grains can now activate elsewhere.</summary>
    private async Task WatchMembershipAsync(IClusterMembershipService membership, CancellationToken stoppingToken)
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).Select(m => m.SiloAddress).ToList();
                if (newlyDead.Count == 0) continue;
                logger.LogInformation("Silo(s) {Silos} declared dead: checking the feeds now", string.Join(", ", newlyDead));
                _kicks.Writer.TryWrite(true);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The periodic rounds still run; only the early kick is lost.
            logger.LogWarning(ex, "Watching cluster membership failed; the feed watchdog keeps its periodic rounds");
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
