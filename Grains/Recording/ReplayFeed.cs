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
public sealed class ReplayFeed : ReplayFeedBase
{
    private const int MaxDetailedLogs = 10;

    private readonly string[] _files;
    private readonly FeedMeter _meter;
    private readonly BinanceFrameParser _parser = new();
    private readonly Dictionary<string, Instrument> _instruments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _snapshotRequestsLogged = new(StringComparer.Ordinal);
    private RecordingReader? _reader;
    private int _rejectLogs, _unknownLogs, _problemLogs;

    public ReplayFeed(ReplayOptions options, IMarketEventSink sink, TimeProvider time, ILogger logger) : base(options, sink, time, logger)
    {
        if (options.Files is null || options.Files.Count == 0) throw new ArgumentException("A replay needs at least one file (ReplayOptions.Files).", nameof(options));
        if (!Instrument.TryCreate(options.Exchange, "BTCUSDT", out _, out var error)) throw new ArgumentException(error, nameof(options));
        _files = [.. options.Files];
        _meter = new FeedMeter(options.FeedId);
    }

    protected override string Kind => "replay";

    protected override string NoRestKlinesWarning => "a replay cannot fetch candles from REST; candles are built from the recorded trades";

    public override void RequestSnapshot(string symbol, string reason)
    {
        base.RequestSnapshot(symbol, reason);
        if (_snapshotRequestsLogged.TryAdd(symbol, 0))
            Logger.LogInformation("Replay {FeedId}: book {Symbol} asked for a snapshot ({Reason}); a replay cannot fetch one, so the book stays resyncing until the recording holds a later snapshot line for it",
                FeedId, symbol, reason);
    }

    protected override FeedStatus Decorate(FeedStatus status) => status with { LinesRead = _reader?.LinesRead ?? 0 };

    protected override async Task PlayAsync(CancellationToken cancellationToken)
    {
        var reader = new RecordingReader(_files, OnReaderProblem);
        _reader = reader;
        var sessions = reader.Plan();
        foreach (var session in sessions)
        {
            // Known symbols are followed from the start, so the API knows them before their first frame.
            if (session.Symbol is not null) TryGetInstrument(session.Symbol, out _);
            Logger.LogInformation("Replay {FeedId}: session {Symbol} ({Format}): {Files}", FeedId, session.Symbol ?? "(several symbols)", session.Format, string.Join(", ", session.Files));
        }
        MarkConnected();

        foreach (var frame in reader.ReadFrames())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await PaceAsync(frame.ReceivedAtNs / 100, cancellationToken).ConfigureAwait(false);
            Play(frame);
            await AfterEventAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void LogCompleted()
    {
        var reader = _reader!;
        Logger.LogInformation("Replay {FeedId}: completed: {Lines} lines, {Frames} frames, {Published} events published, {Rejected} rejected, {Unknown} unknown, {Malformed} malformed lines",
            FeedId, reader.LinesRead, reader.FramesRead, Counters.EventsPublished, Counters.Rejected, Counters.UnknownEvents, reader.MalformedLines);
    }

    /// <summary>A recording that cannot be read is expected (a user's file); anything else is a bug or a sink that threw.</summary>
    protected override (string Error, bool Expected) DescribeFailure(Exception ex)
        => ex is RecordingException ? (ex.Message, true) : base.DescribeFailure(ex);

    /// <summary>Parses one recorded frame and publishes what it holds, as the live receive loop does.</summary>
    private void Play(in RecordedFrame frame)
    {
        Counters.MessageReceived(frame.Payload.Length);
        var receivedAt = frame.ReceivedAtUtc;
        var kind = _parser.Parse(frame.Payload.Span);
        // Counted by kind as the live feed does; no lag: the recorded event times are not now.
        _meter.MessageReceived(frame.Source == FrameSource.RestDepth ? FeedMessageKind.Other : BinanceSpotFeed.MessageKindOf(kind));

        if (frame.Source == FrameSource.RestDepth)
        {
            if (kind == BinanceFrameKind.DepthSnapshot && frame.Symbol is not null && TryGetInstrument(frame.Symbol, out var instrument))
            {
                Counters.SnapshotFetched();
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

    private void Reject(string? symbol, DateTime receivedAt, string reason)
    {
        Counters.MessageRejected();
        Counters.Error(reason);
        if (TakeLogSlot(ref _rejectLogs))
            Logger.LogWarning("Replay {FeedId}: rejected frame ({Symbol}): {Reason}{More}", FeedId, symbol ?? "symbol unknown", reason,
                _rejectLogs == MaxDetailedLogs ? " (further rejections are counted, not logged)" : "");
        // What follows for this symbol may not be contiguous with what came before: tell its book.
        if (symbol is not null && TryGetInstrument(symbol, out var instrument))
            Publish(instrument, new FeedInterrupted { Reason = $"malformed frame: {reason}", ReceivedAt = receivedAt });
    }

    private void Unknown(string reason)
    {
        Counters.UnknownEvent();
        if (TakeLogSlot(ref _unknownLogs))
            Logger.LogInformation("Replay {FeedId}: unknown frame: {Reason}{More}", FeedId, reason,
                _unknownLogs == MaxDetailedLogs ? " (further unknown frames are counted, not logged)" : "");
    }

    private void OnReaderProblem(string problem)
    {
        // A malformed recording line never reached the parser; it is still a rejected message of this feed.
        Counters.MessageRejected();
        Counters.Error(problem);
        if (TakeLogSlot(ref _problemLogs))
            Logger.LogWarning("Replay {FeedId}: skipped recording line: {Problem}{More}", FeedId, problem,
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
        if (!Instrument.TryCreate(Options.Exchange, symbol, out instrument, out _)) return false;
        _instruments[symbol] = instrument;
        Follow(instrument.Symbol);
        return true;
    }
}
