using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MarketData.LoadGeneration;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace MarketData.Tests.Load;

/// <summary>
/// A real silo process following every symbol of a <see cref="BinanceLoadServer"/> (in this process) through the normal
/// live path: WebSockets, REST snapshots and klines, streams, book grains. Reads what a load run measures from outside,
/// as an operator would: the process's CPU time and resident memory, the silo's <c>/metrics</c> and <c>/api/v1/feeds</c>,
/// and the books over HTTP. Shared by the load and soak benchmarks and the short soak test.
/// </summary>
public sealed class SiloUnderLoad : IAsyncDisposable
{
    public const string LagHistogram = "marketdata_book_update_lag";

    private readonly Action<string> _log;
    private IHost? _client;

    private SiloUnderLoad(IExchangeUnderTest exchange, SiloProcess silo, Action<string> log)
    {
        Exchange = exchange;
        Silo = silo;
        _log = log;
    }

    public IExchangeUnderTest Exchange { get; }
    public SiloProcess Silo { get; }
    public IReadOnlyList<string> Symbols => Exchange.Symbols;

    /// <summary>
    /// Starts the load server with <paramref name="symbols"/> symbols and a silo following all of them. REST weight is
    /// lifted on both sides (the real 6,000 a minute would make a 1,500-symbol start take minutes of snapshots and
    /// klines): a load run measures the steady state, not Binance's rate limit.
    /// </summary>
    public static async Task<SiloUnderLoad> StartAsync(int symbols, double rateScale, Action<string> log,
        IReadOnlyDictionary<string, string?>? extraSettings = null, int seed = 1)
    {
        var server = await BinanceLoadServer.StartAsync(new LoadServerOptions
        {
            SymbolCount = symbols,
            RateScale = rateScale,
            Seed = seed,
            WeightLimitPerMinute = 10_000_000,
        });
        return Start(new LoadGeneratorExchange(server), log, extraSettings, $"silo-{symbols}");
    }

    /// <summary>The same with the deterministic fake pumped every <paramref name="period"/> (a heavier, uniform load).</summary>
    public static async Task<SiloUnderLoad> StartOnFakeAsync(int symbols, TimeSpan period, Action<string> log,
        IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var names = Enumerable.Range(1, symbols).Select(i => string.Create(CultureInfo.InvariantCulture, $"F{i:0000}USDT")).ToArray();
        var server = await FakeBinanceServer.StartAsync(TimeProvider.System, 1, names);
        server.WeightLimitPerMinute = 10_000_000;
        server.StartPump(period);
        return Start(new PumpedFakeExchange(server, period), log, extraSettings, $"silo-fake-{symbols}");
    }

    private static SiloUnderLoad Start(IExchangeUnderTest exchange, Action<string> log, IReadOnlyDictionary<string, string?>? extraSettings, string name)
    {
        try
        {
            var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                ["Feeds:Binance:RestBaseUrl"] = exchange.RestBaseUrl.ToString(),
                ["Feeds:Binance:WebSocketBaseUrl"] = exchange.WebSocketBaseUrl.ToString(),
                ["Feeds:Binance:RestWeightLimitPerMinute"] = "10000000",
                ["Feeds:Binance:SnapshotStagger"] = "00:00:00.002",
                // The 1s pivot window costs about 1 MB per symbol per day of window (31 MB at the 30-day default; see
                // docs/configuration.md): a whole-market silo keeps a short one, as a 24 GB machine cannot hold 1,500 months.
                // The fill then ends within the first minutes, so the soak measures the steady state.
                ["Candles:PivotWindows:1s"] = "01:00:00",
                ["Candles:PivotWindows:1m"] = "1.00:00:00",
                ["Feeds:Mexc:Enabled"] = "false",
                ["Feeds:Fallback:Enabled"] = "false",
                ["Logging:Console:FormatterName"] = "simple",
                ["Logging:Console:FormatterOptions:SingleLine"] = "true",
                ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            for (var i = 0; i < exchange.Symbols.Count; i++)
                settings[$"Feeds:Binance:Symbols:{i}"] = exchange.Symbols[i];
            if (extraSettings is not null)
                foreach (var (key, value) in extraSettings) settings[key] = value;
            var silo = SiloProcess.Start(name, settings);
            return new SiloUnderLoad(exchange, silo, log);
        }
        catch
        {
            exchange.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Waits until every book is synced; returns how long that took.</summary>
    public async Task<TimeSpan> WaitAllSyncedAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var pending = new HashSet<string>(Symbols, StringComparer.Ordinal);
        var lastReport = TimeSpan.Zero;
        while (pending.Count > 0)
        {
            if (Silo.HasExited) throw new InvalidOperationException($"The silo exited.\n{Silo.Tail()}");
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"{pending.Count} of {Symbols.Count} books not synced within {timeout} (e.g. {string.Join(", ", pending.Take(5))}).\n{Silo.Tail()}");
            var probes = await ProbeBooksAsync(pending.ToList());
            foreach (var (symbol, book) in probes)
                if (book is { Status: "synced" }) pending.Remove(symbol);
            if (watch.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                lastReport = watch.Elapsed;
                _log($"  {Symbols.Count - pending.Count}/{Symbols.Count} books synced after {watch.Elapsed.TotalSeconds:F0} s");
            }
            if (pending.Count > 0) await Task.Delay(250);
        }
        return watch.Elapsed;
    }

