using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using MarketData.Instruments;
using MarketData.LoadGeneration;
using MarketData.Streams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MarketData.Tests.Fakes;

/// <summary>How a connection of the fake server ended.</summary>
public enum FakeCloseKind { Open, ClosedByClient, ClosedByServer, Aborted }

/// <summary>Persistent REST failure modes of the fake servers (until set back to <see cref="None"/>).</summary>
public enum FakeRestFault
{
    None,
    /// <summary>HTTP 451 "Unavailable For Legal Reasons" (Binance's geo-block).</summary>
    GeoBlocked451,
    /// <summary>HTTP 403 (Binance's WAF / CloudFront block).</summary>
    Forbidden403,
    /// <summary>HTTP 500 / 502 / 503 in turn.</summary>
    ServerError5xx,
    /// <summary>Never answers: holds the request until the client gives up.</summary>
    Hang,
    /// <summary>Accepts the request, then drops the TCP connection without a response.</summary>
    DropConnection,
}

/// <summary>Kinds of broken frames the fake server can send.</summary>
public enum MalformedFrame { BadJson, Truncated, NonNumericQuantity, NegativeQuantity, UnknownEventType }

/// <summary>One WebSocket connection the fake server accepted.</summary>
public sealed class FakeConnection
{
    internal FakeConnection(int id, IReadOnlyList<string> streams, WebSocket socket, DateTimeOffset openedAt)
    {
        Id = id; Streams = streams; Socket = socket; OpenedAt = openedAt;
    }

    public int Id { get; }
    /// <summary>Stream names as requested (<c>btcusdt@depth@100ms</c> ...).</summary>
    public IReadOnlyList<string> Streams { get; }
    public DateTimeOffset OpenedAt { get; }
    public FakeCloseKind Closed { get; internal set; }
    public int FramesSent { get; internal set; }
    /// <summary>Open, but the server sends it nothing (its WebSocket layer still answers pings): see <see cref="FakeBinanceServer.Stall"/>.</summary>
    public bool Stalled { get => Volatile.Read(ref _stalled); internal set => Volatile.Write(ref _stalled, value); }
    private bool _stalled;
    internal WebSocket Socket { get; }
    internal SemaphoreSlim SendLock { get; } = new(1, 1);
    internal ITimer? CutOff { get; set; }

    internal string? StreamFor(string symbolLower, string kind)
    {
        foreach (var s in Streams)
        {
            var at = s.IndexOf('@', StringComparison.Ordinal);
            if (s.AsSpan(0, at).SequenceEqual(symbolLower) && (s[(at + 1)..] == kind || (kind == "depth" && s[(at + 1)..].StartsWith("depth", StringComparison.Ordinal))))
                return s;
        }
        return null;
    }
}

/// <summary>
/// A deterministic synthetic market for one symbol: an L2 book it mutates step by step, emitting
/// <c>depthUpdate</c> with correct U/u, trades, aggregate trades, bookTicker and a ticker. Fixed mid price,
/// so the book never crosses. Not thread-safe on its own: the server serialises access.
/// </summary>
public sealed class FakeMarket
{
    private const long Tick = 1_000_000;            // 0.01
    private readonly SortedDictionary<long, long> _bids = new();
    private readonly SortedDictionary<long, long> _asks = new();
    private readonly Random _random;
    private long _mid;

    internal FakeMarket(string symbol, int seed, long mid)
    {
        Symbol = symbol;
        _random = new Random(seed);
        _mid = mid;
        LastUpdateId = 1_000;
        for (var i = 1; i <= 20; i++)
        {
            _bids[mid - i * Tick] = Quantity();
            _asks[mid + i * Tick] = Quantity();
        }
        TradeId = 5_000;
        AggTradeId = 700;
    }

    public string Symbol { get; }
    public long LastUpdateId { get; private set; }
    public long TradeId { get; private set; }
    public long AggTradeId { get; private set; }
    public int Steps { get; private set; }

    /// <summary>Bids best first.</summary>
    public PriceLevel[] Bids => _bids.Reverse().Select(kv => new PriceLevel(kv.Key, kv.Value)).ToArray();
    /// <summary>Asks best first.</summary>
    public PriceLevel[] Asks => _asks.Select(kv => new PriceLevel(kv.Key, kv.Value)).ToArray();

    internal sealed record StepResult(long FirstUpdateId, long FinalUpdateId, List<PriceLevel> Bids, List<PriceLevel> Asks, bool Traded, long TradeId, long AggTradeId, long TradePrice, long TradeQuantity, bool BuyerIsMaker);

