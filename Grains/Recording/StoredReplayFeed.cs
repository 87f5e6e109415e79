using MarketData.Candles;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Logging;

namespace MarketData.Recording;

/// <summary>One stored event of an instrument at its exchange time (Unix ms).</summary>
public readonly record struct StoredMarketEvent(Instrument Instrument, long Time, MarketEvent Event);

/// <summary>Market data kept in storage, read back in time order for a replay.</summary>
public interface IStoredMarketData
{
    /// <summary>Trades and stored book states of every instrument with times in [<paramref name="fromMs"/>, <paramref name="toMs"/>), in time order.</summary>
    IAsyncEnumerable<StoredMarketEvent> ReadAsync(long fromMs, long toMs, CancellationToken cancellationToken);
}

/// <summary>
/// Plays trades and book states stored in the database (<c>--replay-db FROM TO</c>) through the same sink, streams and
/// grains as a live feed. Book states are whole books (<see cref="DepthSnapshot.StateTime"/> set): each replaces the
/// book, which stays as it was between them. Paced by event time at <see cref="ReplayOptions.Speed"/>; at full speed
/// the sink is drained every few thousand events so nothing is dropped.
/// </summary>
public sealed class StoredReplayFeed : IMarketFeed
{
    private static readonly TimeSpan MinSleep = TimeSpan.FromMilliseconds(1);

    private readonly ReplayOptions _options;
    private readonly IStoredMarketData _source;
    private readonly IMarketEventSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FeedCounters _counters;
    private IDisposable? _metrics;
    private readonly SortedSet<string> _symbols = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private Task? _run;
    private volatile FeedState _state = FeedState.Stopped;
    private DateTime? _startedAt, _completedAt;

    public StoredReplayFeed(ReplayOptions options, IStoredMarketData source, IMarketEventSink sink, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DatabaseFrom is not { } from || options.DatabaseTo is not { } to)
            throw new ArgumentException("A replay from the database needs Replay:DatabaseFrom and Replay:DatabaseTo.", nameof(options));
        if (to <= from) throw new ArgumentException($"Replay:DatabaseTo ({to:O}) must be after Replay:DatabaseFrom ({from:O}).", nameof(options));
        if (double.IsNaN(options.Speed) || options.Speed < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Speed, "ReplayOptions.Speed must be > 0, or 0 for as fast as possible.");
        _options = options;
        _source = source;
        _sink = sink;
        _time = time;
        _logger = logger;
        _counters = new FeedCounters(time);
    }

    public string FeedId => _options.FeedId;

    /// <summary>Completes when the replay has ended. Never faults.</summary>
    public Task Completion => _run ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_run is not null) return Task.CompletedTask;
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _startedAt = _time.GetUtcNow().UtcDateTime;
            _state = FeedState.Connecting;
            _metrics = FeedMetrics.Register(FeedId, _counters);
            _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>The stored states arrive on their own; there is nothing to fetch.</summary>
    public void RequestSnapshot(string symbol, string reason) => _counters.ResyncRequested();

    public Task<KlineFetch> FetchKlinesAsync(string symbol, Timeframe timeframe, long fromOpenTime, long toOpenTime, CancellationToken cancellationToken)
        => Task.FromResult(ReplayFeed.NoRestKlines(fromOpenTime, "a replay from the database has no REST; candles are built from the stored trades"));

    public Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid, CancellationToken cancellationToken)
        => Task.FromResult(ReplayFeed.PriceFromBook(bookMid));

    public FeedStatus GetStatus()
    {
        string[] symbols;
        lock (_symbols) symbols = [.. _symbols];
        var state = _state;
        return _counters.ToStatus(FeedId, "replay-db", state, symbols, _startedAt) with
        {
            Connections = state == FeedState.Connected ? 1 : 0,
            CompletedAt = _completedAt,
        };
    }

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
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var from = _options.DatabaseFrom!.Value.ToUnixTimeMilliseconds();
        var to = _options.DatabaseTo!.Value.ToUnixTimeMilliseconds();
        try
        {
            _state = FeedState.Connected;
            _logger.LogInformation("Replay {FeedId}: playing stored trades and book states from {From:O} to {To:O}", FeedId, _options.DatabaseFrom, _options.DatabaseTo);
            var paced = !_options.IsMaxSpeed;
            long first = -1, startTimestamp = 0, sinceFlush = 0;
            await foreach (var stored in _source.ReadAsync(from, to, cancellationToken).ConfigureAwait(false))
            {
                if (paced)
                {
                    if (first < 0)
                    {
                        first = stored.Time;
                        startTimestamp = _time.GetTimestamp();
                    }
                    else
                    {
                        var due = TimeSpan.FromMilliseconds((stored.Time - first) / _options.Speed);
                        var wait = due - _time.GetElapsedTime(startTimestamp);
                        if (wait >= MinSleep) await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    }
                }
                _counters.MessageReceived(0);
                lock (_symbols) _symbols.Add(stored.Instrument.Symbol);
                if (_sink.Publish(stored.Instrument, stored.Event)) _counters.EventPublished();
                else _counters.MessageDropped();
                if (++sinceFlush == ReplayFeed.FlushEvery)
                {
                    sinceFlush = 0;
                    await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
            _completedAt = _time.GetUtcNow().UtcDateTime;
            _state = FeedState.Completed;
            _logger.LogInformation("Replay {FeedId}: completed: {Events} events published, {Dropped} dropped", FeedId, _counters.EventsPublished, _counters.Dropped);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _state = FeedState.Stopped;
        }
        catch (Exception ex)
        {
            // The database went away or a bug: report it on the status, never lose it in a background task.
            _counters.Error($"Replay from the database stopped: {ex.GetType().Name}: {ex.Message}");
            _state = FeedState.Failed;
            _logger.LogError(ex, "Replay {FeedId}: stopped", FeedId);
        }
    }
}