    /// <summary>A book as the silo's HTTP API reports it.</summary>
    public sealed record BookProbe(string Status, long LastUpdateId);

    /// <summary>Asks the silo for every book of <paramref name="symbols"/>, 16 at a time; null where it gave no answer.</summary>
    public async Task<IReadOnlyList<(string Symbol, BookProbe? Book)>> ProbeBooksAsync(IReadOnlyList<string> symbols)
    {
        var results = new (string, BookProbe?)[symbols.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, symbols.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            results[i] = (symbols[i], await ProbeBookAsync(symbols[i], ct));
        });
        return results;
    }

    private async Task<BookProbe?> ProbeBookAsync(string symbol, CancellationToken cancellationToken)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await Silo.Http.GetAsync($"/api/v1/books/binance/{symbol}?depth=1", cts.Token);
            if (response.StatusCode != HttpStatusCode.OK) return null;
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
            return new BookProbe(document.RootElement.GetProperty("status").GetString() ?? "", document.RootElement.GetProperty("lastUpdateId").GetInt64());
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>What the silo and the exchange looked like at one instant.</summary>
    public sealed record Sample(
        DateTime At,
        TimeSpan SiloCpu,
        long SiloResidentBytes,
        TimeSpan GeneratorCpu,
        MetricsScrape Metrics,
        FeedCounts Feed,
        long FramesSent,
        long SlowConsumerDisconnects,
        double ScheduleSlipMs);

    /// <summary>The silo's feed counters (from <c>/api/v1/feeds</c>).</summary>
    public sealed record FeedCounts(long MessagesReceived, long Dropped, long Rejected, long Reconnects, long Resyncs, string State);

    public async Task<Sample> SampleAsync()
    {
        using var process = Process.GetProcessById(Silo.ProcessId);
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var rss = process.WorkingSet64;
        var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var metricsText = await Silo.Http.GetStringAsync("/metrics");
        var feed = await FeedCountsAsync();
        return new Sample(DateTime.UtcNow, cpu, rss, generatorCpu, MetricsScrape.Parse(metricsText), feed,
            Exchange.FramesSent, Exchange.SlowConsumerDisconnects, Exchange.ScheduleSlipMs);
    }

    /// <summary>The silo process's resident memory now.</summary>
    public long ResidentBytes()
    {
        using var process = Process.GetProcessById(Silo.ProcessId);
        process.Refresh();
        return process.WorkingSet64;
    }

    private async Task<FeedCounts> FeedCountsAsync()
    {
        using var document = JsonDocument.Parse(await Silo.Http.GetStringAsync("/api/v1/feeds"));
        var root = document.RootElement;
        var feeds = root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("feeds");
        long messages = 0, dropped = 0, rejected = 0, reconnects = 0, resyncs = 0;
        var state = "";
        foreach (var feed in feeds.EnumerateArray())
        {
            messages += feed.GetProperty("messagesReceived").GetInt64();
            dropped += feed.GetProperty("dropped").GetInt64();
            rejected += feed.GetProperty("rejected").GetInt64();
            reconnects += feed.GetProperty("reconnects").GetInt64();
            resyncs += feed.GetProperty("resyncs").GetInt64();
            state = feed.GetProperty("state").ToString();
        }
        return new FeedCounts(messages, dropped, rejected, reconnects, resyncs, state);
    }

    /// <summary>Whether the silo kept up, judged once the exchange stops: every book reaches the exchange's last update id.</summary>
    public sealed record KeepUp(int Books, int CaughtUp, TimeSpan DrainTime, long WorstBehind);

    /// <summary>
    /// Pauses the exchange and waits (up to <paramref name="timeout"/>) until every book's last update id equals the
    /// exchange's: a silo that keeps up drains within moments; one that fell behind needs as long as its backlog.
    /// The exchange resumes afterwards.
    /// </summary>
    public async Task<KeepUp> CheckKeepsUpAsync(TimeSpan timeout)
    {
        Exchange.Pause();
        try
        {
            var targets = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var symbol in Symbols) targets[symbol] = await Exchange.LastUpdateIdAsync(symbol);
            var watch = Stopwatch.StartNew();
            var pending = new HashSet<string>(Symbols, StringComparer.Ordinal);
            long worst = 0;
            while (pending.Count > 0 && watch.Elapsed < timeout)
            {
                worst = 0;
                foreach (var (symbol, book) in await ProbeBooksAsync(pending.ToList()))
                {
                    if (book is not null && book.LastUpdateId >= targets[symbol]) pending.Remove(symbol);
                    else worst = Math.Max(worst, targets[symbol] - (book?.LastUpdateId ?? 0));
                }
                if (pending.Count > 0) await Task.Delay(100);
            }
            return new KeepUp(Symbols.Count, Symbols.Count - pending.Count, watch.Elapsed, worst);
        }
        finally
        {
            Exchange.Resume();
        }
    }

    /// <summary>
    /// The silo's managed heap after a full blocking collection (Orleans' management grain, through a client on the silo's
    /// gateway), from the runtime's <c>/metrics</c>: its size, and the free space inside it. Unlike the resident size or
    /// the heap after whatever collection ran last, <see cref="HeapAfterCollection.LiveBytes"/> does not move with the
    /// GC's budgets or with large-object-heap fragmentation (which a full collection does not compact), so growth in it
    /// is retained data.
    /// </summary>
    public async Task<HeapAfterCollection> HeapAfterFullCollectionAsync()
    {
        _client ??= await StartClientAsync();
        var management = _client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var hosts = await management.GetHosts(onlyActive: true);
        await management.ForceGarbageCollection([.. hosts.Keys]);
        await Task.Delay(TimeSpan.FromMilliseconds(700)); // past the exporter's scrape cache
        var metrics = MetricsScrape.Parse(await Silo.Http.GetStringAsync("/metrics"));
        return new HeapAfterCollection(metrics.Sum("dotnet_gc_last_collection_heap_size_bytes"),
            metrics.Sum("dotnet_gc_last_collection_heap_fragmentation_size_bytes"));
    }

    private async Task<IHost> StartClientAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(Silo.GatewayPort, "marketdata", "dev"));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>The heap after a full collection: its size and the free space (fragmentation) inside it, in bytes.</summary>
    public readonly record struct HeapAfterCollection(double SizeBytes, double FragmentationBytes)
    {
        /// <summary>What live objects occupy.</summary>
        public double LiveBytes => SizeBytes - FragmentationBytes;
    }

    public static string Megabytes(double bytes) => (bytes / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(5)); } catch (Exception ex) when (ex is OperationCanceledException or OrleansException) { }
            _client.Dispose();
        }
        Silo.Dispose();
        await Exchange.DisposeAsync();
    }
}
