using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MarketData.Tests.Fakes;

namespace MarketData.Tests.Integration;

/// <summary>
/// Several silo processes forming one cluster through a PostgreSQL database, fed by a fake Binance server in this
/// process; it kills silos and measures how long the books take to be synced again. Shared by the multi-silo test
/// and the failover benchmark. Disposing it kills every silo it started.
/// </summary>
public sealed class FailoverCluster : IAsyncDisposable
{
    public static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];

    /// <summary>What the feed grain logs when it starts (on the silo that hosts it).</summary>
    public const string FeedStartedLine = "Feed binance (BinanceSpot) started";

    private readonly Action<string> _log;
    private readonly List<SiloProcess> _silos = [];
    private readonly HashSet<SiloProcess> _killed = [];
    private readonly Dictionary<string, string?> _extraSettings;
    private int _probe;

    private FailoverCluster(string connectionString, FakeBinanceServer exchange, Action<string> log, Dictionary<string, string?> extraSettings)
    {
        ConnectionString = connectionString;
        Exchange = exchange;
        _log = log;
        _extraSettings = extraSettings;
        ClusterId = $"failover-{Guid.NewGuid():N}"[..20];
    }

    /// <summary>Logs every change of a book's observed state while waiting (diagnostics).</summary>
    public bool Trace { get; set; }

    public string ConnectionString { get; }
    public string ClusterId { get; }
    public FakeBinanceServer Exchange { get; }
    public IReadOnlyList<SiloProcess> Silos => _silos;
    public IEnumerable<SiloProcess> Alive => _silos.Where(s => !s.HasExited);

    /// <summary>Starts the fake exchange (pumping a step every 50 ms); no silo yet.</summary>
    public static async Task<FailoverCluster> StartAsync(string connectionString, Action<string> log, IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var exchange = await FakeBinanceServer.StartAsync(TimeProvider.System, seed: 11, Symbols);
        exchange.StartPump(TimeSpan.FromMilliseconds(50));
        return new FailoverCluster(connectionString, exchange, log, new Dictionary<string, string?>(extraSettings ?? new Dictionary<string, string?>()));
    }

    /// <summary>Every silo's settings: the database, the cluster, the fake exchange and quick book timings (as the in-process test cluster's).</summary>
    public Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = ClusterId,
            ["Feeds:Binance:RestBaseUrl"] = Exchange.RestBaseUrl.ToString(),
            ["Feeds:Binance:WebSocketBaseUrl"] = Exchange.WebSocketBaseUrl.ToString(),
            ["Feeds:Binance:SnapshotStagger"] = "00:00:00.010",
            ["Feeds:Binance:HeartbeatInterval"] = "00:00:00.500",
            ["Feeds:Binance:ReconnectMinDelay"] = "00:00:00.100",
            ["Feeds:Binance:ReconnectMaxDelay"] = "00:00:01",
            ["Feeds:Mexc:Enabled"] = "false",
            ["Feeds:Fallback:Enabled"] = "false",
            ["Books:StaleAfter"] = "00:00:10", // long enough that a starved test host does not age a book between two reads
            ["Books:CheckInterval"] = "00:00:00.500",
            ["Books:SnapshotRetryAfter"] = "00:00:03",
            ["Candles:PivotFill"] = "false",
            // One line per entry, and only what tells where the feed runs and why a silo failed.
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
            ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:MarketData"] = "Information",
        };
        for (var i = 0; i < Symbols.Length; i++) settings[$"Feeds:Binance:Symbols:{i}"] = Symbols[i];
        foreach (var (key, value) in _extraSettings) settings[key] = value;
        return settings;
    }

    /// <summary><c>dotnet Silo.dll migrate</c> against the cluster's database.</summary>
    public Task<(int ExitCode, string Output)> MigrateAsync() => SiloProcess.RunToEndAsync(Settings(), ["migrate"], TimeSpan.FromSeconds(60));

    public SiloProcess StartSilo()
    {
        var silo = SiloProcess.Start($"silo{_silos.Count + 1}", Settings());
        _silos.Add(silo);
        _log($"{silo.Name}: pid {silo.ProcessId}, silo port {silo.SiloPort}, gateway {silo.GatewayPort}, http {silo.HttpPort}");
        return silo;
    }

    /// <summary>The live silo that started the feed last (the feed grain's host), if its log says so.</summary>
    public SiloProcess? FeedHost()
        => Alive.Select(s => (Silo: s, At: s.LastLogged(FeedStartedLine))).Where(x => x.At is not null).OrderByDescending(x => x.At).Select(x => x.Silo).FirstOrDefault();

    /// <summary>Waits until every started silo not killed serves HTTP (so it has joined the cluster) and every book is synced.</summary>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        foreach (var silo in _silos.Where(s => !_killed.Contains(s)))
        {
            while (true)
            {
                if (silo.HasExited) throw new InvalidOperationException($"{silo.Name} exited without being killed.\n{Diagnostics()}");
                if (watch.Elapsed > timeout) throw new TimeoutException($"{silo.Name} did not serve HTTP within {timeout}.\n{Diagnostics()}");
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    using var response = await silo.Http.GetAsync("/health", cts.Token);
                    if (response.IsSuccessStatusCode) break;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException) { }
                await Task.Delay(100);
            }
        }
        await WaitAllSyncedAsync(timeout - watch.Elapsed);
        return watch.Elapsed;
    }

    /// <summary>
    /// Waits until every book is <c>synced</c> (asked through the live silos in turn) and, with <paramref name="newerThan"/>,
    /// at an update id past the exchange's at that point: data received after it, not a book left over from before.
    /// </summary>
    public async Task<TimeSpan> WaitAllSyncedAsync(TimeSpan timeout, IReadOnlyDictionary<string, long>? newerThan = null)
    {
        var watch = Stopwatch.StartNew();
        var pending = new HashSet<string>(Symbols, StringComparer.Ordinal);
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"Books not synced within {timeout}: {string.Join("; ", pending.Select(s => $"{s}: {last.GetValueOrDefault(s, "no answer")}"))}\n{Diagnostics()}");
            var alive = Alive.ToList();
            if (alive.Count == 0) throw new InvalidOperationException($"Every silo has exited.\n{Diagnostics()}");
            foreach (var symbol in pending.ToList())
            {
                var silo = alive[_probe++ % alive.Count];
                var (synced, seen) = await ProbeBookAsync(silo, symbol, newerThan?.GetValueOrDefault(symbol) ?? long.MinValue);
                var state = $"{silo.Name} {seen}";
                if (Trace && (!last.TryGetValue(symbol, out var before) || before != state)) _log($"{FailoverCluster.Seconds(watch.Elapsed)} {symbol}: {state}");
                last[symbol] = state;
                if (synced) pending.Remove(symbol);
            }
            if (pending.Count > 0) await Task.Delay(100);
        }
        return watch.Elapsed;
    }

    private static async Task<(bool Synced, string Seen)> ProbeBookAsync(SiloProcess silo, string symbol, long newerThan)
    {
        try
        {
            // Short: a call that went to the dead silo may hang until Orleans' response timeout; ask another silo instead.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var response = await silo.Http.GetAsync($"/api/v1/books/binance/{symbol}?depth=1", cts.Token);
            if (response.StatusCode != HttpStatusCode.OK) return (false, $"HTTP {(int)response.StatusCode}");
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
            var status = document.RootElement.GetProperty("status").GetString();
            var updateId = document.RootElement.GetProperty("lastUpdateId").GetInt64();
            return (status == "synced" && updateId > newerThan, updateId > newerThan ? $"{status}, new data" : $"{status}, old data");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException)
        {
            return (false, ex.GetType().Name);
        }
    }

    /// <summary>
    /// SIGKILLs <paramref name="victim"/> and returns the time until every book is synced again with data the
    /// exchange produced after the kill, read through the survivors.
    /// </summary>
    public async Task<TimeSpan> KillAndMeasureAsync(SiloProcess victim, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        _killed.Add(victim);
        victim.Kill();
        var newerThan = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var symbol in Symbols) newerThan[symbol] = (await Exchange.BookAsync(symbol)).LastUpdateId;
        _log($"{DateTime.Now:HH:mm:ss.fff} killed {victim.Name} (pid {victim.ProcessId}); exchange update ids at the kill: {string.Join(", ", newerThan.Select(kv => $"{kv.Key} {kv.Value}"))}");
        await WaitAllSyncedAsync(timeout, newerThan);
        return watch.Elapsed;
    }

    /// <summary>Submits a model output through <paramref name="via"/>; returns the acknowledged sequence number.</summary>
    public static async Task<long> SubmitModelOutputAsync(SiloProcess via, string symbol, string model, double confidence)
    {
        var time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1_000;
        using var response = await via.Http.PostAsJsonAsync($"/api/v1/model-outputs/{symbol}/{model}",
            new { modelType = "failover-test", time, confidence, predictions = new[] { confidence, 1 - confidence } });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"submit of {model} answered {(int)response.StatusCode}: {body}");
        using var receipt = JsonDocument.Parse(body);
        return receipt.RootElement.GetProperty("sequence").GetInt64();
    }

    /// <summary>The stored outputs of <paramref name="model"/> read through any live silo: (sequence, confidence) oldest first.</summary>
    public async Task<IReadOnlyList<(long Sequence, double Confidence)>> ReadModelOutputsAsync(string symbol, string model, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        string last = "";
        while (watch.Elapsed < timeout)
        {
            foreach (var silo in Alive)
            {
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    using var response = await silo.Http.GetAsync($"/api/v1/model-outputs/{symbol}?model={model}&limit=100", cts.Token);
                    last = $"{silo.Name}: HTTP {(int)response.StatusCode}";
                    if (response.StatusCode != HttpStatusCode.OK) continue;
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
                    return document.RootElement.GetProperty("outputs").EnumerateArray()
                        .Select(o => (o.GetProperty("sequence").GetInt64(), o.GetProperty("confidence").GetDouble())).ToList();
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    last = $"{silo.Name}: {ex.GetType().Name}";
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Could not read the outputs of {model} within {timeout}; last: {last}");
    }

    /// <summary>Every silo's state and last lines of output.</summary>
    public string Diagnostics()
        => string.Join("\n", _silos.Select(s => $"--- {s.Name} (pid {s.ProcessId}, {(s.HasExited ? "exited" : "running")}):\n{s.Tail()}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos) silo.Dispose();
        await Exchange.DisposeAsync();
    }

    /// <summary>Seconds with one decimal, for reports.</summary>
    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s";
}
