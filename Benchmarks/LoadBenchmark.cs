using System.Globalization;
using System.Text;
using MarketData.Tests.Load;

namespace MarketData.Benchmarks;

/// <summary>
/// The whole market on one silo: a real silo process follows N symbols of the load generator (in this process, real
/// WebSockets and REST on loopback, rates shaped on the recordings) through the normal live path. For each N it waits
/// until every book is synced, warms up, then measures over a window: the silo's CPU and resident memory, the
/// generator's CPU, frames offered and received, the end-to-end latency (exchange event time E, stamped when the frame
/// is serialised for sending, to the book grain applying the diff: the silo's <c>marketdata.book.update_lag</c>
/// histogram), and whether the silo keeps up (the exchange pauses and every book must reach its last update id at once).
/// Usage: <c>dotnet run -c Release --project Benchmarks -- load [N[,N...]] [--seconds 60] [--warmup 20] [--rate-scale 1]</c>.
/// </summary>
public static class LoadBenchmark
{
    /// <summary>The issue's target at 1,500 symbols: 99th percentile of the end-to-end latency.</summary>
    public const double TargetP99Ms = 50;

    public static async Task<int> RunAsync(string[] args)
    {
        var counts = new List<int> { 10, 100, 500, 1500 };
        var seconds = 60;
        var warmup = 20;
        var rateScale = 1.0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rate-scale": rateScale = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    counts = [.. args[i].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))];
                    break;
            }
        }

        Console.WriteLine($"load: N = {string.Join(", ", counts)}; {warmup} s warm-up, {seconds} s measured, rate scale {rateScale}; {Environment.ProcessorCount} cores");
        var rows = new List<Row>();
        foreach (var n in counts)
        {
            var row = await MeasureAsync(n, rateScale, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds));
            rows.Add(row);
            Console.WriteLine(row.Describe());
        }

        Console.WriteLine();
        Console.WriteLine("| symbols | frames/s offered | frames/s received | silo CPU | generator CPU | silo RSS MB | live heap MB | latency p50 ms | p99 ms | p99.9 ms | worst 10-s p99 ms | keeps up | synced after s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) Console.WriteLine(r.TableLine());
        if (rows.Count >= 2)
        {
            var (small, large) = (rows.MinBy(r => r.Symbols)!, rows.MaxBy(r => r.Symbols)!);
            var perSymbolRss = (large.ResidentBytes - small.ResidentBytes) / (large.Symbols - small.Symbols);
            var perSymbolHeap = (large.HeapBytes - small.HeapBytes) / (large.Symbols - small.Symbols);
            Console.WriteLine($"memory per symbol (slope {small.Symbols} -> {large.Symbols}): resident {perSymbolRss / 1024:F0} KB, managed heap {perSymbolHeap / 1024:F0} KB");
        }
        var largest = rows.MaxBy(r => r.Symbols)!;
        var met = largest.P99 < TargetP99Ms && largest.KeptUp;
        Console.WriteLine($"target at {largest.Symbols} symbols: p99 {Ms(largest.P99)} ms (< {TargetP99Ms} ms) and keeping up: {(met ? "met" : "MISSED")}");
        return 0;
    }

    private static async Task<Row> MeasureAsync(int symbols, double rateScale, TimeSpan warmup, TimeSpan window)
    {
        Console.WriteLine($"N = {symbols}: starting the load server and a silo");
        await using var run = await SiloUnderLoad.StartAsync(symbols, rateScale, Console.WriteLine);
        var synced = await run.WaitAllSyncedAsync(TimeSpan.FromMinutes(10));
        Console.WriteLine($"  every book synced after {synced.TotalSeconds:F1} s; warming up {warmup.TotalSeconds:F0} s");
        await Task.Delay(warmup);

        var first = await run.SampleAsync();
        var slices = new List<SiloUnderLoad.Sample> { first };
        var slice = TimeSpan.FromSeconds(10);
        var end = DateTime.UtcNow + window;
        while (DateTime.UtcNow < end)
        {
            var wait = end - DateTime.UtcNow;
            await Task.Delay(wait < slice ? wait : slice);
            slices.Add(await run.SampleAsync());
        }
        var last = slices[^1];
        var liveHeap = (await run.HeapAfterFullCollectionAsync()).LiveBytes;
        var keepUp = await run.CheckKeepsUpAsync(TimeSpan.FromSeconds(30));
        return Row.From(symbols, synced, first, last, slices, keepUp, liveHeap);
    }

    private static string Ms(double value) => double.IsNaN(value) ? "n/a" : double.IsPositiveInfinity(value) ? "overflow" : value.ToString("F2", CultureInfo.InvariantCulture);

    private sealed record Row(int Symbols, TimeSpan Synced, double Seconds, double Offered, double Received, double SiloCpu, double GeneratorCpu,
        double ResidentBytes, double HeapBytes, double P50, double P99, double P999, double WorstSliceP99, double Samples,
        long Dropped, long SlowConsumerDisconnects, long Reconnects, long Resyncs, double SlipMs, SiloUnderLoad.KeepUp KeepUp)
    {
        /// <summary>Kept up: nothing dropped or disconnected, and every book reached the exchange's last id within 2 s of the pause.</summary>
        public bool KeptUp => KeepUp.CaughtUp == KeepUp.Books && KeepUp.DrainTime < TimeSpan.FromSeconds(2) && Dropped == 0 && SlowConsumerDisconnects == 0;

        public static Row From(int symbols, TimeSpan synced, SiloUnderLoad.Sample first, SiloUnderLoad.Sample last,
            List<SiloUnderLoad.Sample> slices, SiloUnderLoad.KeepUp keepUp, double liveHeap)
        {
            var seconds = (last.At - first.At).TotalSeconds;
            var name = last.Metrics.HistogramNamed(SiloUnderLoad.LagHistogram)
                ?? throw new InvalidOperationException($"the silo's /metrics has no {SiloUnderLoad.LagHistogram} histogram");
            var lag = new HistogramWindow(first.Metrics.Buckets(name), last.Metrics.Buckets(name));
            var worstSlice = 0.0;
            for (var i = 1; i < slices.Count; i++)
            {
                var p99 = new HistogramWindow(slices[i - 1].Metrics.Buckets(name), slices[i].Metrics.Buckets(name)).Percentile(0.99);
                if (!double.IsNaN(p99)) worstSlice = Math.Max(worstSlice, p99);
            }
            return new Row(symbols, synced, seconds,
                (last.FramesSent - first.FramesSent) / seconds,
                (last.Feed.MessagesReceived - first.Feed.MessagesReceived) / seconds,
                (last.SiloCpu - first.SiloCpu).TotalSeconds / seconds,
                (last.GeneratorCpu - first.GeneratorCpu).TotalSeconds / seconds,
                last.SiloResidentBytes, liveHeap,
                lag.Percentile(0.50), lag.Percentile(0.99), lag.Percentile(0.999), worstSlice, lag.Count,
                last.Feed.Dropped - first.Feed.Dropped,
                last.SlowConsumerDisconnects - first.SlowConsumerDisconnects,
                last.Feed.Reconnects - first.Feed.Reconnects,
                last.Feed.Resyncs - first.Feed.Resyncs,
                slices.Max(s => s.ScheduleSlipMs),
                keepUp);
        }

        public string Describe()
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"N = {Symbols}: {Offered:F0} frames/s offered, {Received:F0} received; silo CPU {SiloCpu:P0} of a core, generator {GeneratorCpu:P0}; ");
            sb.Append(CultureInfo.InvariantCulture, $"RSS {SiloUnderLoad.Megabytes(ResidentBytes)} MB, live heap {SiloUnderLoad.Megabytes(HeapBytes)} MB; ");
            sb.Append(CultureInfo.InvariantCulture, $"latency over {Samples:F0} diffs p50 {Ms(P50)} ms, p99 {Ms(P99)} ms, p99.9 {Ms(P999)} ms, worst 10-s p99 {Ms(WorstSliceP99)} ms; ");
            sb.Append(CultureInfo.InvariantCulture, $"dropped {Dropped}, slow-consumer disconnects {SlowConsumerDisconnects}, reconnects {Reconnects}, resyncs {Resyncs}, generator slip {SlipMs:F0} ms; ");
            sb.Append(CultureInfo.InvariantCulture, $"after the pause {KeepUp.CaughtUp}/{KeepUp.Books} books caught up in {KeepUp.DrainTime.TotalMilliseconds:F0} ms: {(KeptUp ? "keeps up" : "FELL BEHIND")}");
            return sb.ToString();
        }

        public string TableLine() => string.Create(CultureInfo.InvariantCulture,
            $"| {Symbols:N0} | {Offered:N0} | {Received:N0} | {SiloCpu:P0} | {GeneratorCpu:P0} | {SiloUnderLoad.Megabytes(ResidentBytes)} | {SiloUnderLoad.Megabytes(HeapBytes)} | {Ms(P50)} | {Ms(P99)} | {Ms(P999)} | {Ms(WorstSliceP99)} | {(KeptUp ? "yes" : "no")} ({KeepUp.DrainTime.TotalMilliseconds:F0} ms) | {Synced.TotalSeconds:F0} |");
    }
}
