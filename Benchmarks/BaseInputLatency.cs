using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MarketData.Actors;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Client;
using MarketData.Feeds;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Instrument = MarketData.Instruments.Instrument;

namespace MarketData.Benchmarks;

/// <summary>
/// BaseDataInput latency through a real silo fed by a replay: the assembly time inside the silo (the grain's own
/// <c>marketdata.base_input.assembly</c> histogram) and the round trip from an Orleans client over loopback, for
/// snapshots and feature vectors. Usage: <c>dotnet run -c Release --project Benchmarks -- base-input [calls] [FILE...]</c>
/// (default: 5,000 calls; the hftbacktest spot files in ../shared/data, else the shipped sample).
/// </summary>
public static class BaseInputLatency
{
    public static async Task<int> RunAsync(string[] args)
    {
        var calls = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 5_000;
        var files = args.Length > 1 ? args[1..] : ReplayFiles.Default();
        if (files.Length == 0) { Console.Error.WriteLine("No replay files found."); return 2; }

        var gateway = ReplayFiles.FreePort();
        using var host = ReplayFiles.BuildSilo(files, gateway);
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var replay = grains.GetGrain<IReplayFeedGrain>("replay");
        await replay.EnsureStartedAsync();
        while ((await replay.GetStatusAsync()).State != FeedState.Completed) await Task.Delay(100);
        var instrument = new Instrument("binance", "BTCUSDT");
        while (await grains.GetGrain<IOrderBookGrain>(instrument.Key).GetLatestCobAsync() is null) await Task.Delay(100);
        // Candle grains hold replayed candles until their REST backfill (impossible in a replay) gives up.
        var candles = grains.GetGrain<ICandleGrain>(new CandleSeriesKey(instrument, Timeframe.OneSecond).Key);
        for (var waited = 0; waited < 600; waited++)
        {
            var view = await candles.GetCandlesAsync(10);
            if (view.Candles.Count > 0 && view.Backfill is not ("pending" or "running")) break;
            if (waited % 50 == 0) Console.WriteLine($"waiting for candles: {view.Candles.Count}, backfill {view.Backfill}");
            await Task.Delay(100);
        }
        await Task.Delay(2_000); // the last seconds commit

        var inSilo = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrumentPublished, l) =>
        {
            if (instrumentPublished.Meter.Name == MarketDataMetrics.MeterName && instrumentPublished.Name == "marketdata.base_input.assembly")
                l.EnableMeasurementEvents(instrumentPublished);
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => { lock (inSilo) inSilo.Add(value); });
        listener.Start();

        var request = new BaseDataRequest { MinQuality = 0 };
        var market = grains.GetGrain<IMarketDataGrain>(instrument.Key);
        var sample = (await market.GetBaseDataInputAsync(request)).Input!;
        Console.WriteLine($"snapshot of {instrument}: candles 1s/1m/1h/1d/ref {sample.Candles1s.Candles.Count}/{sample.Candles1m.Candles.Count}/{sample.Candles1h.Candles.Count}/"
            + $"{sample.Candles1d.Candles.Count}/{sample.Reference1s.Candles.Count}, pivots {sample.Pivots.Levels.Sum(l => l.Count)}, "
            + $"heatmap {sample.Book.Heatmap?.Times.Length ?? 0}x{sample.Book.Heatmap?.PriceBuckets.Length ?? 0}, quality {sample.Quality.Score:F3}");

        await WarmUpAsync(() => market.GetBaseDataInputAsync(request));
        // What crossing the wire costs: the snapshot's serialized size and the codec's time each way.
        var serializer = host.Services.GetRequiredService<Orleans.Serialization.Serializer>();
        var bytes = serializer.SerializeToArray(sample);
        await WarmUpAsync(() => Task.FromResult(serializer.Deserialize<BaseDataInput>(serializer.SerializeToArray(sample))));
        var serialize = await TimeAsync(2_000, () => Task.FromResult(serializer.SerializeToArray(sample)));
        var deserialize = await TimeAsync(2_000, () => Task.FromResult(serializer.Deserialize<BaseDataInput>(bytes)));
        Console.WriteLine($"snapshot on the wire: {bytes.Length:N0} bytes");
        Report("serialize", serialize);
        Report("deserialize", deserialize);

        lock (inSilo) inSilo.Clear();
        var local = await TimeAsync(calls, () => market.GetBaseDataInputAsync(request));
        double[] assembly;
        lock (inSilo) assembly = [.. inSilo];
        Report("assembly inside the silo (grain histogram)", assembly);
        Report("snapshot, caller in the silo process", local);

