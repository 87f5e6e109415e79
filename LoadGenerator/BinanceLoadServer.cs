using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MarketData.LoadGeneration;

/// <summary>
/// A fake Binance spot exchange under load: <see cref="LoadServerOptions.SymbolCount"/> synthetic markets
/// (<see cref="SymbolMarket"/>) at the rates of <see cref="LoadProfile"/>, served over real WebSockets
/// (<c>/stream?streams=a/b/c</c>, combined-stream frames) and the REST endpoints the silo uses
/// (<c>/api/v3/depth</c>, <c>/api/v3/klines</c>, <c>/api/v3/ping</c>, <c>/api/v3/ticker/price</c>) with Binance's weights,
/// weight header and error bodies.
/// <para>
/// One scheduler wakes every <see cref="LoadServerOptions.SchedulerPeriod"/> and advances the markets whose next event
/// is due; each market writes its frames once into a reusable buffer and the precomputed routing table copies them into
/// the bounded queue of every connection subscribed to that stream (no scan over streams per frame). One sender loop
/// per connection drains its queue; a connection that falls behind by more than
/// <see cref="LoadServerOptions.MaxQueuedBytesPerConnection"/> is cut off and counted.
/// </para>
/// </summary>
public sealed class BinanceLoadServer : IAsyncDisposable
{
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly LoadServerOptions _options;
    private readonly TimeProvider _time;
    private readonly SymbolMarket[] _markets;
    private readonly SymbolRoutes[] _routes;
    private readonly Dictionary<string, int> _indexByLower = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _indexBySymbol = new(StringComparer.Ordinal);
    private readonly string[] _symbols;
    private readonly object _registry = new();
    private readonly List<LoadConnection> _connections = [];
    private readonly object _tickLock = new();
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _app;
    private Task? _scheduler;
    private volatile bool _paused;
    private double _pausedAtMs;

    // Counters. Those only the scheduler writes are plain fields read with Volatile; the rest are Interlocked.
    internal readonly long[] FramesByKind = new long[StreamKinds.Count];
    private long _framesSent, _bytesSent, _connectionsAccepted, _slowConsumers, _droppedForSlow, _maxQueued;
    private long _restRequests;
    private int _nextConnectionId;
    private double _slipThisSecond, _slipLastSecond;
    private long _slipSecond;
    private readonly object _weightLock = new();
    private long _weightMinute = -1;
    private int _weightUsed;

    private BinanceLoadServer(LoadServerOptions options)
    {
        options.Validate();
        _options = options;
        _time = options.Time;
        var now = NowMs();
        var nowUnix = (long)now;
        _markets = new SymbolMarket[options.SymbolCount];
        _routes = new SymbolRoutes[options.SymbolCount];
        _symbols = new string[options.SymbolCount];
        for (var i = 0; i < options.SymbolCount; i++)
        {
            var symbol = LoadServerOptions.SymbolOf(i + 1);
            _symbols[i] = symbol;
            _markets[i] = new SymbolMarket(symbol, i + 1, options.Profile, options.RateScale, options.Seed, now, nowUnix, options.MaxLevelsPerSide);
            _routes[i] = new SymbolRoutes(this);
            _indexByLower[symbol.ToLowerInvariant()] = i;
            _indexBySymbol[symbol] = i;
        }
    }

    public Uri RestBaseUrl { get; private set; } = null!;
    public Uri WebSocketBaseUrl { get; private set; } = null!;
    public IReadOnlyList<string> Symbols => _symbols;
    public LoadServerOptions Options => _options;

