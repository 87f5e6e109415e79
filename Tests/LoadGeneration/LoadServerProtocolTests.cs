using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using MarketData.Candles;
using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.LoadGeneration;
using MarketData.Streams;
using MarketData.Tests.Integration;
using MarketData.Tests.Protocol;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace MarketData.Tests.LoadGeneration;

/// <summary>
/// The load generator over real WebSockets on loopback: its streams pass the same protocol checks as the fake server's
/// (through the real live feed and book synchronizers), it shards like Binance, its REST answers like Binance, its rates
/// follow the profile, a slow consumer is cut off and counted with the server's memory bounded, and a dropped connection
/// makes the feed reconnect and resync.
/// </summary>
public sealed class LoadServerProtocolTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Streams_pass_the_protocol_checks_and_books_equal_the_servers()
    {
        await using var h = await LoadFeedHarness.StartAsync(output, new LoadServerOptions { SymbolCount = 12, Seed = 3 });
        await h.WaitUntilAsync(h.AllSynced, "all books synced");
        // Let the market run until every symbol has finished a few 1 s candles and pushed its slower klines.
        await h.WaitUntilAsync(() => h.Symbols.All(s => h.EventsOf(s).OfType<KlineEvent>().Count(k => k.Timeframe.Name == "1s" && (k.Candle.Flags & CandleFlags.Closed) != 0) >= 4
                                                        && h.EventsOf(s).OfType<KlineEvent>().Any(k => k.Timeframe.Name == "1d")),
            "a few seconds of klines");
        await h.PauseAndAssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        output.WriteLine(h.Describe());
        Assert.Equal(FeedState.Connected, status.State);
        Assert.Equal(0, status.Rejected);
        Assert.Equal(0, status.UnknownEvents);
        Assert.Equal(0, status.Reconnects);
        Assert.Equal(1, status.Connections);
        Assert.Equal(12, status.SnapshotsFetched);
        var comparedTops = 0;
        var comparedCandles = 0;
        foreach (var symbol in h.Symbols)
        {
            var events = h.EventsOf(symbol);
            BinanceStreamChecks.AssertNoDuplicates(events, symbol);
            BinanceStreamChecks.AssertContiguous(events, symbol);
            BinanceStreamChecks.AssertAggTradesMatchTrades(events, symbol);
            comparedTops += BinanceStreamChecks.AssertBookTickersMatchBook(events.OfType<BookTickerEvent>().ToList(), h.TopsOf(symbol), symbol);
            comparedCandles += BinanceStreamChecks.AssertKlinesMatchTrades(events, symbol);
            Assert.Single(events.OfType<DepthSnapshot>());
            Assert.Contains(events, e => e is BookTickerEvent);
            Assert.Contains(events, e => e is TickerEvent);
            foreach (var interval in new[] { "1s", "1m", "1h", "1d" })
                Assert.Contains(events, e => e is KlineEvent k && k.Timeframe.Name == interval);
            // E is the server's wall clock at serialisation: the frame arrived after it (seconds after, on a starved host).
            foreach (var diff in events.OfType<DepthDiff>())
                Assert.InRange((diff.ReceivedAt - DateTime.UnixEpoch.AddMilliseconds(diff.EventTime)).TotalMilliseconds, -1, 30_000);
        }
        var btc = h.EventsOf("BTCUSDT");
        Assert.Contains(btc, e => e is TradeEvent { IsAggregate: false });
        Assert.Contains(btc, e => e is TradeEvent { IsAggregate: true });
        output.WriteLine($"{comparedTops} book states compared with bookTickers, {comparedCandles} 1 s candles with trades");
        Assert.True(comparedTops > 100);
        Assert.True(comparedCandles >= 12);

        var stats = h.Server.Stats;
        Assert.All(stats.FramesByKind, kv => Assert.True(kv.Value > 0, $"no {kv.Key} frames"));
        Assert.Equal(0, stats.SlowConsumerDisconnects);
        Assert.Equal(1, stats.OpenConnections);
    }

    [Fact]
    public async Task Hundreds_of_symbols_shard_over_connections_within_the_stream_and_url_limits_and_all_books_sync()
    {
        const int symbols = 300;
        await using var h = await LoadFeedHarness.StartAsync(output, new LoadServerOptions { SymbolCount = symbols, Seed = 4, MaxLevelsPerSide = 100 },
            o => o.SnapshotLimit = 100);
        var uris = h.Feed.ConnectionUris;
        var expectedConnections = uris.Count;
        var streams = uris.Select(u => u.Query["?streams=".Length..].Split('/')).ToArray();
        Assert.All(uris, u => Assert.True(u.OriginalString.Length <= 4_096, $"{u.OriginalString.Length} characters"));
        Assert.All(streams, s => Assert.True(s.Length <= 1_024));
        Assert.Equal(symbols * 9, streams.Sum(s => s.Length));
        Assert.Equal(symbols * 9, streams.SelectMany(s => s).Distinct().Count());
        Assert.InRange(expectedConnections, 2, 20);
        await h.WaitUntilAsync(() => h.Server.Stats.OpenConnections == expectedConnections, $"{expectedConnections} connections");
        await h.WaitUntilAsync(h.AllSynced, "all books synced", timeoutSeconds: 90);
        await h.PauseAndAssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        output.WriteLine(h.Describe());
        Assert.Equal(expectedConnections, status.Connections);
        Assert.Equal(0, status.Rejected);
        Assert.Equal(0, status.UnknownEvents);
        Assert.Equal(symbols, status.SnapshotsFetched);
        foreach (var symbol in h.Symbols)
        {
            var events = h.EventsOf(symbol);
            BinanceStreamChecks.AssertNoDuplicates(events, symbol);
            BinanceStreamChecks.AssertContiguous(events, symbol);
        }
    }

    [Fact]
    public async Task Rest_answers_with_binance_weights_errors_and_429()
    {
        // A fake clock keeps the weight minute from rolling mid-test; the generator does not run on it.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 30, TimeSpan.Zero));
        await using var server = await BinanceLoadServer.StartAsync(new LoadServerOptions { SymbolCount = 3, Time = time, WeightLimitPerMinute = 300 });
        using var http = new HttpClient { BaseAddress = server.RestBaseUrl };

        async Task<(HttpStatusCode Status, string Body, int Weight, string? RetryAfter)> Get(string path)
        {
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            var weight = int.Parse(response.Headers.GetValues("X-MBX-USED-WEIGHT-1M").Single(), System.Globalization.CultureInfo.InvariantCulture);
            return (response.StatusCode, body, weight, response.Headers.TryGetValues("Retry-After", out var r) ? r.Single() : null);
        }

        // Depth: weight by limit, a consistent snapshot the feed's parser reads.
        var depth = await Get("api/v3/depth?symbol=BTCUSDT&limit=5");
        Assert.Equal(HttpStatusCode.OK, depth.Status);
        Assert.Equal(5, depth.Weight);
        var parser = new BinanceFrameParser();
        Assert.Equal(BinanceFrameKind.DepthSnapshot, parser.Parse(Encoding.UTF8.GetBytes(depth.Body)));
        Assert.Equal(5, parser.Bids.Length);
        Assert.Equal(5, parser.Asks.Length);
        Assert.Equal(server.LastUpdateId("BTCUSDT"), parser.LastUpdateId);
        Assert.True(parser.Bids[0].Price < parser.Asks[0].Price);
        var full = await Get("api/v3/depth?symbol=ETHUSDT&limit=1000");
        Assert.Equal(5 + 50, full.Weight);
        parser.Parse(Encoding.UTF8.GetBytes(full.Body));
        var book = await server.BookAsync("ETHUSDT");
        Assert.Equal(book.Bids, parser.Bids.ToArray());
        Assert.Equal(book.Asks, parser.Asks.ToArray());
        Assert.Equal(55 + 25, (await Get("api/v3/depth?symbol=L0003USDT&limit=500")).Weight);
        Assert.Equal(80 + 5, (await Get("api/v3/depth?symbol=L0003USDT")).Weight); // default limit 100

        var missing = await Get("api/v3/depth");
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("-1102", missing.Body, StringComparison.Ordinal);
        var unknown = await Get("api/v3/depth?symbol=NOPEUSDT");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("\"code\":-1121", unknown.Body, StringComparison.Ordinal);
        var badLimit = await Get("api/v3/depth?symbol=BTCUSDT&limit=abc");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.Status);
        Assert.Contains("-1100", badLimit.Body, StringComparison.Ordinal);

        // Klines: rows ending at the interval that contains now, the newest one the market's own forming candle.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var klines = await Get("api/v3/klines?symbol=BTCUSDT&interval=1m&limit=10");
        Assert.Equal(HttpStatusCode.OK, klines.Status);
        var candles = new List<Candle>();
        Assert.True(BinanceKlineParser.ParseRestBody(Encoding.UTF8.GetBytes(klines.Body), Timeframe.OneMinute, CandleSource.BinanceRest, now, candles, out var error), error);
        Assert.Equal(10, candles.Count);
        Assert.Equal(now - now % 60_000, candles[^1].OpenTime);
        Assert.All(candles.Zip(candles.Skip(1)), p => Assert.Equal(p.First.OpenTime + 60_000, p.Second.OpenTime));
        Assert.All(candles, c => Assert.True(c.Low <= Math.Min(c.Open, c.Close) && c.High >= Math.Max(c.Open, c.Close)));
        Assert.Equal(CandleFlags.None, candles[^1].Flags & CandleFlags.Closed);
        var ranged = await Get($"api/v3/klines?symbol=ETHUSDT&interval=5m&startTime={now - 3_600_000}&endTime={now}");
        candles.Clear();
        Assert.True(BinanceKlineParser.ParseRestBody(Encoding.UTF8.GetBytes(ranged.Body), Timeframe.OneMinute, CandleSource.BinanceRest, now, candles, out error), error);
        Assert.Equal(12, candles.Count);
        foreach (var (query, code) in new[]
                 {
                     ("symbol=BTCUSDT&interval=7m", "-1120"), ("symbol=BTCUSDT&interval=1m&limit=0", "-1130"), ("symbol=BTCUSDT&interval=1m&limit=1001", "-1130"),
                     ("symbol=BTCUSDT&interval=1m&startTime=20&endTime=10", "-1130"), ("symbol=BTCUSDT&interval=1m&startTime=x", "-1130"),
                     ("symbol=NOPEUSDT&interval=1m", "-1121"), ("interval=1m", "-1102"),
                 })
        {
            var answer = await Get("api/v3/klines?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.Contains(code, answer.Body, StringComparison.Ordinal);
        }

        var ping = await Get("api/v3/ping");
        Assert.Equal("{}", ping.Body);
        var price = await Get("api/v3/ticker/price?symbol=ETHUSDT");
        Assert.StartsWith("{\"symbol\":\"ETHUSDT\",\"price\":\"", price.Body, StringComparison.Ordinal);
        Assert.Contains("-1121", (await Get("api/v3/ticker/price?symbol=NOPEUSDT")).Body, StringComparison.Ordinal);
        Assert.Equal(3, System.Text.Json.JsonDocument.Parse((await Get("api/v3/ticker/price")).Body).RootElement.GetArrayLength());

        // Over the weight limit: 429 with Retry-After until the minute turns.
        var used = server.Stats.RestWeightUsed;
        Assert.True(used + 250 > 300, $"weight used {used}");
        var refused = await Get("api/v3/depth?symbol=BTCUSDT&limit=5000");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Contains("-1003", refused.Body, StringComparison.Ordinal);
        Assert.Equal("30", refused.RetryAfter);
        Assert.Equal(used, refused.Weight);
        time.Advance(TimeSpan.FromSeconds(30));
        var afterMinute = await Get("api/v3/depth?symbol=BTCUSDT&limit=5000");
        Assert.Equal(HttpStatusCode.OK, afterMinute.Status);
        Assert.Equal(250, afterMinute.Weight);
        Assert.True(server.Stats.RestRequests >= 20);
    }

    [Fact]
    public async Task Measured_rates_follow_the_profile()
    {
        // The generator runs on a fake clock, stepped here tick by tick: a starved test host (CI runs the suite beside
        // the short soak on 2 cores) would otherwise skip missed depth slots and measure the machine, not the profile.
        const int symbols = 250;
        const double seconds = 10;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var options = new LoadServerOptions { SymbolCount = symbols, Seed = 6, Time = time, SchedulerPeriod = TimeSpan.FromDays(1) };
        await using var server = await BinanceLoadServer.StartAsync(options);
        var counts = new long[symbols, StreamKinds.Count];
        long received = 0;
        using var stop = new CancellationTokenSource();
        var readers = new List<Task>();
        var sockets = new List<ClientWebSocket>();
        foreach (var chunk in server.Symbols.Chunk(1024 / 9))
        {
            var socket = new ClientWebSocket();
            sockets.Add(socket);
            await socket.ConnectAsync(StreamUri(server, chunk), CancellationToken.None);
            readers.Add(ReadAsync(socket, frame =>
            {
                var (rank, kind) = Classify(frame);
                Interlocked.Increment(ref counts[rank - 1, (int)kind]);
                Interlocked.Increment(ref received);
            }, stop.Token));
        }
        await WaitUntilAsync(() => server.Stats.OpenConnections == sockets.Count, "connected");

        var ticks = (int)(seconds * 1000 / 10);
        for (var i = 1; i <= ticks; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            server.Step();
            // Let the readers drain, so no connection nears the slow-consumer bound.
            if (i % 50 == 0) await WaitUntilAsync(() => server.Stats.QueuedBytes < 512 * 1024, "queues drained");
        }
        await WaitUntilAsync(() => server.Stats.QueuedBytes == 0 && Interlocked.Read(ref received) == server.Stats.FramesSent, "every frame received");
        Assert.Equal(0, server.Stats.SlowConsumerDisconnects);
        await stop.CancelAsync();
        foreach (var s in sockets) s.Abort();
        await Task.WhenAll(readers);
        output.WriteLine($"{seconds} s of generator time, {received} frames");

        var profile = LoadProfile.Default;
        var expected = profile.ExpectedFramesPerSecond(symbols);
        foreach (var kind in StreamKinds.All)
        {
            var measured = Enumerable.Range(0, symbols).Sum(r => counts[r, (int)kind]) / seconds;
            output.WriteLine($"{StreamKinds.Name(kind),-10} measured {measured,8:F1}/s, profile {expected[kind],8:F1}/s");
            // Deterministic for the seed; the band is the Poisson spread of a 10 s window, so another seed passes too.
            Assert.InRange(measured, expected[kind] * 0.7, expected[kind] * 1.3);
        }
        // Per symbol at the head: BTCUSDT near its recorded rates.
        var btcDepth = counts[0, (int)StreamKind.Depth] / seconds;
        var btcBookTicker = counts[0, (int)StreamKind.BookTicker] / seconds;
        output.WriteLine($"BTCUSDT depth {btcDepth:F1}/s, bookTicker {btcBookTicker:F1}/s");
        Assert.InRange(btcDepth, 8, 10.5);
        Assert.InRange(btcBookTicker, profile.BookTickerPerSecond(1) * 0.7, profile.BookTickerPerSecond(1) * 1.3);
    }

    [Fact]
    public async Task A_slow_consumer_is_disconnected_and_counted_and_queues_stay_bounded()
    {
        // The generator runs on a fake clock, stepped here: each step waits for the reader that keeps up to drain its
        // queue, so a starved test host cannot make it look slow, while the reader that never reads fills its bound.
        const int bound = 512 * 1024;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = await BinanceLoadServer.StartAsync(new LoadServerOptions
        {
            SymbolCount = 30, RateScale = 2, Seed = 8, MaxQueuedBytesPerConnection = bound, SocketSendBufferBytes = 16 * 1024,
            Time = time, SchedulerPeriod = TimeSpan.FromDays(1),
        });
        var uri = StreamUri(server, server.Symbols);
        using var stop = new CancellationTokenSource();
        using var good = new ClientWebSocket();
        await good.ConnectAsync(uri, CancellationToken.None);
        long goodFrames = 0;
        var reader = ReadAsync(good, _ => Interlocked.Increment(ref goodFrames), stop.Token);
        await WaitUntilAsync(() => server.Stats.OpenConnections == 1, "the good reader connected");

        // A reader that never reads, with a tiny kernel receive buffer so back-pressure reaches the server at once.
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await s.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var slow = new ClientWebSocket();
        await slow.ConnectAsync(uri, invoker, CancellationToken.None);
        await WaitUntilAsync(() => server.Stats.OpenConnections == 2, "the slow reader connected");

        async Task StepAsync()
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            server.Step();
            await WaitUntilAsync(() => server.QueuedBytesByConnection() is [< 64 * 1024, ..], "the good reader drained");
        }
        for (var step = 0; step < 6_000 && server.Stats.SlowConsumerDisconnects == 0; step++) await StepAsync();
        var stats = server.Stats;
        output.WriteLine($"cut off after {time.GetUtcNow():HH:mm:ss.fff} (generator time), dropped {stats.FramesDroppedForSlowConsumers}, max queued {stats.MaxQueuedBytes} B, open {stats.OpenConnections}");
        Assert.Equal(1, stats.SlowConsumerDisconnects);
        Assert.True(stats.FramesDroppedForSlowConsumers > 0);
        Assert.InRange(stats.MaxQueuedBytes, 1, bound);
        Assert.Equal(1, stats.OpenConnections);

        // The reader that keeps up is not affected.
        var before = Interlocked.Read(ref goodFrames);
        for (var step = 0; step < 6_000 && Interlocked.Read(ref goodFrames) <= before + 100; step++) await StepAsync();
        Assert.True(Interlocked.Read(ref goodFrames) > before + 100, "the good reader still served");
        Assert.Equal(WebSocketState.Open, good.State);
        Assert.Equal(1, server.Stats.SlowConsumerDisconnects);
        Assert.True(server.Stats.MaxQueuedBytes <= bound);
        await stop.CancelAsync();
        good.Abort();
        await reader;
    }

    [Fact]
    public async Task Aborted_connections_make_the_feed_reconnect_and_resync()
    {
        await using var h = await LoadFeedHarness.StartAsync(output, new LoadServerOptions { SymbolCount = 6, Seed = 9 });
        await h.WaitUntilAsync(h.AllSynced, "all books synced");

        h.Server.AbortAllConnections();
        await h.WaitUntilAsync(() => h.Symbols.All(s => h.EventsOf(s).OfType<FeedInterrupted>().Any()), "interruptions published");
        // A busy machine (the whole suite in parallel) can make the server cut a lagging reader off as a slow consumer as
        // well: every connection beyond the first two must be explained by such a cut, and so must every extra reconnect.
        await h.WaitUntilAsync(() => h.Server.Stats is { ConnectionsAccepted: >= 2, OpenConnections: 1 }, "reconnected", 40);
        // A book goes stale on the interruption. It is synced again either from a new snapshot (its stream lost diffs in
        // the outage) or by the next diff continuing its last update id (a quiet symbol lost nothing): both are correct.
        await h.WaitUntilAsync(() => h.AllSynced() && h.Symbols.All(s => h.Book(s).Counters.SnapshotsApplied >= 2 || DiffAfterLastInterruption(s)),
            "resynced after the interruption", 40);
        await h.PauseAndAssertBooksMatchServerAsync();

        var status = h.Feed.GetStatus();
        var stats = h.Server.Stats;
        output.WriteLine(h.Describe());
        Assert.Equal(2 + stats.SlowConsumerDisconnects, stats.ConnectionsAccepted);
        Assert.Equal(1 + stats.SlowConsumerDisconnects, status.Reconnects);
        Assert.Equal(FeedState.Connected, status.State);
        Assert.Equal(0, status.Rejected);
        foreach (var symbol in h.Symbols)
        {
            var events = h.EventsOf(symbol).ToList();
            BinanceStreamChecks.AssertNoDuplicates(events, symbol);
            // After the (last) reconnect the streams are contiguous again.
            var last = events.FindLastIndex(e => e is FeedInterrupted);
            Assert.True(last >= 0, $"{symbol}: no interruption published");
            var after = events.Skip(last + 1).ToList();
            BinanceStreamChecks.AssertContiguous(after, symbol);
            // A book synced again without a new snapshot must have resumed exactly where it stood.
            if (h.Book(symbol).Counters.SnapshotsApplied == 1)
                BinanceStreamChecks.AssertContiguous(events.OfType<DepthDiff>().ToList<MarketEvent>(), symbol);
        }
        // The busy symbols lose diffs in the outage, so the gap path runs too.
        Assert.Contains(h.Symbols, s => h.Book(s).Counters.SnapshotsApplied >= 2);

        bool DiffAfterLastInterruption(string symbol)
        {
            var events = h.EventsOf(symbol);
            var last = -1;
            for (var i = 0; i < events.Count; i++) if (events[i] is FeedInterrupted) last = i;
            return last >= 0 && events.Skip(last + 1).OfType<DepthDiff>().Any();
        }
    }

    // ---------------------------------------------------------------- raw WebSocket helpers

    private static Uri StreamUri(BinanceLoadServer server, IEnumerable<string> symbols)
        => new($"{server.WebSocketBaseUrl.ToString().TrimEnd('/')}/stream?streams={string.Join('/', symbols.SelectMany(s => LoadFeedHarness.AllStreams.Select(x => $"{s.ToLowerInvariant()}@{x}")))}");

    /// <summary>Reads whole frames until cancelled or closed, handing each to <paramref name="onFrame"/>.</summary>
    private static async Task ReadAsync(ClientWebSocket socket, Action<ReadOnlyMemory<byte>> onFrame, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), ct);
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    count += result.Count;
                }
                while (!result.EndOfMessage);
                onFrame(buffer.AsMemory(0, count));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException) { }
    }

    /// <summary>Rank and kind from the frame's stream name: <c>{"stream":"l0042usdt@kline_1m","data":...</c>.</summary>
    private static (int Rank, StreamKind Kind) Classify(ReadOnlyMemory<byte> frame)
    {
        var span = frame.Span;
        const int start = 11; // {"stream":"
        var end = span[start..].IndexOf((byte)'"') + start;
        var name = Encoding.ASCII.GetString(span[start..end]);
        var at = name.IndexOf('@', StringComparison.Ordinal);
        var symbol = name[..at].ToUpperInvariant();
        var rank = symbol switch { "BTCUSDT" => 1, "ETHUSDT" => 2, _ => int.Parse(symbol.AsSpan(1, symbol.Length - 5), System.Globalization.CultureInfo.InvariantCulture) };
        Assert.True(StreamKinds.TryParse(name.AsSpan(at + 1), out var kind), name);
        return (rank, kind);
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what);
}
