using MarketData.Feeds;
using MarketData.Streaming;
using MarketData.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketData.Actors;

/// <summary>
/// What live and replay feed grains share: the grain owns one <see cref="IMarketFeed"/> engine and its
/// stream sink, keeps itself activated while the engine runs (a keep-alive grain timer), and registers a
/// reminder so that after a deactivation or a silo restart the next reminder tick starts ingestion again.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A grain's lifetime ends in OnDeactivateAsync, which disposes the engine, sink and token source.")]
public abstract class FeedGrainBase : Grain, IFeedGrain, IRemindable
{
    private const string KeepRunningReminder = "keep-running";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stopping = new();
    private readonly IClusterClient _client;
    private IMarketFeed? _feed;
    private OrleansStreamSink? _sink;
    private FeedCounters? _sinkCounters;
    private IDisposable? _sinkMetrics;
    private bool _reminderRegistered;

    protected FeedGrainBase(IClusterClient client, TimeProvider time, ILogger logger)
    {
        _client = client;
        Time = time;
        Logger = logger;
    }

    protected TimeProvider Time { get; }
    protected ILogger Logger { get; }
    protected string FeedId => this.GetPrimaryKeyString();

    protected abstract FeedKind Kind { get; }

    /// <summary>Live feeds keep a reminder; a replay that has finished must not start again.</summary>
    protected abstract bool UsesReminder { get; }

    protected abstract IMarketFeed CreateFeed(IMarketEventSink sink);

    public async Task EnsureStartedAsync()
    {
        if (UsesReminder && !_reminderRegistered)
        {
            await this.RegisterOrUpdateReminder(KeepRunningReminder, ReminderPeriod, ReminderPeriod);
            _reminderRegistered = true; // once per activation: books poke EnsureStarted often when silent
        }
        if (_feed is not null) return;

        _sinkCounters = new FeedCounters(Time);
        // The engine publishes from its own threads, outside grain turns: use the silo's hosted client.
        // Publishing stops when the host begins to shut down, before the silo deactivates the stream queues.
        var hostStopping = ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        _sink = new OrleansStreamSink(_client.GetStreamProvider(MarketStreams.Provider), FeedId, Kind, _sinkCounters, Time, Logger, hostStopping: hostStopping);
        _sinkMetrics = FeedMetrics.RegisterSink(FeedId, _sinkCounters);
        try
        {
            _feed = CreateFeed(_sink);
            await _feed.StartAsync(_stopping.Token);
        }
        catch
        {
            // Bad options or a failed start: release the sink now; the caller (start-up service, reminder) retries.
            if (_feed is not null) await _feed.DisposeAsync();
            _feed = null;
            await _sink.DisposeAsync();
            _sink = null;
            _sinkMetrics.Dispose();
            _sinkMetrics = null;
            throw;
        }
        await RegisterAsync();

        // Ingestion runs outside the grain's turns; this timer keeps the activation (and so the connections)
        // alive and keeps the registry's list current.
        this.RegisterGrainTimer(_ => RegisterAsync(), new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(5),
            Period = TimeSpan.FromSeconds(5),
            KeepAlive = true,
        });
        Logger.LogInformation("Feed {FeedId} ({Kind}) started", FeedId, Kind);
    }

    private async Task RegisterAsync()
    {
        if (_feed is null) return;
        var status = _feed.GetStatus();
        // Every tick, not only on change: the registry keeps its list in memory, so after it is collected
        // (or its silo dies) the next tick fills it again.
        await GrainFactory.GetGrain<IFeedRegistryGrain>(0).RegisterAsync(new FeedRegistration(FeedId, Kind, Exchange, status.Symbols));
    }

    protected virtual string Exchange => "binance";

    public Task<FeedStatus> GetStatusAsync()
    {
        if (_feed is null)
        {
            return Task.FromResult(new FeedStatus
            {
                FeedId = FeedId,
                Kind = Kind == FeedKind.Replay ? "replay" : "binance-spot",
                State = FeedState.Stopped,
                Symbols = [],
            });
        }
        var status = _feed.GetStatus();
        // The sink counts what reached the streams and what it had to drop.
        return Task.FromResult(status with
        {
            EventsPublished = _sinkCounters!.EventsPublished,
            Dropped = status.Dropped + _sinkCounters.Dropped,
            LastError = status.LastError ?? _sinkCounters.LastError,
            LastErrorAt = status.LastErrorAt ?? _sinkCounters.LastErrorAt,
        });
    }

    public async Task<KlineFetch> FetchKlinesAsync(string symbol, Candles.Timeframe timeframe, long fromOpenTime, long toOpenTime)
    {
        if (_feed is null) await EnsureStartedAsync();
        return await _feed!.FetchKlinesAsync(symbol, timeframe, fromOpenTime, toOpenTime, _stopping.Token);
    }

    public async Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid)
    {
        if (_feed is null) await EnsureStartedAsync();
        return await _feed!.GetLivePriceAsync(symbol, bookMid, _stopping.Token);
    }

    public Task RequestSnapshotAsync(string symbol, string reason)
    {
        _feed?.RequestSnapshot(symbol, reason);
        return Task.CompletedTask;
    }

    public Task RequestCoverageRefreshAsync(string symbol, string reason)
    {
        _feed?.RequestCoverageRefresh(symbol, reason);
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => EnsureStartedAsync();

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Logger.LogInformation("Feed {FeedId} deactivating ({Reason})", FeedId, reason);
        await _stopping.CancelAsync();
        if (_feed is not null) await _feed.DisposeAsync();
        if (_sink is not null) await _sink.DisposeAsync();
        _sinkMetrics?.Dispose();
        _stopping.Dispose();
        await base.OnDeactivateAsync(reason, cancellationToken);
    }
}