    internal StepResult Step()
    {
        Steps++;
        var bids = new List<PriceLevel>();
        var asks = new List<PriceLevel>();
        var changes = _random.Next(1, 5);
        for (var i = 0; i < changes; i++)
        {
            var bid = _random.Next(2) == 0;
            var price = bid ? _mid - _random.Next(1, 31) * Tick : _mid + _random.Next(1, 31) * Tick;
            var side = bid ? _bids : _asks;
            var list = bid ? bids : asks;
            if (list.Exists(l => l.Price == price)) continue;
            long quantity = side.ContainsKey(price) && _random.Next(4) == 0 ? 0 : Quantity();
            if (quantity == 0) side.Remove(price); else side[price] = quantity;
            list.Add(new PriceLevel(price, quantity));
        }
        if (bids.Count == 0 && asks.Count == 0)
        {
            var price = _mid - Tick;
            _bids[price] = Quantity();
            bids.Add(new PriceLevel(price, _bids[price]));
        }
        var first = LastUpdateId + 1;
        LastUpdateId += _random.Next(1, 4);
        var traded = _random.Next(2) == 0;
        long tradePrice = 0, tradeQuantity = 0;
        var buyerIsMaker = _random.Next(2) == 0;
        if (traded)
        {
            TradeId++;
            AggTradeId++;
            tradePrice = buyerIsMaker ? (_bids.Count > 0 ? _bids.Keys.Max() : _mid - Tick) : (_asks.Count > 0 ? _asks.Keys.Min() : _mid + Tick);
            tradeQuantity = Quantity();
        }
        return new StepResult(first, LastUpdateId, bids, asks, traded, TradeId, AggTradeId, tradePrice, tradeQuantity, buyerIsMaker);
    }

    /// <summary>
    /// Moves the market by <paramref name="ticks"/> (negative: down) in one update: the levels the move crosses leave
    /// one side (quantity 0), the other side gains a level at each price it now covers, and a new level appears 20 ticks
    /// out on the side the price moves away from. Later steps trade around the new mid.
    /// </summary>
    internal StepResult Walk(int ticks)
    {
        Steps++;
        var bids = new List<PriceLevel>();
        var asks = new List<PriceLevel>();
        _mid += ticks * Tick;
        foreach (var price in _bids.Keys.Where(p => p >= _mid).ToArray()) { _bids.Remove(price); bids.Add(new PriceLevel(price, 0)); }
        foreach (var price in _asks.Keys.Where(p => p <= _mid).ToArray()) { _asks.Remove(price); asks.Add(new PriceLevel(price, 0)); }
        for (var i = 1; i <= Math.Abs(ticks); i++)
        {
            var price = ticks < 0 ? _mid + i * Tick : _mid - i * Tick;
            var side = ticks < 0 ? _asks : _bids;
            if (side.ContainsKey(price)) continue;
            side[price] = Quantity();
            (ticks < 0 ? asks : bids).Add(new PriceLevel(price, side[price]));
        }
        var far = ticks < 0 ? _mid - 20 * Tick : _mid + 20 * Tick;
        var farSide = ticks < 0 ? _bids : _asks;
        if (ticks != 0 && !farSide.ContainsKey(far))
        {
            farSide[far] = Quantity();
            (ticks < 0 ? bids : asks).Add(new PriceLevel(far, farSide[far]));
        }
        var first = LastUpdateId + 1;
        LastUpdateId += 1;
        return new StepResult(first, LastUpdateId, bids, asks, false, TradeId, AggTradeId, 0, 0, false);
    }

    internal (PriceLevel Bid, PriceLevel Ask) Best()
    {
        var bid = _bids.Count > 0 ? _bids.Last() : default;
        var ask = _asks.Count > 0 ? _asks.First() : default;
        return (new PriceLevel(bid.Key, bid.Value), new PriceLevel(ask.Key, ask.Value));
    }

    private long Quantity() => _random.Next(1, 5000) * 100_000; // 0.001 steps
}

/// <summary>
/// A local stand-in for Binance spot (Kestrel on 127.0.0.1, port 0) speaking the real wire protocol:
/// <c>/stream?streams=...</c> combined-stream WebSocket (text frames wrapped as {"stream","data"}) and
/// <c>/api/v3/depth</c> with the weight header and Binance error bodies. Markets advance only when a test
/// calls <see cref="EmitAsync"/> (or <see cref="StartPump"/>), so runs are deterministic for a seed.
/// Faults: drop connections mid-stream, skip diffs (gap), REST 429/418 with Retry-After, malformed
/// frames, serverShutdown, a stalled front end (<see cref="Stall"/>: open connections that receive nothing but still
/// answer pings), and a 24-hour cut-off measured on the injected <see cref="TimeProvider"/>.
/// REST also serves <c>/api/v3/klines</c> (deterministic <see cref="SyntheticCandles"/> for any symbol and interval),
/// <c>/api/v3/ping</c> and <c>/api/v3/ticker/price</c>, with persistent <see cref="RestFault"/> modes (451, 403, 5xx,
/// hang, dropped connection) and <see cref="RefuseConnectionsAsync"/> (stop listening; the port is kept for
/// <see cref="AcceptConnectionsAsync"/>).
/// </summary>
public sealed class FakeBinanceServer : IAsyncDisposable
{
    private WebApplication? _app;
    private int _port;
    private int _faultCounter;
    private int _klineRequests;
    private int _pingRequests;
    private int _tickerRequests;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, FakeMarket> _markets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _skipDiffs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(HttpStatusCode Status, int RetryAfterSeconds)> _restFaults = new();
    private readonly List<FakeConnection> _connections = [];
    private readonly SemaphoreSlim _marketLock = new(1, 1);
    private readonly object _weightLock = new();
    private long _weightMinute = -1;
    private int _weightUsed;
    private int _nextConnectionId;
    private int _restRequests;
    private volatile bool _stallNewConnections;
    private CancellationTokenSource? _pump;
    private Task? _pumpTask;

