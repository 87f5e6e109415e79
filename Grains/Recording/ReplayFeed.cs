using MarketData.Candles;
using System.Collections.Concurrent;
using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Logging;

namespace MarketData.Recording;

/// <summary>
/// Plays recorded Binance frames into a sink exactly as the live feed would have published them: every frame
/// goes through <see cref="BinanceFrameParser"/>, REST depth lines become <see cref="DepthSnapshot"/>s of their
/// symbol, malformed frames are rejected (and interrupt their symbol's book), unknown ones are counted.
/// Event <c>ReceivedAt</c> times are the recorded receive times, so a replay is deterministic.
/// Pacing follows <see cref="ReplayOptions.Speed"/> on the injected <see cref="TimeProvider"/>.
/// A replay cannot fetch snapshots: <see cref="RequestSnapshot"/> only counts the request, and the book stays
/// resyncing until the recording holds a later snapshot line.
/// </summary>
public sealed class ReplayFeed : IMarketFeed
{
    /// <summary>Waits shorter than this are skipped and caught up later: timers cannot sleep for microseconds.</summary>
    private static readonly TimeSpan MinSleep = TimeSpan.FromMilliseconds(1);

    private const int MaxDetailedLogs = 10;

    private readonly ReplayOptions _options;
    private readonly string[] _files;
    private readonly IMarketEventSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FeedCounters _counters;
    private readonly FeedMeter _meter;
    private IDisposable? _metrics;
    private readonly BinanceFrameParser _parser = new();
    private readonly Dictionary<string, Instrument> _instruments = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _symbols = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _snapshotRequestsLogged = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private Task? _run;
    private RecordingReader? _reader;
    private volatile FeedState _state = FeedState.Stopped;
    private DateTime? _startedAt, _completedAt;
    private int _rejectLogs, _unknownLogs, _problemLogs;

    /// <summary>Frames played between waits for the sink to drain: far below any sink's capacity.</summary>
    internal const int FlushEvery = 16_384;

