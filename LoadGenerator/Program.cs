using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MarketData.LoadGeneration;

/// <summary>
/// <c>dotnet run -c Release --project LoadGenerator -- --symbols 1500 [--rate-scale 1] [--url http://127.0.0.1:9443] [--seed 1]
/// [--weight-limit 6000] [--max-queued-bytes 4194304]</c>: serves until Ctrl+C and prints the rates every 10 s.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var options = new LoadServerOptions { SymbolCount = 10, Url = "http://127.0.0.1:9443" };
        var interval = TimeSpan.FromSeconds(10);
        string? envFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--symbols": options.SymbolCount = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--rate-scale": options.RateScale = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--url": options.Url = Value(); break;
                case "--seed": options.Seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--weight-limit": options.WeightLimitPerMinute = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--max-queued-bytes": options.MaxQueuedBytesPerConnection = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--max-levels": options.MaxLevelsPerSide = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--env-file": envFile = Value(); break;
                case "--print-every": interval = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--profile":
                    PrintProfile(options.SymbolCount, options.RateScale);
                    return 0;
                case "-h" or "--help":
                    Console.WriteLine("LoadGenerator --symbols N [--rate-scale 1] [--url http://127.0.0.1:9443] [--seed 1] [--weight-limit 6000] [--max-queued-bytes 4194304] [--max-levels 1000] [--print-every 10] [--env-file silo.env] [--profile]");
                    return 0;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}' (try --help).");
                    return 2;
            }
        }

        await using var server = await BinanceLoadServer.StartAsync(options);
        var expected = options.Profile.ExpectedFramesPerSecond(options.SymbolCount, options.RateScale);
        Console.WriteLine($"Fake Binance spot: {options.SymbolCount} symbols ({server.Symbols[0]} .. {server.Symbols[^1]}), rate scale {options.RateScale}, seed {options.Seed}.");
        Console.WriteLine($"Expected with every stream subscribed: {expected.Values.Sum():F0} frames/s ({string.Join(", ", expected.Select(kv => $"{StreamKinds.Name(kv.Key)} {kv.Value:F0}"))}).");
        Console.WriteLine();
        Console.WriteLine("Point the silo at it (environment variables, or the same keys in appsettings.json):");
        var settings = SiloSettings(server).ToList();
        foreach (var line in settings.Take(2 + 9)) Console.WriteLine("  " + line);
        if (options.SymbolCount <= 20) foreach (var line in settings.Skip(11)) Console.WriteLine("  " + line);
        else Console.WriteLine($"  Feeds__Binance__Symbols__0={server.Symbols[0]} ... Feeds__Binance__Symbols__{server.Symbols.Count - 1}={server.Symbols[^1]} (rank r is LoadServerOptions.SymbolOf(r): BTCUSDT, ETHUSDT, L0003USDT ...)");
        if (envFile is not null)
        {
            await File.WriteAllLinesAsync(envFile, settings);
            Console.WriteLine($"  All {settings.Count} settings written to {envFile} (bash: set -a; . {envFile}; set +a).");
        }
        var snapshotWeight = BinanceRestRules.DepthWeight(1000) * options.SymbolCount;
        if (snapshotWeight > options.WeightLimitPerMinute)
            Console.WriteLine($"  Note: {options.SymbolCount} snapshots of limit 1000 weigh {snapshotWeight}, over the {options.WeightLimitPerMinute}/min limit: books sync over " +
                              $"{Math.Ceiling((double)snapshotWeight / options.WeightLimitPerMinute)} minutes, as on Binance (or use --weight-limit / Feeds__Binance__SnapshotLimit=100).");
        Console.WriteLine("Ctrl+C stops.");
        Console.WriteLine();

        using var stop = new CancellationTokenSource();
        // Ctrl+C, and SIGTERM from a benchmark script or `kill <pid>`, end the run cleanly.
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var previous = server.Stats;
        var clock = Stopwatch.StartNew();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(interval, stop.Token);
                var now = server.Stats;
                var seconds = clock.Elapsed.TotalSeconds;
                clock.Restart();
                process.Refresh();
                var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / seconds;
                cpuBefore = process.TotalProcessorTime;
                var rates = string.Join(" ", now.FramesByKind.Select(kv => $"{kv.Key}={(kv.Value - previous.FramesByKind[kv.Key]) / seconds:F0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.UtcNow:HH:mm:ss} sent {(now.FramesSent - previous.FramesSent) / seconds:F0} frames/s {(now.BytesSent - previous.BytesSent) / seconds / 1e6:F2} MB/s | {rates} | " +
                    $"conns {now.OpenConnections} (accepted {now.ConnectionsAccepted}) | slip {now.ScheduleSlipMs:F0} ms | slow-consumer disconnects {now.SlowConsumerDisconnects} " +
                    $"(dropped {now.FramesDroppedForSlowConsumers}) | queued {now.QueuedBytes / 1024} KB (max {now.MaxQueuedBytes / 1024} KB) | REST {now.RestRequests} (weight {now.RestWeightUsed}/min) | CPU {cpu * 100:F0}% | " +
                    $"heap {GC.GetTotalMemory(false) / 1e6:F0} MB"));
                previous = now;
            }
        }
        catch (OperationCanceledException) { }
        return 0;
    }

    /// <summary>The silo's configuration for this server, as environment variables (Feeds:Binance:... in appsettings).</summary>
    private static IEnumerable<string> SiloSettings(BinanceLoadServer server)
    {
        yield return $"Feeds__Binance__RestBaseUrl={server.RestBaseUrl.ToString().TrimEnd('/')}";
        yield return $"Feeds__Binance__WebSocketBaseUrl={server.WebSocketBaseUrl.ToString().TrimEnd('/')}";
        string[] streams = ["depth@100ms", "aggTrade", "trade", "bookTicker", "ticker", "kline_1s", "kline_1m", "kline_1h", "kline_1d"];
        for (var i = 0; i < streams.Length; i++) yield return $"Feeds__Binance__Streams__{i}={streams[i]}";
        for (var i = 0; i < server.Symbols.Count; i++) yield return $"Feeds__Binance__Symbols__{i}={server.Symbols[i]}";
        // The 30-day 1s pivot window is about 31 MB a symbol once filled: the load runs keep an hour (docs/configuration.md).
        yield return "Candles__PivotWindows__1s=01:00:00";
        yield return "Candles__PivotWindows__1m=1.00:00:00";
    }

    private static void PrintProfile(int symbols, double scale)
    {
        var profile = LoadProfile.Default;
        var a = profile.Alphas;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alphas: depth {a.Depth:F3} trade {a.Trade:F3} aggTrade {a.AggTrade:F3} bookTicker {a.BookTicker:F3} (tail at rank {profile.TailRank})"));
        Console.WriteLine("rank  depth/s (curve)  trade/s  aggTrade/s  bookTicker/s  levels/frame  book/side");
        foreach (var rank in new[] { 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1500 })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rank,4}  {profile.ExpectedDepthFramesPerSecond(rank, scale),7:F2} ({profile.DepthPerSecond(rank, scale),5:F2})  {profile.TradesPerSecond(rank, scale),7:F3}  {profile.AggTradesPerSecond(rank, scale),10:F3}  {profile.BookTickerPerSecond(rank, scale),12:F2}  {profile.MeanLevelsPerFrame(rank),12:F1}  {profile.BookLevelsPerSide(rank),9}"));
        Console.WriteLine();
        foreach (var n in new[] { 10, 100, 500, 1500, symbols }.Distinct())
        {
            var totals = profile.ExpectedFramesPerSecond(n, scale);
            var kinds = string.Join("  ", totals.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{StreamKinds.Name(kv.Key)} {kv.Value:F0}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"N={n,5}: total {totals.Values.Sum(),8:F0} frames/s  {kinds}"));
        }
    }
}
