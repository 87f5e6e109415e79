using MarketData.Tests.Integration;
using MarketData.Tests.Postgres;

namespace MarketData.Benchmarks;

/// <summary>
/// Failover of a PostgreSQL cluster on this machine: several silo processes fed by a fake Binance server (in this
/// process) over a throwaway PostgreSQL server; the silo running the feed is killed with SIGKILL, again and again,
/// and each time the clock runs until every book is synced with data the exchange produced after the kill (read over
/// HTTP from the survivors). A replacement silo joins before the next kill. Usage:
/// <c>dotnet run -c Release --project Benchmarks -- failover [kills] [silos]</c> (default 5 kills, 3 silos).
/// </summary>
public static class FailoverBenchmark
{
    public static readonly TimeSpan Target = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(string[] args)
    {
        var kills = args.Length > 0 && int.TryParse(args[0], out var k) && k > 0 ? k : 5;
        var silos = args.Length > 1 && int.TryParse(args[1], out var n) && n >= 2 ? n : 3;

        await using var postgres = await PostgresServer.StartAsync();
        if (postgres is null) { Console.Error.WriteLine($"No PostgreSQL: {PostgresServer.Unavailable}"); return 2; }
        var database = await postgres.CreateDatabaseAsync("failover");
        await using var cluster = await FailoverCluster.StartAsync(database, line => Console.WriteLine(line));
        var (exit, output) = await cluster.MigrateAsync();
        if (exit != 0) { Console.Error.WriteLine($"migrate failed ({exit}): {output}"); return 1; }

        for (var i = 0; i < silos; i++) cluster.StartSilo();
        Console.WriteLine($"{silos} silos up, every book synced after {FailoverCluster.Seconds(await cluster.WaitReadyAsync(TimeSpan.FromMinutes(2)))}");

        var times = new List<TimeSpan>();
        for (var round = 1; round <= kills; round++)
        {
            // Settle: the cluster has seen the replacement and the books are fresh.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var host = cluster.FeedHost();
            var victim = host ?? cluster.Alive.First();
            var time = await cluster.KillAndMeasureAsync(victim, TimeSpan.FromMinutes(2));
            times.Add(time);
            Console.WriteLine($"kill {round}/{kills}: {victim.Name}{(host is null ? " (feed host unknown)" : ", the feed's host,")} -> every book synced again after {FailoverCluster.Seconds(time)}");
            if (round < kills)
            {
                cluster.StartSilo();
                await cluster.WaitReadyAsync(TimeSpan.FromMinutes(2));
            }
        }

        var sorted = times.OrderBy(t => t).ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        Console.WriteLine($"failover over {kills} kills of the feed's silo ({silos} silos): median {FailoverCluster.Seconds(median)}, "
            + $"min {FailoverCluster.Seconds(sorted[0])}, max {FailoverCluster.Seconds(sorted[^1])}; target {FailoverCluster.Seconds(Target)}: "
            + (sorted[^1] <= Target ? "met" : "MISSED"));
        return 0;
    }
}