    private FakeBinanceServer(TimeProvider time, IEnumerable<string> symbols, int seed)
    {
        _time = time;
        var i = 0;
        foreach (var symbol in symbols)
        {
            _markets[symbol] = new FakeMarket(symbol, seed * 7919 + i, (100 + 50 * i) * FixedPoint.Scale);
            i++;
        }
    }

    /// <summary>Cut-off age of a connection (Binance: 24 h), on the injected clock.</summary>
    public TimeSpan ConnectionMaxAge { get; set; } = TimeSpan.FromHours(24);
    /// <summary>REST weight per minute before the server answers 429 by itself.</summary>
    public int WeightLimitPerMinute { get; set; } = 6000;
    /// <summary>Send a ticker every this many steps.</summary>
    public int TickerEvery { get; set; } = 10;

    public Uri RestBaseUrl { get; private set; } = null!;
    public Uri WebSocketBaseUrl { get; private set; } = null!;
    public IReadOnlyCollection<string> Symbols => _markets.Keys;
    public FakeMarket Market(string symbol) => _markets[symbol];

    public int ConnectionsAccepted { get { lock (_connections) return _connections.Count; } }
    public int OpenConnections { get { lock (_connections) return _connections.Count(c => c.Closed == FakeCloseKind.Open); } }
    public IReadOnlyList<FakeConnection> Connections { get { lock (_connections) return _connections.ToArray(); } }
    public int RestRequests => Volatile.Read(ref _restRequests);
    public int WeightUsedThisMinute { get { lock (_weightLock) return _weightMinute == CurrentMinute() ? _weightUsed : 0; } }

    /// <summary>Persistent REST failure mode for every <c>/api/...</c> request (depth, klines, ping, ticker).</summary>
    public FakeRestFault RestFault { get; set; }

    /// <summary>
    /// Sets <see cref="RestFault"/> to <paramref name="fault"/> once <paramref name="afterRequests"/> more REST requests
    /// have been served normally: a failure that starts in the middle of a paged fetch.
    /// </summary>
    public void ArmRestFault(FakeRestFault fault, int afterRequests)
    {
        Volatile.Write(ref _armCountdown, afterRequests);
        _armedFault = fault;
    }

    private FakeRestFault _armedFault;
    private int _armCountdown;
    /// <summary>Earliest open time served by <c>/api/v3/klines</c> (the symbol's "listing").</summary>
    public long KlinesAvailableFrom { get; set; }
    public int KlineRequests => Volatile.Read(ref _klineRequests);
    public int PingRequests => Volatile.Read(ref _pingRequests);
    public int TickerRequests => Volatile.Read(ref _tickerRequests);
    /// <summary>False while <see cref="RefuseConnectionsAsync"/> has the listener stopped.</summary>
    public bool Listening => _app is not null;

    public static async Task<FakeBinanceServer> StartAsync(TimeProvider time, int seed, params string[] symbols)
    {
        var server = new FakeBinanceServer(time, symbols, seed);
        await server.ListenAsync("http://127.0.0.1:0").ConfigureAwait(false);
        return server;
    }

