using MarketData.Candles;
using MarketData.Exchanges.Fallback;
using MarketData.Exchanges.Mexc;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.Logging;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// The live Binance spot feed: combined-stream WebSocket connections (symbols sharded by
/// <see cref="BinanceFeedOptions.MaxStreamsPerConnection"/> and <see cref="BinanceFeedOptions.MaxUrlLength"/>), reconnect with backoff, make-before-break
/// replacement before the 24 h cut-off, heartbeats for quiet symbols, and REST depth snapshots on request
/// under a weight budget. Plain C#: the owning grain starts it and forwards books' snapshot requests.
/// </summary>
public sealed class BinanceSpotFeed : IMarketFeed
{
    private readonly BinanceFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IFrameRecorder? _recorder;
    private readonly FeedCounters _counters;
    private readonly FeedMeter _meter;
    private IDisposable? _metrics;
    private readonly Dictionary<string, SymbolRoute> _routes = new(StringComparer.Ordinal);
    private readonly List<ConnectionShard> _shards = [];
    private readonly RestWeightBudget _budget;
    private readonly BinanceRestClient _rest;
    private readonly SnapshotScheduler _snapshots;
    private readonly MexcRestClient? _mexc;
    private readonly ExchangeFallbackPolicy _fallback;
    private readonly KlineFetcher _klines;
    private readonly LivePriceResolver _prices;
    private readonly LogLimiter _warnings;
    private readonly string[] _symbols;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private ITimer? _heartbeat;
    private DateTime? _startedAt;
    private int _state; // 0 new, 1 running, 2 disposed

    public BinanceSpotFeed(BinanceFeedOptions options, IMarketEventSink sink, TimeProvider time, ILogger logger,
        IFrameRecorder? recorder = null, HttpMessageHandler? httpHandler = null, HttpMessageHandler? mexcHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        options.ThrowIfInvalid();
        _options = options;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _recorder = recorder;
        _counters = new FeedCounters(time);
        _meter = new FeedMeter(options.FeedId);
        _warnings = new LogLimiter(logger, time, TimeSpan.FromMinutes(1));
        _budget = new RestWeightBudget(options.RestWeightLimitPerMinute, time);
        _rest = new BinanceRestClient(new Uri(options.RestBaseUrl.TrimEnd('/') + "/"), _budget, httpHandler);
        _rest.RateLimited += (status, retryAfter) =>
        {
            _counters.RateLimited();
            _warnings.Warn("rest-rate-limit", $"Binance REST refused with HTTP {(int)status}; all REST blocked for {retryAfter?.TotalSeconds ?? 60} s.");
        };
        _snapshots = new SnapshotScheduler(_rest, _budget, options, time, logger, _counters, recorder);
        _mexc = options.Mexc.Enabled ? new MexcRestClient(options.Mexc, time, mexcHandler) : null;
        _fallback = new ExchangeFallbackPolicy(options.Fallback, time, ExchangeFallbackPolicy.BinanceProbe(_rest));
        _fallback.Switched += change =>
        {
            _counters.Error($"REST source {change.From} -> {change.To}: {change.Reason}");
            _logger.LogWarning("Binance feed {FeedId}: REST source switched from {From} to {To}: {Reason}", options.FeedId, change.From, change.To, change.Reason);
        };
        _klines = new KlineFetcher(_rest, _mexc, _fallback, time);
        _prices = new LivePriceResolver(_rest, _mexc, _fallback);

        var hasDepth = options.Streams.Any(BinanceFeedOptions.IsDepthStream);
        _symbols = options.Symbols.Select(s => s.ToUpperInvariant()).ToArray();
        foreach (var symbol in _symbols)
        {
            var route = new SymbolRoute(symbol, hasDepth, sink, _counters, time) { FirstDiffForwarded = _ => _snapshots.Wake() };
            _routes.Add(symbol, route);
        }

        // Symbols never straddle connections: all streams of one symbol ride the same one.
        var index = 0;
        foreach (var chunk in options.ShardSymbols(_symbols))
        {
            var routes = chunk.Select(s => _routes[s]).ToArray();
            _shards.Add(new ConnectionShard(index++, routes, BuildStreamUri(chunk), options, time, logger, _counters, OnFrame));
        }
    }

    public string FeedId => _options.FeedId;
    internal FeedCounters Counters => _counters;
    internal RestWeightBudget Budget => _budget;

