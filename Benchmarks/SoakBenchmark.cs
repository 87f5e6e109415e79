using System.Globalization;
using MarketData.Tests.Load;

namespace MarketData.Benchmarks;

/// <summary>
/// Endurance: a silo follows N symbols of the load generator for a long time while its memory is sampled at a fixed
/// interval. Target (issue 7): after the first 10 minutes, neither the resident memory nor the managed heap grows by more
/// than 5% over its value at minute 10. Each sample reads the resident size twice: as the silo runs, which includes
/// the garbage made since the last collection (a 30 MB swing when buffers are reallocated or snapshots exported just
/// before the sample), and after a forced full collection, which is what the silo retains: the verdict judges the
/// retained memory, and prints the as-running figures beside it. Also prints CPU, end-to-end latency and throughput per
/// interval, so a slow drift (a queue that grows, a cache that never evicts) shows as a trend. Usage:
/// <c>dotnet run -c Release --project Benchmarks -- soak [--symbols 100] [--minutes 60] [--every 60] [--csv file] [--fake PERIOD_MS]</c>
/// (<c>--fake</c>: the deterministic fake exchange stepping every symbol each period instead of the load generator).
/// </summary>
public static class SoakBenchmark
{
    public const double GrowthLimit = 0.05;

    public static async Task<int> RunAsync(string[] args)
    {
        var symbols = 100;
        var minutes = 60.0;
        var every = 60;
        var baselineMinute = 10.0;
        string? csv = null;
        int? fakePeriodMs = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--symbols": symbols = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--minutes": minutes = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--every": every = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--baseline": baselineMinute = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--csv": csv = args[++i]; break;
                case "--fake": fakePeriodMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }

        Console.WriteLine($"soak: {symbols} symbols for {minutes} min, memory every {every} s; baseline at minute {baselineMinute}");
        await using var run = fakePeriodMs is { } period
            ? await SiloUnderLoad.StartOnFakeAsync(symbols, TimeSpan.FromMilliseconds(period), Console.WriteLine)
            : await SiloUnderLoad.StartAsync(symbols, 1.0, Console.WriteLine);
        var synced = await run.WaitAllSyncedAsync(TimeSpan.FromMinutes(5));
        Console.WriteLine($"every book synced after {synced.TotalSeconds:F1} s");

        using var writer = csv is null ? null : new StreamWriter(csv);
        writer?.WriteLine("minute,rss_mb,rss_after_gc_mb,live_heap_mb,heap_size_mb,silo_cpu,frames_per_s,received_per_s,lag_p50_ms,lag_p99_ms,dropped,reconnects,slow_consumer_disconnects");
        Console.WriteLine("| minute | RSS MB | RSS after GC MB | live heap MB | heap size MB | silo CPU | frames/s | received/s | p50 ms | p99 ms | dropped | reconnects |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");

        var start = DateTime.UtcNow;
        var previous = await run.SampleAsync();
        var samples = new List<(double Minute, SiloUnderLoad.Sample Sample, double LiveHeap, long RetainedResident)>();
        var lagName = previous.Metrics.HistogramNamed(SiloUnderLoad.LagHistogram) ?? SiloUnderLoad.LagHistogram + "_milliseconds";
        for (var next = start + TimeSpan.FromSeconds(every); next <= start + TimeSpan.FromMinutes(minutes) + TimeSpan.FromSeconds(1); next += TimeSpan.FromSeconds(every))
        {
            var wait = next - DateTime.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            if (run.Silo.HasExited) { Console.Error.WriteLine($"the silo exited:\n{run.Silo.Tail()}"); return 1; }
            SiloUnderLoad.Sample sample;
            SiloUnderLoad.HeapAfterCollection heap;
            long retained;
            try
            {
                sample = await run.SampleAsync();
                heap = await run.HeapAfterFullCollectionAsync();
                retained = run.ResidentBytes();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ArgumentException or InvalidOperationException)
            {
                // A busy machine can make one scrape time out (or the silo exit between the check and the read, caught at the next round); the run goes on, the row is missing.
                Console.WriteLine($"| sample skipped: {ex.GetType().Name}: {ex.Message} |");
                continue;
            }
            var live = heap.LiveBytes;
            var minute = (sample.At - start).TotalMinutes;
            var seconds = (sample.At - previous.At).TotalSeconds;
            var lag = new HistogramWindow(previous.Metrics.Buckets(lagName), sample.Metrics.Buckets(lagName));
            var line = string.Create(CultureInfo.InvariantCulture,
                $"| {minute:F1} | {SiloUnderLoad.Megabytes(sample.SiloResidentBytes)} | {SiloUnderLoad.Megabytes(retained)} | {SiloUnderLoad.Megabytes(live)} | {SiloUnderLoad.Megabytes(heap.SizeBytes)} | {(sample.SiloCpu - previous.SiloCpu).TotalSeconds / seconds:P0} | "
                + $"{(sample.FramesSent - previous.FramesSent) / seconds:F0} | {(sample.Feed.MessagesReceived - previous.Feed.MessagesReceived) / seconds:F0} | "
                + $"{lag.Percentile(0.5):F2} | {lag.Percentile(0.99):F2} | {sample.Feed.Dropped} | {sample.Feed.Reconnects} |");
            Console.WriteLine(line);
            writer?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{minute:F2},{sample.SiloResidentBytes / 1048576.0:F1},{retained / 1048576.0:F1},{live / 1048576.0:F1},{heap.SizeBytes / 1048576.0:F1},{(sample.SiloCpu - previous.SiloCpu).TotalSeconds / seconds:F3},"
                + $"{(sample.FramesSent - previous.FramesSent) / seconds:F0},{(sample.Feed.MessagesReceived - previous.Feed.MessagesReceived) / seconds:F0},"
                + $"{lag.Percentile(0.5):F2},{lag.Percentile(0.99):F2},{sample.Feed.Dropped},{sample.Feed.Reconnects},{sample.SlowConsumerDisconnects}"));
            writer?.Flush();
            samples.Add((minute, sample, live, retained));
            previous = sample;
        }

        var after = samples.Where(s => s.Minute >= baselineMinute - 0.01).ToList();
        if (after.Count == 0) { Console.WriteLine("too short for a verdict: no sample after the baseline minute"); return 0; }
        var baseline = after[0];
        var retainedGrowth = after.Max(s => s.RetainedResident) / (double)baseline.RetainedResident - 1;
        var heapGrowth = baseline.LiveHeap > 0 ? after.Max(s => s.LiveHeap) / baseline.LiveHeap - 1 : double.NaN;
        var met = retainedGrowth <= GrowthLimit && !(heapGrowth > GrowthLimit);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"growth after minute {baselineMinute} (max over the rest / value at minute {baselineMinute}): resident after a full collection {retainedGrowth:P1}, live managed heap {heapGrowth:P1}; limit {GrowthLimit:P0}: {(met ? "met" : "MISSED")}"));
        // As running: the highest sample includes whatever garbage the last minute made; the medians show the trend.
        var running = after.Select(s => (double)s.Sample.SiloResidentBytes).ToList();
        var half = running.Count / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident as running (before the collection): highest {running.Max() / running[0] - 1:P1} over minute {baselineMinute}; median of the second half {Median(running.Skip(half)) / Median(running.Take(Math.Max(1, half))) - 1:P1} over the first"));
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
