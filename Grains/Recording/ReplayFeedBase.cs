using MarketData.Candles;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Logging;

namespace MarketData.Recording;

/// <summary>
/// What every replay shares: the lifecycle (start once, play in the background, stop on dispose, never fault),
/// the state a status reports (connecting, connected, completed, stopped, failed), pacing by event time at
/// <see cref="ReplayOptions.Speed"/>, back-pressure on the sink, and the answers of a feed without REST.
/// A replay supplies only how it reads its source and publishes what it holds (<see cref="PlayAsync"/>).
/// </summary>
public abstract class ReplayFeedBase : IMarketFeed
{
    /// <summary>Waits shorter than this are skipped and caught up later: timers cannot sleep for microseconds.</summary>
    private static readonly TimeSpan MinSleep = TimeSpan.FromMilliseconds(1);

    /// <summary>Events played between waits for the sink to drain: far below any sink's capacity.</summary>
    internal const int FlushEvery = 16_384;

    private readonly SortedSet<string> _symbols = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private IDisposable? _metrics;
    private Task? _run;
    private volatile FeedState _state = FeedState.Stopped;
    private DateTime? _startedAt, _completedAt;
    private long _firstEventTicks, _startTimestamp;
    private bool _paceStarted;
    private int _sinceFlush;

    protected ReplayFeedBase(ReplayOptions options, IMarketEventSink sink, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FeedId);
        if (double.IsNaN(options.Speed) || options.Speed < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Speed, "ReplayOptions.Speed must be > 0 (1 = recorded pace), or 0 / infinity for as fast as possible.");
        Options = options;
        Sink = sink;
        Time = time;
        Logger = logger;
        Counters = new FeedCounters(time);
    }

    protected ReplayOptions Options { get; }
    protected IMarketEventSink Sink { get; }
    protected TimeProvider Time { get; }
    protected ILogger Logger { get; }
    protected FeedCounters Counters { get; }

    /// <summary>The status's feed kind: <c>replay</c> for recordings, <c>replay-db</c> for stored data.</summary>
    protected abstract string Kind { get; }

    /// <summary>Why a kline request gets no candles from this replay.</summary>
    protected abstract string NoRestKlinesWarning { get; }

    public string FeedId => Options.FeedId;

    /// <summary>Completes when the replay has ended (completed, failed or stopped). Never faults.</summary>
    public Task Completion => _run ?? Task.CompletedTask;

    /// <summary>Starts playing in the background and returns. The token only guards the start; <see cref="DisposeAsync"/> stops playback.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_run is not null) return Task.CompletedTask;
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _startedAt = Time.GetUtcNow().UtcDateTime;
            _state = FeedState.Connecting;
            _metrics = FeedMetrics.Register(FeedId, Counters);
            _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>A replay cannot fetch snapshots: the request is counted.</summary>
    public virtual void RequestSnapshot(string symbol, string reason) => Counters.ResyncRequested();

    /// <summary>A replay cannot fetch a coverage refresh either (its books do not ask one): a request is counted and ignored.</summary>
    public void RequestCoverageRefresh(string symbol, string reason) => Counters.CoverageRefreshRequested();

    /// <summary>A replay has no REST to ask: candles come only from the replayed trades.</summary>
    public Task<KlineFetch> FetchKlinesAsync(string symbol, Timeframe timeframe, long fromOpenTime, long toOpenTime, CancellationToken cancellationToken)
        => Task.FromResult(new KlineFetch
        {
            Candles = [],
            Complete = false,
            NextOpenTime = fromOpenTime,
            Source = "replay",
            Warnings = [NoRestKlinesWarning],
        });

    /// <summary>A replay knows only what it played: the book's mid, else nothing (it has no REST ticker).</summary>
    public Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid, CancellationToken cancellationToken)
        => Task.FromResult(bookMid is { } mid
            ? new LivePriceQuote { Price = mid, Source = "bookMid" }
            : new LivePriceQuote { Skipped = ["bookMid: no synced book", "a replay has no REST ticker to ask"] });

    public FeedStatus GetStatus()
    {
        string[] symbols;
        lock (_symbols) symbols = [.. _symbols];
        var state = _state; // read before CompletedAt, which is written before the state
        var status = Counters.ToStatus(FeedId, Kind, state, symbols, _startedAt) with
        {
            Connections = state == FeedState.Connected ? 1 : 0,
            CompletedAt = _completedAt,
        };
        // A finished replay has no current rate: report its average over the whole run instead.
        if (_completedAt is { } done && _startedAt is { } start && done > start)
            status = status with { MessagesPerSecond = status.MessagesReceived / (done - start).TotalSeconds };
        return Decorate(status);
    }

    /// <summary>Adds what only this replay knows to its status.</summary>
    protected virtual FeedStatus Decorate(FeedStatus status) => status;

    public async ValueTask DisposeAsync()
    {
        Task? run;
        lock (_gate)
        {
            if (!_stop.IsCancellationRequested) _stop.Cancel();
            run = _run;
        }
        if (run is not null) await run.ConfigureAwait(false);
        _metrics?.Dispose();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Reads the source and publishes what it holds, calling <see cref="MarkConnected"/> once the source is open,
    /// <see cref="PaceAsync"/> before each event and <see cref="AfterEventAsync"/> after it. Returns when the source
    /// is exhausted; throws to fail the replay.
    /// </summary>
    protected abstract Task PlayAsync(CancellationToken cancellationToken);

    /// <summary>Logs the end of a replay that played its whole source.</summary>
    protected abstract void LogCompleted();

    /// <summary>What a failure says on the status, and whether it is expected (logged without a stack trace).</summary>
    protected virtual (string Error, bool Expected) DescribeFailure(Exception ex) => ($"Replay stopped: {ex.GetType().Name}: {ex.Message}", false);

    /// <summary>Adds a symbol to those the status reports.</summary>
    protected void Follow(string symbol)
    {
        lock (_symbols) _symbols.Add(symbol);
    }

    protected void MarkConnected() => _state = FeedState.Connected;

    /// <summary>
    /// Waits until the event at <paramref name="eventTicks"/> (any clock in 100 ns ticks) is due: the first event plays
    /// at once, each later one when its distance from the first, divided by the speed, has passed.
    /// </summary>
    protected async ValueTask PaceAsync(long eventTicks, CancellationToken cancellationToken)
    {
        if (Options.IsMaxSpeed) return;
        if (!_paceStarted)
        {
            _paceStarted = true;
            _firstEventTicks = eventTicks;
            _startTimestamp = Time.GetTimestamp();
            return;
        }
        var due = TimeSpan.FromTicks((long)((eventTicks - _firstEventTicks) / Options.Speed));
        var wait = due - Time.GetElapsedTime(_startTimestamp);
        if (wait >= MinSleep) await Task.Delay(wait, Time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Back-pressure: at full speed a replay outruns the streams; never let the sink fill up and drop.</summary>
    protected async ValueTask AfterEventAsync(CancellationToken cancellationToken)
    {
        if (++_sinceFlush < FlushEvery) return;
        _sinceFlush = 0;
        await Sink.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes one event, counting it as published or dropped.</summary>
    protected void Publish(Instrument instrument, MarketEvent marketEvent)
    {
        if (Sink.Publish(instrument, marketEvent)) Counters.EventPublished();
        else Counters.MessageDropped();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PlayAsync(cancellationToken).ConfigureAwait(false);
            await Sink.FlushAsync(cancellationToken).ConfigureAwait(false);
            _completedAt = Time.GetUtcNow().UtcDateTime;
            _state = FeedState.Completed;
            LogCompleted();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _state = FeedState.Stopped;
        }
        catch (Exception ex)
        {
            // A bad source, a lost database or a bug: report it on the status, never lose it in a background task.
            var (error, expected) = DescribeFailure(ex);
            Counters.Error(error);
            _state = FeedState.Failed;
            if (expected) Logger.LogError("Replay {FeedId}: failed: {Error}", FeedId, error);
            else Logger.LogError(ex, "Replay {FeedId}: stopped: {Error}", FeedId, error);
        }
    }
}