    /// <summary>The combined-stream URLs, one per connection shard (for diagnostics and tests).</summary>
    public IReadOnlyList<Uri> ConnectionUris => _shards.Select(s => s.Uri).ToArray();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_state == 2, this);
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return Task.CompletedTask;
        _startedAt = _time.GetUtcNow().UtcDateTime;
        var token = _stop.Token;
        foreach (var shard in _shards) _tasks.Add(Task.Run(() => shard.RunAsync(token), CancellationToken.None));
        _tasks.Add(Task.Run(() => _snapshots.RunAsync(token), CancellationToken.None));
        _heartbeat = _time.CreateTimer(_ => Heartbeat(), null, _options.HeartbeatInterval, _options.HeartbeatInterval);
        _metrics = FeedMetrics.Register(FeedId, _counters, () => new FeedGauges(_budget.Used, _budget.Limit, _shards.Sum(s => s.OpenConnections)));
        _logger.LogInformation("Binance feed {FeedId} started: {Symbols} symbols on {Connections} connection(s).", FeedId, _symbols.Length, _shards.Count);
        return Task.CompletedTask;
    }

    public void RequestSnapshot(string symbol, string reason)
    {
        if (symbol is null || !_routes.TryGetValue(symbol.ToUpperInvariant(), out var route))
        {
            _warnings.Warn("snapshot-unknown:" + symbol, $"Snapshot requested for '{symbol}', which this feed does not follow; ignored.");
            return;
        }
        _snapshots.Request(route, reason);
    }

    public void RequestCoverageRefresh(string symbol, string reason)
    {
        if (symbol is null || !_routes.TryGetValue(symbol.ToUpperInvariant(), out var route))
        {
            _warnings.Warn("refresh-unknown:" + symbol, $"Coverage refresh requested for '{symbol}', which this feed does not follow; ignored.");
            return;
        }
        _snapshots.RequestRefresh(route, reason);
    }

    public async Task<KlineFetch> FetchKlinesAsync(string symbol, Timeframe timeframe, long fromOpenTime, long toOpenTime, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _klines.FetchAsync(symbol.ToUpperInvariant(), timeframe, fromOpenTime, toOpenTime, cancellationToken).ConfigureAwait(false);
            var status = _fallback.Status();
            return new KlineFetch
            {
                Candles = [.. result.Candles],
                Complete = result.Complete,
                NextOpenTime = result.NextOpenTime,
                Source = SourceName(status.Current),
                SourceReason = status.Reason,
                Warnings = [.. result.Warnings, .. result.RejectedRows],
            };
        }
        catch (ExchangeRestException ex)
        {
            // Both exchanges refused: the caller keeps its last good state and tries again later.
            _counters.Error($"klines {symbol} {timeframe}: {ex.Message}");
            return new KlineFetch { Candles = [], Complete = false, NextOpenTime = fromOpenTime, Source = SourceName(_fallback.Current), Warnings = [ex.Message] };
        }
    }

    /// <summary>A trade or ticker older than this is not a live price.</summary>
    private static readonly TimeSpan LivePriceFreshness = TimeSpan.FromSeconds(60);

    public async Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid, CancellationToken cancellationToken)
    {
        long? lastTrade = null, ticker = null;
        if (_routes.TryGetValue(symbol.ToUpperInvariant(), out var route))
        {
            lock (route.Gate)
            {
                if (route.LastTradeTimestamp != 0 && _time.GetElapsedTime(route.LastTradeTimestamp) < LivePriceFreshness) lastTrade = route.LastTradePrice;
                if (route.LastTickerTimestamp != 0 && _time.GetElapsedTime(route.LastTickerTimestamp) < LivePriceFreshness) ticker = route.LastTickerPrice;
            }
        }
        var price = await _prices.ResolveAsync(symbol.ToUpperInvariant(), bookMid, lastTrade, ticker, cancellationToken).ConfigureAwait(false);
        return new LivePriceQuote
        {
            Price = price.Price,
            Source = price.Source is { } source ? JsonNamingPolicyCamel(source.ToString()) : null,
            Skipped = price.Skipped,
        };
    }

    private static string JsonNamingPolicyCamel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static string SourceName(ExchangeSource source) => source == ExchangeSource.Mexc ? "mexc" : "binance";

    public FeedStatus GetStatus()
    {
        var fallback = _fallback.Status();
        var blockedUntil = _budget.BlockedUntil;
        return _counters.ToStatus(FeedId, "binance-spot", ComputeState(blockedUntil), _symbols, _startedAt) with
        {
            RestWeightUsed = _budget.Used,
            RestWeightLimit = _budget.Limit,
            RestBlockedUntil = blockedUntil,
            Connections = _shards.Sum(s => s.OpenConnections),
            RestSource = SourceName(fallback.Current),
            FallbackReason = fallback.Current == ExchangeSource.Mexc ? fallback.Reason : null,
            FallbackSince = fallback.Current == ExchangeSource.Mexc ? fallback.SwitchedAt?.UtcDateTime : null,
            FallbackSwitches = fallback.History.Count,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        _metrics?.Dispose();
        _heartbeat?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_tasks).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _fallback.Dispose();
        _rest.Dispose();
        _mexc?.Dispose();
        _snapshots.Dispose();
        _stop.Dispose();
    }

    private FeedState ComputeState(DateTime? blockedUntil)
    {
        if (_state != 1) return FeedState.Stopped;
        if (blockedUntil is not null) return FeedState.Degraded;
        if (_shards.All(s => s.IsConnected)) return FeedState.Connected;
        return _shards.Any(s => s.EverConnected) ? FeedState.Reconnecting : FeedState.Connecting;
    }

    private Uri BuildStreamUri(IEnumerable<string> symbols) => new(_options.StreamUrl(symbols));

    /// <summary>One complete frame from a receive loop (runs on that loop; must not block).</summary>
    private void OnFrame(BinanceConnection connection, BinanceFrameParser parser, ReadOnlySpan<byte> frame, bool oversized)
    {
        var receivedAt = _time.GetUtcNow().UtcDateTime;
        _counters.MessageReceived(frame.Length);
        _recorder?.Record(receivedAt, "ws", frame);
        if (oversized)
        {
            _meter.MessageReceived(FeedMessageKind.Other);
            _counters.MessageRejected();
            _warnings.Warn("oversized", $"Binance frame above {BinanceConnection.MaxFrameBytes} bytes on connection {connection.Id} dropped.");
            return;
        }

        var kind = parser.Parse(frame);
        _meter.MessageReceived(MessageKindOf(kind));
        if (parser.EventTime > 0 && FeedMeter.LagEnabled)
            _meter.RecordLag((receivedAt - DateTime.UnixEpoch).TotalMilliseconds - parser.EventTime);
        switch (kind)
        {
            case BinanceFrameKind.DepthUpdate or BinanceFrameKind.Trade or BinanceFrameKind.AggTrade or BinanceFrameKind.BookTicker or BinanceFrameKind.Ticker or BinanceFrameKind.Kline:
                if (parser.Symbol is null || !_routes.TryGetValue(parser.Symbol, out var route))
                {
                    _counters.UnknownEvent();
                    _warnings.Warn("unknown-symbol:" + parser.Symbol, $"Binance {kind} for symbol '{parser.Symbol}' that this feed does not follow; ignored.");
                    return;
                }
                var marketEvent = parser.ToEvent(receivedAt);
                lock (route.Gate) route.Route(connection, marketEvent);
                break;

            case BinanceFrameKind.ServerShutdown:
                _logger.LogInformation("Binance connection {Id} announced serverShutdown; replacing it.", connection.Id);
                _shards[connection.Shard].OnServerShutdown(connection);
                break;

            case BinanceFrameKind.Reply:
                if (parser.Error is not null) _warnings.Warn("reply-error", $"Binance replied with an error on connection {connection.Id}: {parser.Error}");
                break;

            case BinanceFrameKind.Malformed:
                _counters.MessageRejected();
                _counters.Error($"Malformed frame ({parser.Symbol ?? "unknown symbol"}): {parser.Error}");
                _warnings.Warn("malformed:" + parser.Symbol, $"Binance malformed frame on connection {connection.Id} for {parser.Symbol ?? "an unknown symbol"}: {parser.Error}. Sample: {Sample(frame)}");
                if (parser.Symbol is not null && _routes.TryGetValue(parser.Symbol, out var damaged))
                {
                    // The frame may have carried a diff: say so, so the book goes stale until it proves contiguous again.
                    lock (damaged.Gate)
                        if (damaged.Owner == connection) damaged.Publish(new FeedInterrupted { ReceivedAt = receivedAt, Reason = "malformed frame: " + parser.Error });
                }
                break;

            default: // Unknown, or a partial-book snapshot we did not subscribe to
                _counters.UnknownEvent();
                _warnings.Warn("unknown:" + kind, $"Binance frame of unknown kind on connection {connection.Id}: {parser.Error ?? kind.ToString()}. Sample: {Sample(frame)}");
                break;
        }
    }

    /// <summary>The <c>kind</c> of <c>marketdata.feed.messages</c> for a parsed frame.</summary>
    internal static FeedMessageKind MessageKindOf(BinanceFrameKind kind) => kind switch
    {
        BinanceFrameKind.DepthUpdate => FeedMessageKind.Depth,
        BinanceFrameKind.Trade => FeedMessageKind.Trade,
        BinanceFrameKind.AggTrade => FeedMessageKind.AggTrade,
        BinanceFrameKind.BookTicker => FeedMessageKind.BookTicker,
        BinanceFrameKind.Ticker => FeedMessageKind.Ticker,
        BinanceFrameKind.Kline => FeedMessageKind.Kline,
        _ => FeedMessageKind.Other,
    };

    private void Heartbeat()
    {
        try
        {
            var now = _time.GetTimestamp();
            var receivedAt = _time.GetUtcNow().UtcDateTime;
            foreach (var route in _routes.Values)
            {
                lock (route.Gate)
                {
                    // A heartbeat vouches for the data, so the connection must have delivered frames lately;
                    // an open socket on a stalled stream must let its books go stale.
                    if (route.Owner is not { IsOpen: true } owner) continue;
                    if (_time.GetElapsedTime(owner.LastFrameTimestamp, now) > _options.HeartbeatInterval) continue;
                    if (_time.GetElapsedTime(route.LastPublishedTimestamp, now) < _options.HeartbeatInterval) continue;
                    route.Publish(new FeedHeartbeat { ReceivedAt = receivedAt });
                }
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Binance heartbeat failed.");
        }
    }

    private static string Sample(ReadOnlySpan<byte> frame)
    {
        var text = System.Text.Encoding.UTF8.GetString(frame[..Math.Min(frame.Length, 160)]);
        return frame.Length > 160 ? text + "..." : text;
    }
}