    private async Task ListenAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        app.Use(RestFaultMiddlewareAsync);
        app.Map("/stream", HandleStreamAsync);
        app.MapGet("/api/v3/depth", HandleDepthAsync);
        app.MapGet("/api/v3/klines", HandleKlinesAsync);
        app.MapGet("/api/v3/ping", HandlePingAsync);
        app.MapGet("/api/v3/ticker/price", HandleTickerPriceAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException("no server");
        _app = app;
        var uri = new Uri(address);
        _port = uri.Port;
        RestBaseUrl = uri;
        WebSocketBaseUrl = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal));
    }

    /// <summary>Stops listening: new connections are refused (ECONNREFUSED) until <see cref="AcceptConnectionsAsync"/>.</summary>
    public async Task RefuseConnectionsAsync()
    {
        var app = _app;
        if (app is null) return;
        _app = null;
        AbortAllConnections();
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Listens again on the same port after <see cref="RefuseConnectionsAsync"/>.</summary>
    public async Task AcceptConnectionsAsync()
    {
        if (_app is not null) return;
        await ListenAsync(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_port}")).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- market driving

    /// <summary>Advances every market <paramref name="steps"/> times and sends the frames to subscribed connections.</summary>
    public async Task EmitAsync(int steps = 1, string? onlySymbol = null)
    {
        for (var n = 0; n < steps; n++)
        {
            var frames = new List<(string SymbolLower, string Kind, string Payload)>();
            await _marketLock.WaitAsync().ConfigureAwait(false);
            try
            {
                var eventTime = _time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (var market in _markets.Values)
                {
                    if (onlySymbol is not null && market.Symbol != onlySymbol) continue;
                    var lower = market.Symbol.ToLowerInvariant();
                    var step = market.Step();
                    var skip = _skipDiffs.TryGetValue(market.Symbol, out var left) && left > 0;
                    if (skip) _skipDiffs[market.Symbol] = left - 1;
                    else frames.Add((lower, "depth", DepthUpdateJson(market.Symbol, eventTime, step)));
                    var (bid, ask) = market.Best();
                    frames.Add((lower, "bookTicker", $"{{\"u\":{step.FinalUpdateId},\"s\":\"{market.Symbol}\",\"b\":\"{Text(bid.Price)}\",\"B\":\"{Text(bid.Quantity)}\",\"a\":\"{Text(ask.Price)}\",\"A\":\"{Text(ask.Quantity)}\"}}"));
                    if (step.Traded)
                    {
                        var m = step.BuyerIsMaker ? "true" : "false";
                        frames.Add((lower, "trade", $"{{\"e\":\"trade\",\"E\":{eventTime},\"s\":\"{market.Symbol}\",\"t\":{step.TradeId},\"p\":\"{Text(step.TradePrice)}\",\"q\":\"{Text(step.TradeQuantity)}\",\"T\":{eventTime},\"m\":{m},\"M\":true}}"));
                        frames.Add((lower, "aggTrade", $"{{\"e\":\"aggTrade\",\"E\":{eventTime},\"s\":\"{market.Symbol}\",\"a\":{step.AggTradeId},\"p\":\"{Text(step.TradePrice)}\",\"q\":\"{Text(step.TradeQuantity)}\",\"f\":{step.TradeId},\"l\":{step.TradeId},\"T\":{eventTime},\"m\":{m},\"M\":true}}"));
                    }
                    if (TickerEvery > 0 && market.Steps % TickerEvery == 0)
                        frames.Add((lower, "ticker", $"{{\"e\":\"24hrTicker\",\"E\":{eventTime + market.Steps},\"s\":\"{market.Symbol}\",\"p\":\"0.00\",\"P\":\"0.00\",\"w\":\"{Text(bid.Price)}\",\"x\":\"{Text(bid.Price)}\",\"c\":\"{Text(bid.Price)}\",\"Q\":\"1.00\",\"b\":\"{Text(bid.Price)}\",\"B\":\"{Text(bid.Quantity)}\",\"a\":\"{Text(ask.Price)}\",\"A\":\"{Text(ask.Quantity)}\",\"o\":\"{Text(bid.Price)}\",\"h\":\"{Text(ask.Price)}\",\"l\":\"{Text(bid.Price)}\",\"v\":\"10.00\",\"q\":\"1000.00\",\"O\":0,\"C\":86400000,\"F\":0,\"L\":{market.TradeId},\"n\":{market.TradeId}}}"));
                }
                // Send while holding the market lock so every connection sees the same order as the book changed.
                foreach (var (lower, kind, payload) in frames)
                    await BroadcastAsync(lower, kind, payload).ConfigureAwait(false);
            }
            finally { _marketLock.Release(); }
        }
    }

    /// <summary>Moves <paramref name="symbol"/>'s market by <paramref name="ticks"/> of 0.01 in one diff (see <see cref="FakeMarket.Walk"/>), sent with its bookTicker.</summary>
    public async Task WalkAsync(string symbol, int ticks)
    {
        await _marketLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var market = _markets[symbol];
            var lower = symbol.ToLowerInvariant();
            var step = market.Walk(ticks);
            await BroadcastAsync(lower, "depth", DepthUpdateJson(symbol, _time.GetUtcNow().ToUnixTimeMilliseconds(), step)).ConfigureAwait(false);
            var (bid, ask) = market.Best();
            await BroadcastAsync(lower, "bookTicker", $"{{\"u\":{step.FinalUpdateId},\"s\":\"{symbol}\",\"b\":\"{Text(bid.Price)}\",\"B\":\"{Text(bid.Quantity)}\",\"a\":\"{Text(ask.Price)}\",\"A\":\"{Text(ask.Quantity)}\"}}").ConfigureAwait(false);
        }
        finally { _marketLock.Release(); }
    }

    /// <summary>Emits steps on a real-time period until stopped (for integration tests and demos).</summary>
    public void StartPump(TimeSpan period, int stepsPerTick = 1)
    {
        StopPump();
        var cts = new CancellationTokenSource();
        _pump = cts;
        _pumpTask = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period);
            try
            {
                while (await timer.WaitForNextTickAsync(cts.Token).ConfigureAwait(false))
                {
                    try
                    {
                        await EmitAsync(stepsPerTick).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        PumpErrors++; // the pump keeps running: a dead pump would silently starve every client
                    }
                }
            }
            catch (OperationCanceledException) { }
        });
    }

    /// <summary>Pump ticks that failed (and were survived).</summary>
    public int PumpErrors { get; private set; }

    public void StopPump()
    {
        _pump?.Cancel();
        // A pump still stepping after this returns would move the market under a caller that compares books: wait it out.
        var stopped = true;
        try { stopped = _pumpTask?.Wait(TimeSpan.FromSeconds(60)) ?? true; } catch (AggregateException) { }
        _pump?.Dispose();
        _pump = null;
        _pumpTask = null;
        if (!stopped) throw new TimeoutException("The fake exchange's pump did not stop within 60 s.");
    }

    /// <summary>The next <paramref name="count"/> diffs of <paramref name="symbol"/> change the book but are not sent: a sequence gap.</summary>
    public void SkipNextDiffs(string symbol, int count = 1)
    {
        _marketLock.Wait();
        try { _skipDiffs[symbol] = count; }
        finally { _marketLock.Release(); }
    }

    /// <summary>
    /// Takes <paramref name="symbol"/>'s book as it stands now and serves it to the next depth request for that symbol,
    /// whatever happened since: a REST replica lagging behind the stream.
    /// </summary>
    public void HoldDepthSnapshot(string symbol)
    {
        _marketLock.Wait();
        try
        {
            var m = _markets[symbol];
            _heldSnapshots[symbol] = (m.LastUpdateId, m.Bids, m.Asks);
        }
        finally { _marketLock.Release(); }
    }

    private readonly Dictionary<string, (long LastUpdateId, PriceLevel[] Bids, PriceLevel[] Asks)> _heldSnapshots = new(StringComparer.Ordinal);

    /// <summary>The server's book of <paramref name="symbol"/> (best first) and its last update id, consistently.</summary>
    public async Task<(PriceLevel[] Bids, PriceLevel[] Asks, long LastUpdateId)> BookAsync(string symbol)
    {
        await _marketLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var m = _markets[symbol];
            return (m.Bids, m.Asks, m.LastUpdateId);
        }
        finally { _marketLock.Release(); }
    }

    // ---------------------------------------------------------------- faults

    /// <summary>Drops every open connection without a close handshake (like a network failure mid-stream).</summary>
    public void AbortAllConnections()
    {
        foreach (var c in Connections.Where(c => c.Closed == FakeCloseKind.Open))
        {
            c.Closed = FakeCloseKind.Aborted;
            c.Socket.Abort();
        }
    }

    /// <summary>
    /// A stalled front end: the connections open now stop receiving anything (market data, replies, notices; what the
    /// market does meanwhile is lost to them) while their sockets stay open and their WebSocket layer keeps answering
    /// the client's pings, so keep-alive sees a healthy peer. Connections opened later are served normally, unless
    /// <paramref name="newConnectionsToo"/>: then the exchange is silent for everyone until <see cref="EndStall"/>.
    /// </summary>
    public void Stall(bool newConnectionsToo = false)
    {
        _marketLock.Wait(); // between whole steps
        try
        {
            _stallNewConnections = newConnectionsToo;
            foreach (var c in Connections.Where(c => c.Closed == FakeCloseKind.Open)) c.Stalled = true;
        }
        finally { _marketLock.Release(); }
    }

    /// <summary>Ends <see cref="Stall"/>: every open connection receives the market again from the next step.</summary>
    public void EndStall()
    {
        _marketLock.Wait();
        try
        {
            _stallNewConnections = false;
            foreach (var c in Connections) c.Stalled = false;
        }
        finally { _marketLock.Release(); }
    }

    /// <summary>Frames sent on every connection so far (a client that has received as many has nothing in flight).</summary>
    public int FramesSent => Connections.Sum(c => c.FramesSent);

    /// <summary>Closes one connection from the server side with a close frame (as the 24 h cut-off does).</summary>
    public async Task CloseConnectionAsync(FakeConnection connection, string reason = "server closed")
    {
        if (connection.Closed != FakeCloseKind.Open) return;
        connection.Closed = FakeCloseKind.ClosedByServer;
        await connection.SendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        finally { connection.SendLock.Release(); }
    }

    /// <summary>The next REST requests answer with these statuses (429 or 418) and Retry-After seconds, in order.</summary>
    public void EnqueueRestFault(HttpStatusCode status, int retryAfterSeconds) => _restFaults.Enqueue((status, retryAfterSeconds));

    /// <summary>Sends one raw text frame to every open connection subscribed to any stream of <paramref name="symbol"/> (or to all when null).</summary>
    public async Task SendRawAsync(string text, string? symbol = null)
    {
        var lower = symbol?.ToLowerInvariant();
        await _marketLock.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var c in Connections.Where(c => c.Closed == FakeCloseKind.Open))
                if (lower is null || c.Streams.Any(s => s.StartsWith(lower + "@", StringComparison.Ordinal)))
                    await SendAsync(c, text).ConfigureAwait(false);
        }
        finally { _marketLock.Release(); }
    }

    /// <summary>Sends a broken frame for <paramref name="symbol"/> on its depth stream name (so a client can tell which book it hurt).</summary>
    public Task SendMalformedAsync(string symbol, MalformedFrame kind)
    {
        var lower = symbol.ToLowerInvariant();
        var stream = $"{lower}@depth@100ms";
        var e = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var text = kind switch
        {
            MalformedFrame.BadJson => $"{{\"stream\":\"{stream}\",\"data\":{{\"e\":\"depthUpdate\",\"E\":{e},\"s\":\"{symbol}\",\"U\":1,\"u\":2,\"b\":[[\"1.0\",\"2.0\"]],,}}}}",
            MalformedFrame.Truncated => $"{{\"stream\":\"{stream}\",\"data\":{{\"e\":\"depthUpdate\",\"E\":{e},\"s\":\"{symbol}\",\"U\":1,\"u\":2,\"b\":[[\"1.0\",\"2",
            MalformedFrame.NonNumericQuantity => $"{{\"stream\":\"{stream}\",\"data\":{{\"e\":\"depthUpdate\",\"E\":{e},\"s\":\"{symbol}\",\"U\":1,\"u\":2,\"b\":[[\"1.00\",\"abc\"]],\"a\":[]}}}}",
            MalformedFrame.NegativeQuantity => $"{{\"stream\":\"{stream}\",\"data\":{{\"e\":\"depthUpdate\",\"E\":{e},\"s\":\"{symbol}\",\"U\":1,\"u\":2,\"b\":[[\"1.00\",\"-5.0\"]],\"a\":[]}}}}",
            MalformedFrame.UnknownEventType => $"{{\"stream\":\"{lower}@mystery\",\"data\":{{\"e\":\"mysteryEvent\",\"E\":{e},\"s\":\"{symbol}\"}}}}",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return SendRawAsync(text, symbol);
    }

    /// <summary>Announces a planned shutdown on every open connection (combined-stream form).</summary>
    public Task SendServerShutdownAsync()
        => SendRawAsync($"{{\"stream\":\"!serverShutdown\",\"data\":{{\"e\":\"serverShutdown\",\"E\":{_time.GetUtcNow().ToUnixTimeMilliseconds()}}}}}");

    // ---------------------------------------------------------------- protocol

    // Kline subscriptions are accepted (a silo run with its appsettings.json asks for them) but stay silent: candles
    // then come from trades and REST.
    private async Task HandleStreamAsync(HttpContext context)
    {
        if (!BinanceRestRules.TryParseStreams(context.Request.Query["streams"].ToString(), out var streams, out var streamsError))
        {
            await ErrorAsync(context, 400, -1100, streamsError, 0).ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        FakeConnection connection;
        // Register under the market lock so the connection sees whole steps only.
        await _marketLock.WaitAsync().ConfigureAwait(false);
        try
        {
            connection = new FakeConnection(Interlocked.Increment(ref _nextConnectionId), streams, socket, _time.GetUtcNow()) { Stalled = _stallNewConnections };
            lock (_connections) _connections.Add(connection);
        }
        finally { _marketLock.Release(); }
        connection.CutOff = _time.CreateTimer(_ => _ = CloseConnectionAsync(connection, "24h cut-off"), null, ConnectionMaxAge, Timeout.InfiniteTimeSpan);

        // Clients send nothing on a combined stream; read only to see the close handshake or a failure.
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (connection.Closed == FakeCloseKind.Open) connection.Closed = FakeCloseKind.ClosedByClient;
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await connection.SendLock.WaitAsync().ConfigureAwait(false);
                        try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false); }
                        finally { connection.SendLock.Release(); }
                    }
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            if (connection.Closed == FakeCloseKind.Open) connection.Closed = FakeCloseKind.Aborted;
        }
        finally
        {
            connection.CutOff?.Dispose();
        }
    }

    private async Task HandleDepthAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        var symbol = context.Request.Query["symbol"].ToString();
        if (!BinanceRestRules.TryParseDepthLimit(context.Request.Query["limit"].ToString(), out var limit))
        {
            await ErrorAsync(context, 400, -1100, BinanceRestRules.IllegalLimit, AddWeight(1)).ConfigureAwait(false);
            return;
        }
        var weight = BinanceRestRules.DepthWeight(limit);

        if (await OverWeightAsync(context, weight).ConfigureAwait(false)) return;
        if (string.IsNullOrEmpty(symbol))
        {
            await ErrorAsync(context, 400, -1102, BinanceRestRules.MissingSymbol, AddWeight(1)).ConfigureAwait(false);
            return;
        }
        if (!_markets.TryGetValue(symbol, out var market))
        {
            await ErrorAsync(context, 400, -1121, BinanceRestRules.InvalidSymbol, AddWeight(weight)).ConfigureAwait(false);
            return;
        }
        string body;
        await _marketLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var (id, bids, asks) = _heldSnapshots.Remove(symbol, out var held) ? held : (market.LastUpdateId, market.Bids, market.Asks);
            var sb = new StringBuilder();
            sb.Append("{\"lastUpdateId\":").Append(id).Append(",\"bids\":");
            AppendLevels(sb, bids.Take(limit));
            sb.Append(",\"asks\":");
            AppendLevels(sb, asks.Take(limit));
            sb.Append('}');
            body = sb.ToString();
        }
        finally { _marketLock.Release(); }
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = AddWeight(weight).ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.WriteAsync(body).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs before every endpoint: the persistent <see cref="RestFault"/> mode first, then the one-shot queued 429/418
    /// faults (<see cref="EnqueueRestFault"/>), for every REST path.
    /// </summary>
    private async Task RestFaultMiddlewareAsync(HttpContext context, Func<Task> next)
    {
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)) { await next().ConfigureAwait(false); return; }
        if (_armedFault != FakeRestFault.None && Interlocked.Decrement(ref _armCountdown) < 0)
        {
            RestFault = _armedFault;
            _armedFault = FakeRestFault.None;
        }
        switch (RestFault)
        {
            case FakeRestFault.GeoBlocked451:
                Interlocked.Increment(ref _restRequests);
                context.Response.StatusCode = 451;
                context.Response.ContentType = "application/json;charset=UTF-8";
                await context.Response.WriteAsync("{\"code\":0,\"msg\":\"Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms.\"}").ConfigureAwait(false);
                return;
            case FakeRestFault.Forbidden403:
                Interlocked.Increment(ref _restRequests);
                context.Response.StatusCode = 403;
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<html><body><h1>403 ERROR</h1>The request could not be satisfied.</body></html>").ConfigureAwait(false);
                return;
            case FakeRestFault.ServerError5xx:
                Interlocked.Increment(ref _restRequests);
                var n = Interlocked.Increment(ref _faultCounter);
                context.Response.StatusCode = (n % 3) switch { 0 => 500, 1 => 502, _ => 503 };
                await context.Response.WriteAsync("Internal error; unable to process your request. Please try again.").ConfigureAwait(false);
                return;
            case FakeRestFault.Hang:
                Interlocked.Increment(ref _restRequests);
                try { await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                return;
            case FakeRestFault.DropConnection:
                Interlocked.Increment(ref _restRequests);
                context.Abort();
                return;
        }
        if (_restFaults.TryDequeue(out var fault))
        {
            Interlocked.Increment(ref _restRequests);
            context.Response.Headers["Retry-After"] = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await ErrorAsync(context, (int)fault.Status, -1003, (int)fault.Status == 418 ? BinanceRestRules.Banned : BinanceRestRules.TooMuchWeight(WeightLimitPerMinute), AddWeight(0)).ConfigureAwait(false);
            return;
        }
        await next().ConfigureAwait(false);
    }

    /// <summary>Answers 429 (as Binance does by itself) when <paramref name="weight"/> does not fit in this minute.</summary>
    private async Task<bool> OverWeightAsync(HttpContext context, int weight)
    {
        if (WeightUsedThisMinute + weight <= WeightLimitPerMinute) return false;
        var retry = 60 - _time.GetUtcNow().Second;
        context.Response.Headers["Retry-After"] = retry.ToString(CultureInfo.InvariantCulture);
        await ErrorAsync(context, 429, -1003, BinanceRestRules.TooMuchWeight(WeightLimitPerMinute), AddWeight(0)).ConfigureAwait(false);
        return true;
    }

    private async Task HandleKlinesAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        Interlocked.Increment(ref _klineRequests);
        if (await OverWeightAsync(context, BinanceRestRules.KlinesWeight).ConfigureAwait(false)) return;
        var q = context.Request.Query;
        var symbol = q["symbol"].ToString();
        if (symbol.Length == 0 || !symbol.All(char.IsAsciiLetterOrDigit))
        {
            await ErrorAsync(context, 400, symbol.Length == 0 ? -1102 : -1121, symbol.Length == 0 ? BinanceRestRules.MissingSymbol : BinanceRestRules.InvalidSymbol, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        if (!BinanceRestRules.Intervals.TryGetValue(q["interval"].ToString(), out var ms))
        {
            await ErrorAsync(context, 400, -1120, BinanceRestRules.InvalidInterval, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        if (!BinanceRestRules.TryParseKlineRange(q, out var start, out var end, out var limitValue))
        {
            await ErrorAsync(context, 400, -1130, BinanceRestRules.InvalidParameter, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var openTime in SyntheticCandles.OpenTimes(ms, start, end, limitValue ?? 500, _time.GetUtcNow().ToUnixTimeMilliseconds(), KlinesAvailableFrom))
        {
            if (!first) sb.Append(',');
            first = false;
            SyntheticCandles.AppendBinanceRow(sb, SyntheticCandles.At(symbol, ms, openTime));
        }
        sb.Append(']');
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = AddWeight(BinanceRestRules.KlinesWeight).ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.WriteAsync(sb.ToString()).ConfigureAwait(false);
    }

    private async Task HandlePingAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        Interlocked.Increment(ref _pingRequests);
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = AddWeight(1).ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.WriteAsync("{}").ConfigureAwait(false);
    }

    private async Task HandleTickerPriceAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        Interlocked.Increment(ref _tickerRequests);
        var symbol = context.Request.Query["symbol"].ToString();
        if (symbol.Length == 0 || !symbol.All(char.IsAsciiLetterOrDigit))
        {
            await ErrorAsync(context, 400, -1121, BinanceRestRules.InvalidSymbol, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        var price = SyntheticCandles.LastPrice(symbol, _time.GetUtcNow().ToUnixTimeMilliseconds());
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = AddWeight(BinanceRestRules.KlinesWeight).ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.WriteAsync($"{{\"symbol\":\"{symbol}\",\"price\":\"{FixedPoint.ToText(price)}\"}}").ConfigureAwait(false);
    }

    private static Task ErrorAsync(HttpContext context, int status, int code, string message, int usedWeight)
        => BinanceRestRules.WriteErrorAsync(context, status, code, message, usedWeight);

    private int AddWeight(int weight)
    {
        lock (_weightLock)
        {
            var minute = CurrentMinute();
            if (minute != _weightMinute) { _weightMinute = minute; _weightUsed = 0; }
            _weightUsed += weight;
            return _weightUsed;
        }
    }

    private long CurrentMinute() => _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;

    private async Task BroadcastAsync(string symbolLower, string kind, string payload)
    {
        foreach (var c in Connections)
        {
            if (c.Closed != FakeCloseKind.Open) continue;
            var stream = c.StreamFor(symbolLower, kind);
            if (stream is null) continue;
            await SendAsync(c, $"{{\"stream\":\"{stream}\",\"data\":{payload}}}").ConfigureAwait(false);
        }
    }

    private static async Task SendAsync(FakeConnection c, string text)
    {
        await c.SendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (c.Closed != FakeCloseKind.Open || c.Stalled || c.Socket.State != WebSocketState.Open) return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await c.Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
            c.FramesSent++;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // A client closing mid-send (InvalidOperationException: the socket left the Open state) must not
            // stop the market for everyone else.
            if (c.Closed == FakeCloseKind.Open) c.Closed = FakeCloseKind.Aborted;
        }
        finally { c.SendLock.Release(); }
    }

    private static string DepthUpdateJson(string symbol, long eventTime, FakeMarket.StepResult step)
    {
        var sb = new StringBuilder();
        sb.Append("{\"e\":\"depthUpdate\",\"E\":").Append(eventTime).Append(",\"s\":\"").Append(symbol)
          .Append("\",\"U\":").Append(step.FirstUpdateId).Append(",\"u\":").Append(step.FinalUpdateId).Append(",\"b\":");
        AppendLevels(sb, step.Bids);
        sb.Append(",\"a\":");
        AppendLevels(sb, step.Asks);
        sb.Append('}');
        return sb.ToString();
    }

    private static void AppendLevels(StringBuilder sb, IEnumerable<PriceLevel> levels)
    {
        sb.Append('[');
        var first = true;
        foreach (var l in levels)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append("[\"").Append(Text(l.Price)).Append("\",\"").Append(Text(l.Quantity)).Append("\"]");
        }
        sb.Append(']');
    }

    private static string Text(long value) => FixedPoint.ToText(value);

    public async ValueTask DisposeAsync()
    {
        StopPump();
        AbortAllConnections();
        var app = _app;
        _app = null;
        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
        _marketLock.Dispose();
    }
}
