using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MarketData.Books;
using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketData.Benchmarks;

/// <summary>
/// End-to-end replay at <c>--speed max</c>: a real silo (localhost clustering, memory streams) replays the
/// files through the feed grain, the streams and the book grains. The clock stops when every book grain has
/// applied the last diff of its symbol. Usage: <c>dotnet run -c Release --project Benchmarks -- e2e-replay [FILE...]</c>
/// (default: the four hftbacktest spot files in ../shared/data).
/// </summary>
public static class EndToEndReplay
{
    public static async Task<int> RunAsync(string[] files)
    {
        if (files.Length == 0) files = ReplayFiles.Hftbacktest();
        if (files.Length == 0) { Console.Error.WriteLine("No files given and ../shared/data/hftbacktest not found."); return 2; }

        var finalIds = FinalUpdateIds(files, out var frames);
        Console.WriteLine($"{frames:N0} frames, symbols {string.Join(", ", finalIds.Keys)}");

        using var host = ReplayFiles.BuildSilo(files, ReplayFiles.FreePort());

        var clock = Stopwatch.StartNew();
        await host.StartAsync();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var started = clock.Elapsed;
        await grains.GetGrain<IReplayFeedGrain>("replay").EnsureStartedAsync();

        var pending = new HashSet<string>(finalIds.Keys);
        while (pending.Count > 0)
        {
            foreach (var symbol in pending.ToArray())
            {
                var top = await grains.GetGrain<IOrderBookGrain>($"binance:{symbol}").GetTopOfBookAsync();
                if (top.LastUpdateId >= finalIds[symbol]) pending.Remove(symbol);
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) { Console.Error.WriteLine("Timed out"); return 1; }
            await Task.Delay(2);
        }
        var elapsed = clock.Elapsed - started;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var status = await grains.GetGrain<IReplayFeedGrain>("replay").GetStatusAsync();
        Console.WriteLine($"replayed {status.MessagesReceived:N0} messages ({status.EventsPublished:N0} events published, {status.Rejected} rejected, {status.Dropped} dropped) in {elapsed.TotalSeconds:F2} s");
        Console.WriteLine($"=> {status.MessagesReceived / elapsed.TotalSeconds:N0} messages/s end to end; CPU {cpuUsed.TotalSeconds:F1} s ({cpuUsed / elapsed:F2} cores); GC heap {GC.GetTotalMemory(false) / 1_048_576.0:F0} MB");
        foreach (var symbol in finalIds.Keys)
        {
            var health = await grains.GetGrain<IOrderBookGrain>($"binance:{symbol}").GetHealthAsync();
            Console.WriteLine($"   {symbol}: {health.Status}, {health.DiffsApplied:N0} diffs applied, {health.Gaps} gaps, last update {health.LastUpdateId}");
        }
        await host.StopAsync();
        return 0;
    }

    private static Dictionary<string, long> FinalUpdateIds(string[] files, out long frames)
    {
        var parser = new BinanceFrameParser();
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        frames = 0;
        foreach (var frame in new RecordingReader(files).ReadFrames())
        {
            frames++;
            if (parser.Parse(frame.Payload.Span) == BinanceFrameKind.DepthUpdate && parser.Symbol is { } symbol)
                last[symbol] = parser.FinalUpdateId;
        }
        return last;
    }
}