    public ReplayFeed(ReplayOptions options, IMarketEventSink sink, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FeedId);
        if (options.Files is null || options.Files.Count == 0) throw new ArgumentException("A replay needs at least one file (ReplayOptions.Files).", nameof(options));
        if (double.IsNaN(options.Speed) || options.Speed < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Speed, "ReplayOptions.Speed must be > 0 (1 = recorded pace), or 0 / infinity for as fast as possible.");
        if (!Instrument.TryCreate(options.Exchange, "BTCUSDT", out _, out var error)) throw new ArgumentException(error, nameof(options));
        _options = options;
        _files = [.. options.Files];
        _sink = sink;
        _time = time;
        _logger = logger;
        _counters = new FeedCounters(time);
        _meter = new FeedMeter(options.FeedId);
    }

    public string FeedId => _options.FeedId;

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
            _startedAt = _time.GetUtcNow().UtcDateTime;
            _state = FeedState.Connecting;
            _metrics = FeedMetrics.Register(FeedId, _counters);
            _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    public void RequestSnapshot(string symbol, string reason)
    {
        _counters.ResyncRequested();
        if (_snapshotRequestsLogged.TryAdd(symbol, 0))
            _logger.LogInformation("Replay {FeedId}: book {Symbol} asked for a snapshot ({Reason}); a replay cannot fetch one, so the book stays resyncing until the recording holds a later snapshot line for it",
                FeedId, symbol, reason);
    }

    /// <summary>A replay has no REST to ask: candles come only from the recorded trades.</summary>
    public Task<KlineFetch> FetchKlinesAsync(string symbol, Timeframe timeframe, long fromOpenTime, long toOpenTime, CancellationToken cancellationToken)
        => Task.FromResult(NoRestKlines(fromOpenTime, "a replay cannot fetch candles from REST; candles are built from the recorded trades"));

    /// <summary>What any replay answers a kline request: nothing, from source <c>replay</c> (candle grains then build candles from trades).</summary>
    internal static KlineFetch NoRestKlines(long fromOpenTime, string warning) => new()
    {
        Candles = [],
        Complete = false,
        NextOpenTime = fromOpenTime,
        Source = "replay",
        Warnings = [warning],
    };

    /// <summary>A replay knows only what it played: the book's mid, else nothing (it has no REST to ask).</summary>
    public Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid, CancellationToken cancellationToken)
        => Task.FromResult(PriceFromBook(bookMid));

    /// <summary>What any replay answers a price request: the book's mid, else nothing (it has no REST ticker).</summary>
    internal static LivePriceQuote PriceFromBook(long? bookMid) => bookMid is { } mid
        ? new LivePriceQuote { Price = mid, Source = "bookMid" }
        : new LivePriceQuote { Skipped = ["bookMid: no synced book", "a replay has no REST ticker to ask"] };

    public FeedStatus GetStatus()
    {
        string[] symbols;
        lock (_symbols) symbols = [.. _symbols];
        var state = _state; // read before CompletedAt, which is written before the state
        var status = _counters.ToStatus(FeedId, "replay", state, symbols, _startedAt) with
        {
            Connections = state == FeedState.Connected ? 1 : 0,
            LinesRead = _reader?.LinesRead ?? 0,
            CompletedAt = _completedAt,
        };
        // A finished replay has no current rate: report its average over the whole run instead.
        if (_completedAt is { } done && _startedAt is { } start && done > start)
            status = status with { MessagesPerSecond = status.MessagesReceived / (done - start).TotalSeconds };
        return status;
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
        try
        {
            var reader = new RecordingReader(_files, OnReaderProblem);
            _reader = reader;
            var sessions = reader.Plan();
            foreach (var session in sessions)
            {
                // Known symbols are followed from the start, so the API knows them before their first frame.
                if (session.Symbol is not null) TryGetInstrument(session.Symbol, out _);
                _logger.LogInformation("Replay {FeedId}: session {Symbol} ({Format}): {Files}", FeedId, session.Symbol ?? "(several symbols)", session.Format, string.Join(", ", session.Files));
            }
            _state = FeedState.Connected;

            var paced = !_options.IsMaxSpeed;
            long firstNs = 0, startTimestamp = 0;
            var first = true;
            var sinceFlush = 0;
            foreach (var frame in reader.ReadFrames())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (paced)
                {
                    if (first)
                    {
                        firstNs = frame.ReceivedAtNs;
                        startTimestamp = _time.GetTimestamp();
                        first = false;
                    }
                    else
                    {
                        var due = TimeSpan.FromTicks((long)((frame.ReceivedAtNs - firstNs) / 100 / _options.Speed));
                        var wait = due - _time.GetElapsedTime(startTimestamp);
                        if (wait >= MinSleep) await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    }
                }
                Play(frame);
                // Back-pressure: at full speed the reader outruns the streams; never let the sink fill up and drop.
                if (++sinceFlush == FlushEvery)
                {
                    sinceFlush = 0;
                    await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
            _completedAt = _time.GetUtcNow().UtcDateTime;
            _state = FeedState.Completed;
            _logger.LogInformation("Replay {FeedId}: completed: {Lines} lines, {Frames} frames, {Published} events published, {Rejected} rejected, {Unknown} unknown, {Malformed} malformed lines",
                FeedId, reader.LinesRead, reader.FramesRead, _counters.EventsPublished, _counters.Rejected, _counters.UnknownEvents, reader.MalformedLines);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _state = FeedState.Stopped;
        }
        catch (RecordingException ex)
        {
            _counters.Error(ex.Message);
            _state = FeedState.Failed;
            _logger.LogError("Replay {FeedId}: failed: {Error}", FeedId, ex.Message);
        }
        catch (Exception ex)
        {
            // A bug (or a sink that threw): report it on the status rather than losing it in a background task.
            _counters.Error($"Replay stopped: {ex.GetType().Name}: {ex.Message}");
            _state = FeedState.Failed;
            _logger.LogError(ex, "Replay {FeedId}: stopped unexpectedly", FeedId);
        }
    }

    /// <summary>Parses one recorded frame and publishes what it holds, as the live receive loop does.</summary>
    private void Play(in RecordedFrame frame)
    {
        _counters.MessageReceived(frame.Payload.Length);
        var receivedAt = frame.ReceivedAtUtc;
        var kind = _parser.Parse(frame.Payload.Span);
        // Counted by kind as the live feed does; no lag: the recorded event times are not now.
        _meter.MessageReceived(frame.Source == FrameSource.RestDepth ? FeedMessageKind.Other : BinanceSpotFeed.MessageKindOf(kind));

        if (frame.Source == FrameSource.RestDepth)
        {
            if (kind == BinanceFrameKind.DepthSnapshot && frame.Symbol is not null && TryGetInstrument(frame.Symbol, out var instrument))
            {
                _counters.SnapshotFetched();
                Publish(instrument, _parser.ToEvent(receivedAt));
            }
            else if (kind == BinanceFrameKind.DepthSnapshot)
            {
                Reject(null, receivedAt, $"REST depth snapshot without a known symbol ('{frame.Symbol}')");
            }
            else
            {
                Reject(frame.Symbol, receivedAt, kind == BinanceFrameKind.Malformed
                    ? $"REST depth body for {frame.Symbol}: {_parser.Error}"
                    : $"REST depth line for {frame.Symbol} is a {kind}, not a depth body");
            }
            return;
        }

        switch (kind)
        {
            case BinanceFrameKind.DepthUpdate:
            case BinanceFrameKind.DepthSnapshot:
            case BinanceFrameKind.Trade:
            case BinanceFrameKind.AggTrade:
            case BinanceFrameKind.BookTicker:
            case BinanceFrameKind.Ticker:
            case BinanceFrameKind.Kline:
                if (_parser.Symbol is { } symbol && TryGetInstrument(symbol, out var instrument))
                    Publish(instrument, _parser.ToEvent(receivedAt));
                else
                    Unknown($"{kind} frame without a usable symbol ('{_parser.Symbol}')");
                break;
            case BinanceFrameKind.Reply:
            case BinanceFrameKind.ServerShutdown:
                // Control traffic of the recorded connection: nothing to replay.
                break;
            case BinanceFrameKind.Malformed:
                Reject(_parser.Symbol, receivedAt, _parser.Error ?? "malformed frame");
                break;
            default:
                Unknown(_parser.Error ?? "unknown frame");
                break;
        }
    }

    private void Publish(Instrument instrument, MarketEvent marketEvent)
    {
        if (_sink.Publish(instrument, marketEvent)) _counters.EventPublished();
        else _counters.MessageDropped();
    }

    private void Reject(string? symbol, DateTime receivedAt, string reason)
    {
        _counters.MessageRejected();
        _counters.Error(reason);
        if (TakeLogSlot(ref _rejectLogs))
            _logger.LogWarning("Replay {FeedId}: rejected frame ({Symbol}): {Reason}{More}", FeedId, symbol ?? "symbol unknown", reason,
                _rejectLogs == MaxDetailedLogs ? " (further rejections are counted, not logged)" : "");
        // What follows for this symbol may not be contiguous with what came before: tell its book.
        if (symbol is not null && TryGetInstrument(symbol, out var instrument))
            Publish(instrument, new FeedInterrupted { Reason = $"malformed frame: {reason}", ReceivedAt = receivedAt });
    }

    private void Unknown(string reason)
    {
        _counters.UnknownEvent();
        if (TakeLogSlot(ref _unknownLogs))
            _logger.LogInformation("Replay {FeedId}: unknown frame: {Reason}{More}", FeedId, reason,
                _unknownLogs == MaxDetailedLogs ? " (further unknown frames are counted, not logged)" : "");
    }

    private void OnReaderProblem(string problem)
    {
        // A malformed recording line never reached the parser; it is still a rejected message of this feed.
        _counters.MessageRejected();
        _counters.Error(problem);
        if (TakeLogSlot(ref _problemLogs))
            _logger.LogWarning("Replay {FeedId}: skipped recording line: {Problem}{More}", FeedId, problem,
                _problemLogs == MaxDetailedLogs ? " (further bad lines are counted, not logged)" : "");
    }

    /// <summary>Logs the first few of each kind of problem with full context; the rest are only counted.</summary>
    private static bool TakeLogSlot(ref int logged)
    {
        if (logged >= MaxDetailedLogs) return false;
        logged++;
        return true;
    }

    private bool TryGetInstrument(string symbol, out Instrument instrument)
    {
        if (_instruments.TryGetValue(symbol, out instrument)) return true;
        if (!Instrument.TryCreate(_options.Exchange, symbol, out instrument, out _)) return false;
        _instruments[symbol] = instrument;
        lock (_symbols) _symbols.Add(instrument.Symbol);
        return true;
    }
}
