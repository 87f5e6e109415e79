using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.Instruments;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace MarketData.Tests.Protocol;

/// <summary>
/// Feed + fake Binance + recording sink + one <see cref="OrderBookSynchronizer"/> per symbol, driven the way
/// the book grain will drive it: diffs and snapshots go in, and a <see cref="SyncAction"/> asking for a
/// snapshot becomes <see cref="BinanceSpotFeed.RequestSnapshot"/>. All time is fake.
/// </summary>
internal sealed class BinanceFeedHarness : IAsyncDisposable
{
    private readonly Dictionary<string, OrderBookSynchronizer> _books = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TopAt>> _tops = new(StringComparer.Ordinal);

    private BinanceFeedHarness(FakeTimeProvider time, FakeBinanceServer server, ITestOutputHelper output)
    {
        Time = time;
        Server = server;
        Output = output;
    }

    public FakeTimeProvider Time { get; }
    public FakeBinanceServer Server { get; }
    public ITestOutputHelper Output { get; }
    public RecordingSink Sink { get; } = new();
    public BinanceSpotFeed Feed { get; private set; } = null!;
    public BinanceFeedOptions Options { get; private set; } = null!;
    public string[] Symbols => [.. Server.Symbols];

    public static async Task<BinanceFeedHarness> StartAsync(ITestOutputHelper output, Action<BinanceFeedOptions>? configure = null,
        Action<FakeBinanceServer>? beforeStart = null, MarketData.Recording.IFrameRecorder? recorder = null, params string[] symbols)
    {
        if (symbols.Length == 0) symbols = ["BTCUSDT", "ETHUSDT"];
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var server = await FakeBinanceServer.StartAsync(time, seed: 42, symbols);
        var harness = new BinanceFeedHarness(time, server, output);
        var options = new BinanceFeedOptions
        {
            RestBaseUrl = server.RestBaseUrl.ToString(),
            WebSocketBaseUrl = server.WebSocketBaseUrl.ToString(),
            Symbols = [.. symbols],
            SnapshotStagger = TimeSpan.Zero,
            HeartbeatInterval = TimeSpan.FromHours(1),
            // Off unless a test turns it on: most tests step the fake clock by hours with the market idle, which the
            // silence watchdog would rightly call a silent connection (BinanceSilenceWatchdogTests turn it on).
            SilenceTimeout = TimeSpan.Zero,
            EventOnlySilenceTimeout = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        harness.Options = options;
        foreach (var s in symbols)
        {
            harness._books[s] = new OrderBookSynchronizer();
            harness._tops[s] = [];
        }
        harness.Sink.OnPublished = harness.Drive;
        harness.Feed = new BinanceSpotFeed(options, harness.Sink, time, new TestLogger(output), recorder);
        beforeStart?.Invoke(server);
        await harness.Feed.StartAsync(CancellationToken.None);
        return harness;
    }

    public static Instrument Instrument(string symbol) => new("binance", symbol);

    public OrderBookSynchronizer Book(string symbol) => _books[symbol];

    /// <summary>Runs on the feed's publishing path, under the symbol's gate: exactly the order the book grain sees.</summary>
    private void Drive(Instrument instrument, MarketEvent marketEvent)
    {
        var action = BinanceStreamChecks.ApplyToBook(_books[instrument.Symbol], _tops[instrument.Symbol], marketEvent);
        if (action.RequestSnapshot) Feed.RequestSnapshot(instrument.Symbol, action.Reason ?? "book asked");
    }

    /// <summary>Polls <paramref name="condition"/> (bounded by real time), advancing fake time by <paramref name="advance"/> between polls.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? advance = null, Func<Task>? between = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for: {what}. Status: {Describe()}");
            if (advance is { } step) Time.Advance(step);
            if (between is not null) await between();
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until the server holds <paramref name="connections"/> open connections and the feed says it is connected.</summary>
    public Task WaitConnectedAsync(int connections = 1)
        => WaitUntilAsync(() => Server.OpenConnections == connections && Feed.GetStatus().State == MarketData.Feeds.FeedState.Connected, "connected");

    /// <summary>
    /// Waits until the feed has received every frame the server sent, so nothing is in flight: a frame still travelling
    /// would be stamped with the fake time of its arrival, not of its sending.
    /// </summary>
    public Task WaitDeliveredAsync()
        => WaitUntilAsync(() => Feed.GetStatus().MessagesReceived >= Server.FramesSent, "every frame sent received");

    /// <summary>Emits steps until every book is synced at the server's last update id, then compares every level.</summary>
    public async Task AssertBooksMatchServerAsync(TimeSpan? advance = null)
    {
        foreach (var symbol in Symbols)
        {
            await WaitUntilAsync(() => IsCaughtUp(symbol), $"{symbol} synced at the server's last update id", advance,
                between: async () => { if (!IsCaughtUp(symbol)) await Server.EmitAsync(1); });
            var (bids, asks, lastUpdateId) = await Server.BookAsync(symbol);
            BinanceStreamChecks.AssertBookEquals(Book(symbol), bids, asks, lastUpdateId, symbol);
        }
    }

    /// <summary>
    /// What the book grain's check does for coverage: asks the rule, and when it says so begins a refresh and asks the
    /// feed for its snapshot. Returns the reason, or null when no refresh was begun.
    /// </summary>
    public string? CheckCoverage(string symbol, CoverageRefreshRule rule)
    {
        var book = Book(symbol);
        string? reason;
        lock (book)
        {
            reason = rule.Reason(book, Time.GetUtcNow().UtcDateTime, null, rule.Period);
            if (reason is null || !book.BeginRefresh(reason)) return null;
        }
        Feed.RequestCoverageRefresh(symbol, reason);
        return reason;
    }

    /// <summary>Waits until the book is synced at the server's last update id (emitting nothing).</summary>
    public Task WaitCaughtUpAsync(string symbol) => WaitUntilAsync(() => IsCaughtUp(symbol), $"{symbol} synced at the server's last update id");

    /// <summary>
    /// The book equals the server's inside the book's verified range, level for level, at the server's update id; and
    /// the levels it holds beyond the range are the server's (exact, though some of the server's may be missing there).
    /// </summary>
    public async Task AssertVerifiedPartMatchesServerAsync(string symbol)
    {
        var (bids, asks, lastUpdateId) = await Server.BookAsync(symbol);
        BinanceStreamChecks.AssertVerifiedPartEquals(Book(symbol), bids, asks, lastUpdateId, symbol);
    }

    public bool IsCaughtUp(string symbol)
    {
        var book = Book(symbol);
        var server = Server.Market(symbol);
        lock (book) return book.Status == BookStatus.Synced && book.Book.LastUpdateId == server.LastUpdateId;
    }

    /// <summary>Depth diffs were published with strictly increasing u, trades and aggregate trades with strictly increasing ids.</summary>
    public void AssertNoDuplicates(string symbol) => BinanceStreamChecks.AssertNoDuplicates(Sink.EventsOf(Instrument(symbol)), symbol);

    /// <summary>Each diff continues the previous one (U == previous u + 1) and trade ids are consecutive: nothing lost.</summary>
    public void AssertContiguous(string symbol) => BinanceStreamChecks.AssertContiguous(Sink.EventsOf(Instrument(symbol)), symbol);

    /// <summary>
    /// The checks every Binance stream server must pass (shared with the load generator's tests): every bookTicker is
    /// the book's best at its update id, and aggTrades cover consecutive trades with the same price and total quantity.
    /// Returns how many book states were compared with a bookTicker.
    /// </summary>
    public int AssertStreamsAgree(string symbol)
    {
        var events = Sink.EventsOf(Instrument(symbol));
        BinanceStreamChecks.AssertAggTradesMatchTrades(events, symbol);
        List<TopAt> tops;
        var book = Book(symbol);
        lock (book) tops = [.. _tops[symbol]];
        return BinanceStreamChecks.AssertBookTickersMatchBook([.. events.OfType<BookTickerEvent>()], tops, symbol);
    }

    public string Describe()
    {
        var s = Feed.GetStatus();
        var books = string.Join(", ", _books.Select(kv => { lock (kv.Value) return $"{kv.Key}={kv.Value.Status}@{kv.Value.Book.LastUpdateId}/{Server.Market(kv.Key).LastUpdateId} ({kv.Value.StatusReason})"; }));
        return $"state {s.State}, conns {s.Connections} (server open {Server.OpenConnections}, accepted {Server.ConnectionsAccepted}), msgs {s.MessagesReceived}, " +
               $"snapshots {s.SnapshotsFetched}, resyncs {s.Resyncs}, rejected {s.Rejected}, dropped {s.Dropped}, reconnects {s.Reconnects}, handovers {s.Handovers}, silent {s.SilentReplacements}, " +
               $"rest {Server.RestRequests}, last error {s.LastError}; books: {books}";
    }

    public async ValueTask DisposeAsync()
    {
        await Feed.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>Writes log lines to the test output; swallows writes after the test finished.</summary>
internal sealed class TestLogger(ITestOutputHelper output) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try { output.WriteLine($"[{logLevel}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}"); }
        catch (InvalidOperationException) { }
    }
}
