using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.Instruments;
using MarketData.LoadGeneration;
using MarketData.Streams;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using MarketData.Tests.Protocol;
using Xunit.Abstractions;

namespace MarketData.Tests.LoadGeneration;

/// <summary>
/// The real live feed (<see cref="BinanceSpotFeed"/>) against <see cref="BinanceLoadServer"/> on loopback, with a
/// recording sink and one <see cref="OrderBookSynchronizer"/> per symbol driven as the book grain drives it (the same
/// wiring as <see cref="BinanceFeedHarness"/> for the fake server). The load server runs on real time, so this harness
/// waits on conditions with a bounded timeout instead of stepping a fake clock.
/// </summary>
internal sealed class LoadFeedHarness : IAsyncDisposable
{
    /// <summary>Every stream the silo subscribes.</summary>
    public static readonly string[] AllStreams = ["depth@100ms", "aggTrade", "trade", "bookTicker", "ticker", "kline_1s", "kline_1m", "kline_1h", "kline_1d"];

    private readonly Dictionary<string, OrderBookSynchronizer> _books = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TopAt>> _tops = new(StringComparer.Ordinal);

    private LoadFeedHarness(BinanceLoadServer server, ITestOutputHelper output)
    {
        Server = server;
        Output = output;
    }

    public BinanceLoadServer Server { get; }
    public ITestOutputHelper Output { get; }
    public RecordingSink Sink { get; } = new();
    public BinanceSpotFeed Feed { get; private set; } = null!;
    public BinanceFeedOptions Options { get; private set; } = null!;
    public IReadOnlyList<string> Symbols => Server.Symbols;

    public static async Task<LoadFeedHarness> StartAsync(ITestOutputHelper output, LoadServerOptions serverOptions, Action<BinanceFeedOptions>? configure = null)
    {
        var server = await BinanceLoadServer.StartAsync(serverOptions);
        var harness = new LoadFeedHarness(server, output);
        var options = new BinanceFeedOptions
        {
            RestBaseUrl = server.RestBaseUrl.ToString(),
            WebSocketBaseUrl = server.WebSocketBaseUrl.ToString(),
            Symbols = [.. server.Symbols],
            Streams = [.. AllStreams],
            SnapshotStagger = TimeSpan.Zero,
            HeartbeatInterval = TimeSpan.FromHours(1),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        };
        options.Mexc.Enabled = false;
        configure?.Invoke(options);
        harness.Options = options;
        foreach (var s in server.Symbols)
        {
            harness._books[s] = new OrderBookSynchronizer();
            harness._tops[s] = [];
        }
        harness.Sink.OnPublished = harness.Drive;
        harness.Feed = new BinanceSpotFeed(options, harness.Sink, TimeProvider.System, new TestLogger(output));
        await harness.Feed.StartAsync(CancellationToken.None);
        return harness;
    }

    public static Instrument Instrument(string symbol) => new("binance", symbol);

    public OrderBookSynchronizer Book(string symbol) => _books[symbol];

    public IReadOnlyList<MarketEvent> EventsOf(string symbol) => Sink.EventsOf(Instrument(symbol));

    /// <summary>The client book's top after each applied diff while synced.</summary>
    public IReadOnlyList<TopAt> TopsOf(string symbol)
    {
        var book = _books[symbol];
        lock (book) return [.. _tops[symbol]];
    }

    private void Drive(Instrument instrument, MarketEvent marketEvent)
    {
        var action = BinanceStreamChecks.ApplyToBook(_books[instrument.Symbol], _tops[instrument.Symbol], marketEvent);
        if (action.RequestSnapshot) Feed.RequestSnapshot(instrument.Symbol, action.Reason ?? "book asked");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeoutSeconds"/> of real time.</summary>
    public Task WaitUntilAsync(Func<bool> condition, string what, double timeoutSeconds = 60)
        => Eventually.UntilAsync(condition, what, TimeSpan.FromSeconds(timeoutSeconds), detail: () => "Status: " + Describe());

    public bool AllSynced() => Symbols.All(s => { var b = _books[s]; lock (b) return b.Status == BookStatus.Synced; });

    /// <summary>Pauses the server, waits until every book stands at the server's last update id, and compares every level.</summary>
    public async Task PauseAndAssertBooksMatchServerAsync()
    {
        Server.Pause();
        foreach (var symbol in Symbols)
        {
            var target = Server.LastUpdateId(symbol);
            await WaitUntilAsync(() => { var b = _books[symbol]; lock (b) return b.Status == BookStatus.Synced && b.Book.LastUpdateId == target; },
                $"{symbol} synced at the server's update id {target}");
            var book = await Server.BookAsync(symbol);
            BinanceStreamChecks.AssertBookEquals(_books[symbol], book.Bids, book.Asks, book.LastUpdateId, symbol);
        }
    }

    public string Describe()
    {
        var s = Feed.GetStatus();
        var stats = Server.Stats;
        var notSynced = _books.Where(kv => { lock (kv.Value) return kv.Value.Status != BookStatus.Synced; }).Select(kv => kv.Key).Take(5).ToArray();
        return $"feed {s.State}, conns {s.Connections} (server open {stats.OpenConnections}, accepted {stats.ConnectionsAccepted}), msgs {s.MessagesReceived}, " +
               $"snapshots {s.SnapshotsFetched}, resyncs {s.Resyncs}, rejected {s.Rejected}, unknown {s.UnknownEvents}, reconnects {s.Reconnects}, " +
               $"rest {stats.RestRequests} (weight {stats.RestWeightUsed}), slip {stats.ScheduleSlipMs:F0} ms, last error {s.LastError}; " +
               $"not synced: {string.Join(",", notSynced)}";
    }

    public async ValueTask DisposeAsync()
    {
        await Feed.DisposeAsync();
        await Server.DisposeAsync();
    }
}