    public static async Task<BinanceLoadServer> StartAsync(LoadServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var server = new BinanceLoadServer(options);
        try
        {
            await server.ListenAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        server._scheduler = Task.Run(() => server.RunSchedulerAsync(server._stop.Token), CancellationToken.None);
        return server;
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(_options.Url);
        // 1024 stream names make a request line of about 25 KB, over Kestrel's 8 KB default. Binance documents no limit; the
        // feed packs connections under Feeds:Binance:MaxUrlLength (4 KB), and this server takes more so a raised limit can be run.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestLineSize = 128 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 256 * 1024;
        });
        builder.Logging.ClearProviders();
        if (_options.SocketSendBufferBytes is { } sendBuffer)
        {
            // Accepted sockets inherit the listening socket's buffer sizes.
            builder.Services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                socket.SendBufferSize = sendBuffer;
                return socket;
            });
        }
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/stream", HandleStreamAsync);
        app.MapGet("/api/v3/depth", HandleDepthAsync);
        app.MapGet("/api/v3/klines", HandleKlinesAsync);
        app.MapGet("/api/v3/ping", HandlePingAsync);
        app.MapGet("/api/v3/ticker/price", HandleTickerPriceAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        RestBaseUrl = new Uri(address);
        WebSocketBaseUrl = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal));
    }

    // ================================================================ control

    /// <summary>
    /// Stops generating (connections stay open; queued frames still go out). Pending book changes go out as a last diff,
    /// so a client that read everything stands at each book's <see cref="LastUpdateId"/>. Returns once no step is running.
    /// </summary>
    public void Pause()
    {
        lock (_tickLock)
        {
            if (_paused) return;
            _paused = true;
            _pausedAtMs = NowMs();
            var writer = new FrameWriter();
            for (var i = 0; i < _markets.Length; i++)
            {
                var market = _markets[i];
                var now = (long)NowMs();
                lock (market) market.Flush(now, writer, _routes[i]);
            }
        }
    }

    /// <summary>Generates again; due times move by the pause, so nothing is replayed in a burst.</summary>
    public void Resume()
    {
        lock (_tickLock)
        {
            if (!_paused) return;
            var shift = NowMs() - _pausedAtMs;
            foreach (var market in _markets)
                lock (market) market.Shift(shift);
            _paused = false;
        }
    }

    /// <summary>The book of <paramref name="symbol"/>, best first on both sides, and its last update id, consistently.</summary>
    public Task<LoadBook> BookAsync(string symbol)
    {
        var market = _markets[_indexBySymbol[symbol]];
        lock (market) return Task.FromResult(market.Book());
    }

    /// <summary>Last update id of <paramref name="symbol"/>'s book.</summary>
    public long LastUpdateId(string symbol)
    {
        var market = _markets[_indexBySymbol[symbol]];
        lock (market) return market.LastUpdateId;
    }

    /// <summary>Drops every open connection without a close handshake (like a network failure).</summary>
    public void AbortAllConnections()
    {
        LoadConnection[] open;
        lock (_registry) open = [.. _connections];
        foreach (var c in open) c.Abort();
    }

    /// <summary>
    /// Advances the markets once, as a scheduler tick does, under the same lock (for a test that drives the server's
    /// fake clock itself and sets a scheduler period its clock never reaches).
    /// </summary>
    internal void Step()
    {
        lock (_tickLock)
        {
            if (_paused) return;
            Tick(_stepWriter ??= new FrameWriter());
        }
    }

    private FrameWriter? _stepWriter;

    /// <summary>Unsent bytes of each open connection, oldest first (lets a test pace generation to one reader).</summary>
    internal long[] QueuedBytesByConnection()
    {
        lock (_registry) return [.. _connections.OrderBy(c => c.Id).Select(c => c.QueuedBytes)];
    }

    public LoadServerStats Stats
    {
        get
        {
            var byKind = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var k = 0; k < StreamKinds.Count; k++) byKind[StreamKinds.Name((StreamKind)k)] = Volatile.Read(ref FramesByKind[k]);
            long open, queued = 0;
            lock (_registry)
            {
                open = _connections.Count;
                foreach (var c in _connections) queued += c.QueuedBytes;
            }
            double slip;
            lock (_tickLock) slip = Math.Max(_slipLastSecond, _slipThisSecond);
            return new LoadServerStats
            {
                FramesSent = Interlocked.Read(ref _framesSent),
                FramesByKind = byKind,
                BytesSent = Interlocked.Read(ref _bytesSent),
                ConnectionsAccepted = Interlocked.Read(ref _connectionsAccepted),
                OpenConnections = open,
                SlowConsumerDisconnects = Interlocked.Read(ref _slowConsumers),
                FramesDroppedForSlowConsumers = Interlocked.Read(ref _droppedForSlow),
                MaxQueuedBytes = Interlocked.Read(ref _maxQueued),
                QueuedBytes = queued,
                ScheduleSlipMs = slip,
                RestRequests = Interlocked.Read(ref _restRequests),
                RestWeightUsed = WeightUsedThisMinute,
            };
        }
    }

    // ================================================================ scheduler

    private double NowMs() => (_time.GetUtcNow().UtcTicks - UnixEpochTicks) / (double)TimeSpan.TicksPerMillisecond;

    private async Task RunSchedulerAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.SchedulerPeriod, _time);
        var writer = new FrameWriter();
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                lock (_tickLock)
                {
                    if (_paused) continue;
                    Tick(writer);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Advances every market whose next event is due. Runs under the tick lock, on one thread at a time.</summary>
    internal void Tick(FrameWriter writer)
    {
        var tickNow = NowMs();
        var worst = 0.0;
        for (var i = 0; i < _markets.Length; i++)
        {
            var market = _markets[i];
            if (market.NextDueMs > tickNow) continue;
            // E is the wall clock at serialisation: read it per market, not once per tick.
            var now = NowMs();
            lock (market) market.Advance(now, (long)now, writer, _routes[i], ref worst);
        }
        var second = (long)(tickNow / 1000);
        if (second != _slipSecond)
        {
            _slipLastSecond = second == _slipSecond + 1 ? _slipThisSecond : 0;
            _slipThisSecond = 0;
            _slipSecond = second;
        }
        if (worst > _slipThisSecond) _slipThisSecond = worst;
    }

    // ================================================================ counters used by connections and routes

    internal void ObserveQueued(long bytes)
    {
        // Only the scheduler queues frames, so this read-compare-write has a single writer.
        if (bytes > Volatile.Read(ref _maxQueued)) Volatile.Write(ref _maxQueued, bytes);
    }

    internal void OnSent(int frames, long bytes)
    {
        Interlocked.Add(ref _framesSent, frames);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void OnSlowConsumer(LoadConnection connection, long droppedFrames)
    {
        Interlocked.Increment(ref _slowConsumers);
        Interlocked.Add(ref _droppedForSlow, droppedFrames);
        Unregister(connection);
    }

    // ================================================================ WebSocket streams

    private sealed record Subscription(LoadConnection Connection, byte[] Prefix);

    /// <summary>
    /// The routing row of one symbol: per stream kind, the connections subscribed and their frame prefix
    /// (<c>{"stream":"btcusdt@depth@100ms","data":</c>). Arrays are replaced whole (copy on write) under the registry
    /// lock, so the scheduler reads them without locking.
    /// </summary>
    private sealed class SymbolRoutes(BinanceLoadServer server) : IFrameSink
    {
        public readonly Subscription[][] ByKind = Enumerable.Range(0, StreamKinds.Count).Select(_ => Array.Empty<Subscription>()).ToArray();

        public bool Wants(StreamKind kind) => Volatile.Read(ref ByKind[(int)kind]).Length > 0;

        public void Write(StreamKind kind, ReadOnlySpan<byte> payload)
        {
            var subscriptions = Volatile.Read(ref ByKind[(int)kind]);
            var delivered = 0;
            foreach (var s in subscriptions)
                if (s.Connection.TryEnqueue(s.Prefix, payload)) delivered++;
            server.FramesByKind[(int)kind] += delivered;
        }
    }

    private async Task HandleStreamAsync(HttpContext context)
    {
        if (!BinanceRestRules.TryParseStreams(context.Request.Query["streams"].ToString(), out var streams, out var streamsError))
        {
            await BinanceRestRules.WriteErrorAsync(context, 400, -1100, streamsError, 0).ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var connection = new LoadConnection(Interlocked.Increment(ref _nextConnectionId), streams.Distinct(StringComparer.Ordinal).ToArray(), socket, context, this, _options.MaxQueuedBytesPerConnection);
        Register(connection);
        Interlocked.Increment(ref _connectionsAccepted);
        var sender = Task.Run(() => connection.SendLoopAsync(_stop.Token));
        var buffer = new byte[1024];
        try
        {
            // Clients send nothing on a combined stream but control frames; read to see the close handshake or a failure.
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException) { }
        finally
        {
            Unregister(connection);
            connection.Close();
            try { await sender.ConfigureAwait(false); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException) { }
        }
        if (socket.State == WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException) { }
        }
    }

    private void Register(LoadConnection connection)
    {
        lock (_registry)
        {
            _connections.Add(connection);
            foreach (var stream in connection.Streams)
            {
                if (!TryRoute(stream, out var index, out var kind)) continue; // a well-formed stream of an unknown symbol: silence, like Binance
                var prefix = Encoding.ASCII.GetBytes($"{{\"stream\":\"{stream}\",\"data\":");
                var row = _routes[index].ByKind;
                Volatile.Write(ref row[(int)kind], [.. row[(int)kind], new Subscription(connection, prefix)]);
            }
        }
    }

    private void Unregister(LoadConnection connection)
    {
        lock (_registry)
        {
            if (!_connections.Remove(connection)) return;
            foreach (var stream in connection.Streams)
            {
                if (!TryRoute(stream, out var index, out var kind)) continue;
                var row = _routes[index].ByKind;
                Volatile.Write(ref row[(int)kind], row[(int)kind].Where(s => s.Connection != connection).ToArray());
            }
        }
    }

    private bool TryRoute(string stream, out int index, out StreamKind kind)
    {
        var at = stream.IndexOf('@', StringComparison.Ordinal);
        kind = default;
        return _indexByLower.TryGetValue(stream[..at], out index) && StreamKinds.TryParse(stream.AsSpan(at + 1), out kind);
    }

    // ================================================================ REST

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
        if (!_indexBySymbol.TryGetValue(symbol, out var index))
        {
            await ErrorAsync(context, 400, -1121, BinanceRestRules.InvalidSymbol, AddWeight(weight)).ConfigureAwait(false);
            return;
        }
        LoadBook book;
        var market = _markets[index];
        lock (market) book = market.Book(limit);
        var writer = new FrameWriter(64 + 64 * (book.Bids.Length + book.Asks.Length));
        writer.Raw("{\"lastUpdateId\":"u8);
        writer.Integer(book.LastUpdateId);
        writer.Raw(",\"bids\":"u8);
        WriteLevels(writer, book.Bids);
        writer.Raw(",\"asks\":"u8);
        WriteLevels(writer, book.Asks);
        writer.Byte((byte)'}');
        await JsonAsync(context, writer, AddWeight(weight)).ConfigureAwait(false);
    }

    private static void WriteLevels(FrameWriter writer, Streams.PriceLevel[] levels)
    {
        writer.Byte((byte)'[');
        for (var i = 0; i < levels.Length; i++)
        {
            if (i > 0) writer.Byte((byte)',');
            writer.Byte((byte)'[');
            writer.QuotedDecimal(levels[i].Price);
            writer.Byte((byte)',');
            writer.QuotedDecimal(levels[i].Quantity);
            writer.Byte((byte)']');
        }
        writer.Byte((byte)']');
    }

    private async Task HandleKlinesAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        if (await OverWeightAsync(context, BinanceRestRules.KlinesWeight).ConfigureAwait(false)) return;
        var q = context.Request.Query;
        var symbol = q["symbol"].ToString();
        if (symbol.Length == 0)
        {
            await ErrorAsync(context, 400, -1102, BinanceRestRules.MissingSymbol, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        if (!_indexBySymbol.TryGetValue(symbol, out var index))
        {
            await ErrorAsync(context, 400, -1121, BinanceRestRules.InvalidSymbol, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        if (!BinanceRestRules.Intervals.TryGetValue(q["interval"].ToString(), out var intervalMs))
        {
            await ErrorAsync(context, 400, -1120, BinanceRestRules.InvalidInterval, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        if (!BinanceRestRules.TryParseKlineRange(q, out var start, out var end, out var limit))
        {
            await ErrorAsync(context, 400, -1130, BinanceRestRules.InvalidParameter, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
            return;
        }
        var nowMs = (long)NowMs();
        var market = _markets[index];
        var writer = new FrameWriter();
        writer.Byte((byte)'[');
        var first = true;
        foreach (var openTime in KlineHistory.OpenTimes(intervalMs, start, end, limit ?? 500, nowMs))
        {
            if (!first) writer.Byte((byte)',');
            first = false;
            LiveCandle candle = default;
            var live = false;
            if (openTime + intervalMs > nowMs)
                lock (market) live = market.TryGetLiveCandle(intervalMs, nowMs, out candle) && candle.OpenTime == openTime;
            if (!live) candle = KlineHistory.At(market, intervalMs, openTime);
            KlineHistory.WriteRow(writer, candle, intervalMs);
        }
        writer.Byte((byte)']');
        await JsonAsync(context, writer, AddWeight(BinanceRestRules.KlinesWeight)).ConfigureAwait(false);
    }

    private async Task HandlePingAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        if (await OverWeightAsync(context, 1).ConfigureAwait(false)) return;
        var writer = new FrameWriter(8);
        writer.Raw("{}"u8);
        await JsonAsync(context, writer, AddWeight(1)).ConfigureAwait(false);
    }

    private async Task HandleTickerPriceAsync(HttpContext context)
    {
        Interlocked.Increment(ref _restRequests);
        var symbol = context.Request.Query["symbol"].ToString();
        var weight = symbol.Length == 0 ? 4 : 2;
        if (await OverWeightAsync(context, weight).ConfigureAwait(false)) return;
        var writer = new FrameWriter();
        if (symbol.Length == 0)
        {
            // Without a symbol Binance lists every symbol.
            writer.Byte((byte)'[');
            for (var i = 0; i < _markets.Length; i++)
            {
                if (i > 0) writer.Byte((byte)',');
                WritePrice(writer, i);
            }
            writer.Byte((byte)']');
        }
        else if (_indexBySymbol.TryGetValue(symbol, out var index))
        {
            WritePrice(writer, index);
        }
        else
        {
            await ErrorAsync(context, 400, -1121, BinanceRestRules.InvalidSymbol, AddWeight(weight)).ConfigureAwait(false);
            return;
        }
        await JsonAsync(context, writer, AddWeight(weight)).ConfigureAwait(false);
    }

    private void WritePrice(FrameWriter writer, int index)
    {
        var market = _markets[index];
        long price;
        lock (market) price = market.LastPrice;
        writer.Raw("{\"symbol\":"u8);
        writer.Quoted(Encoding.ASCII.GetBytes(_symbols[index]));
        writer.Raw(",\"price\":"u8);
        writer.QuotedDecimal(price);
        writer.Byte((byte)'}');
    }

    private static Task JsonAsync(HttpContext context, FrameWriter writer, int usedWeight)
        => BinanceRestRules.WriteJsonAsync(context, writer.Written.ToArray(), usedWeight);

    private static Task ErrorAsync(HttpContext context, int status, int code, string message, int usedWeight)
        => BinanceRestRules.WriteErrorAsync(context, status, code, message, usedWeight);

    /// <summary>Answers 429 with Retry-After (as Binance does by itself) when <paramref name="weight"/> does not fit in this minute.</summary>
    private async Task<bool> OverWeightAsync(HttpContext context, int weight)
    {
        lock (_weightLock)
        {
            RollWeightMinute();
            if (_weightUsed + weight <= _options.WeightLimitPerMinute) return false;
        }
        var retry = 60 - _time.GetUtcNow().Second;
        context.Response.Headers["Retry-After"] = retry.ToString(CultureInfo.InvariantCulture);
        await ErrorAsync(context, 429, -1003, BinanceRestRules.TooMuchWeight(_options.WeightLimitPerMinute), AddWeight(0)).ConfigureAwait(false);
        return true;
    }

    private int AddWeight(int weight)
    {
        lock (_weightLock)
        {
            RollWeightMinute();
            _weightUsed += weight;
            return _weightUsed;
        }
    }

    private void RollWeightMinute()
    {
        var minute = _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        if (minute == _weightMinute) return;
        _weightMinute = minute;
        _weightUsed = 0;
    }

    private int WeightUsedThisMinute
    {
        get
        {
            lock (_weightLock)
            {
                RollWeightMinute();
                return _weightUsed;
            }
        }
    }

    // ================================================================ lifetime

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_scheduler is not null) await _scheduler.ConfigureAwait(false);
        AbortAllConnections();
        var app = _app;
        _app = null;
        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