        // A client in its own process, as a model would be: no shared GC or thread pool with the silo.
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        // Under `dotnet Benchmarks.dll` the process is the dotnet host and needs the assembly; the app host does not.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(BaseInputLatency).Assembly.Location);
        foreach (var arg in new[] { "base-input-client", gateway.ToString(CultureInfo.InvariantCulture), calls.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        using (var child = Process.Start(start)!)
        {
            await child.WaitForExitAsync();
            if (child.ExitCode != 0) Console.Error.WriteLine($"client process exited with {child.ExitCode}");
        }

        await host.StopAsync();
        return 0;
    }

    /// <summary>The client side, run in a process of its own: <c>base-input-client GATEWAY_PORT CALLS</c>.</summary>
    public static async Task<int> RunClientAsync(string[] args)
    {
        var gateway = int.Parse(args[0], CultureInfo.InvariantCulture);
        var calls = int.Parse(args[1], CultureInfo.InvariantCulture);
        var instrument = new Instrument("binance", "BTCUSDT");
        var request = new BaseDataRequest { MinQuality = 0 };
        var clientHost = Host.CreateApplicationBuilder();
        clientHost.Logging.SetMinimumLevel(LogLevel.Warning);
        clientHost.UseOrleansClient(client => client.UseLocalhostClustering(gateway, "bench", "bench"));
        using var clientApp = clientHost.Build();
        await clientApp.StartAsync();
        var remote = new MarketDataClient(clientApp.Services.GetRequiredService<IClusterClient>());
        await WarmUpAsync(() => remote.GetBaseDataResultAsync(instrument, request));
        var overLoopback = await TimeAsync(calls, () => remote.GetBaseDataResultAsync(instrument, request));
        Report("snapshot, Orleans client process over loopback", overLoopback);
        await WarmUpAsync(() => remote.GetFeatureResultAsync(instrument, request));
        var features = await TimeAsync(calls, () => remote.GetFeatureResultAsync(instrument, request));
        Report("feature vector, Orleans client process over loopback", features);
        await clientApp.StopAsync();
        return 0;
    }

    /// <summary>
    /// Steady state, as in a silo that has run for a while: calls for a few seconds first, so the JIT's tiering has
    /// promoted the hot paths (a short run otherwise measures partly unoptimised code).
    /// </summary>
    private static async Task WarmUpAsync<T>(Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < 500 || Stopwatch.GetElapsedTime(started) < WarmUp; i++) await call();
    }

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    private static async Task<double[]> TimeAsync<T>(int calls, Func<Task<T>> call)
    {
        var micros = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call();
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return micros;
    }

    private static void Report(string what, double[] micros)
    {
        if (micros.Length == 0) { Console.WriteLine($"{what}: no samples"); return; }
        Array.Sort(micros);
        double At(double q) => micros[Math.Min(micros.Length - 1, (int)(q * micros.Length))];
        Console.WriteLine($"{what}: n={micros.Length:N0} median {At(0.5):F0} µs, p90 {At(0.9):F0} µs, p99 {At(0.99):F0} µs, max {micros[^1]:F0} µs");
    }
}

/// <summary>Replay inputs and ports shared by the end-to-end runs.</summary>
internal static class ReplayFiles
{
    /// <summary>The hftbacktest spot files in ../shared/data, else the shipped two-minute sample.</summary>
    public static string[] Default()
    {
        if (Hftbacktest() is { Length: > 0 } files) return files;
        var sample = RepositoryRoot() is { } root ? Path.Combine(root, "samples", "binance-spot-btcusdt-ethusdt-2m.rec.gz") : null;
        return sample is not null && File.Exists(sample) ? [sample] : [];
    }

    /// <summary>The four hftbacktest spot files in ../shared/data (none when it is absent).</summary>
    public static string[] Hftbacktest()
    {
        if (RepositoryRoot() is not { } root) return [];
        var data = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "hftbacktest"));
        return Directory.Exists(data) ? Directory.GetFiles(data, "binance-spot_*.gz").Order(StringComparer.Ordinal).ToArray() : [];
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>A silo in this process (localhost clustering, the given gateway port) that replays <paramref name="files"/> at full speed once its replay feed is started.</summary>
    public static IHost BuildSilo(string[] files, int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var settings = new Dictionary<string, string?> { ["Replay:Speed"] = "0", ["Books:StaleAfter"] = "01:00:00" };
        for (var i = 0; i < files.Length; i++) settings[$"Replay:Files:{i}"] = files[i];
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), gatewayPort, serviceId: "bench", clusterId: "bench");
            silo.AddMarketDataProviders(builder.Configuration);
        });
        builder.Services.AddSingleton<ActiveFeeds>();
        return builder.Build();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
