using System.Diagnostics;
using MarketData.Storage.TimeSeries;
using Microsoft.Extensions.Logging;
using MarketData.Tests.Postgres;
using Npgsql;

namespace MarketData.Benchmarks;

/// <summary>
/// Sustained trade inserts through <see cref="TimeSeriesWriter"/> into a throwaway PostgreSQL server (native daily
/// partitions, the writer's default batch size and buffer). One producer adds synthetic trades of two symbols as fast as
/// the writer takes them, waiting for room instead of dropping; the clock runs from the first row to the flush that
/// commits the last. Usage: <c>dotnet run -c Release --project Benchmarks -- pg-insert [rows] [--connections N] [--fsync off] [--set name=value]...</c>
/// (default 2,000,000 rows, the writer's default trade connections, fsync on: every batch's commit is durable;
/// <c>--set</c> passes a server setting).
/// </summary>
public static class TimeSeriesInsertBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rows = 2_000_000L;
        var fsync = true;
        var extra = new List<string>();
        var connections = new TimeSeriesOptions().TradeConnections;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--fsync" && i + 1 < args.Length) fsync = args[++i] != "off";
            else if (args[i] == "--set" && i + 1 < args.Length) extra.Add(args[++i]);
            else if (args[i] == "--connections" && i + 1 < args.Length && int.TryParse(args[++i], out var c)) connections = c;
            else if (long.TryParse(args[i].Replace("_", "", StringComparison.Ordinal), out var n) && n > 0) rows = n;
            else { Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: pg-insert [rows] [--connections N] [--fsync off] [--set name=value]..."); return 2; }
        }

        string[] settings = [$"fsync={(fsync ? "on" : "off")}", "synchronous_commit=on", "shared_buffers=256MB", "max_wal_size=4GB", "checkpoint_timeout=15min", .. extra];
        var server = await PostgresServer.StartAsync(settings);
        if (server is null) { Console.Error.WriteLine($"pg-insert: {PostgresServer.Unavailable}"); return 2; }
        await using var _ = server;
        var db = await server.CreateDatabaseAsync("bench");
        string version;
        await using (var probe = new NpgsqlConnection(db))
        {
            await probe.OpenAsync();
            version = probe.PostgreSqlVersion.ToString();
        }
        Console.WriteLine($"PostgreSQL {version}, {string.Join(", ", settings)}; {Environment.ProcessorCount} cores; {connections} COPY connection(s)");

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        var options = new TimeSeriesOptions { TradeConnections = connections };
        await using var writer = new TimeSeriesWriter(db, options, TimeProvider.System, loggers.CreateLogger<TimeSeriesWriter>());
        await writer.StartAsync(CancellationToken.None);

        // Trades at 1,000 a second of exchange time ending now, so they span today's partition (and maybe yesterday's).
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - rows;
        var received = DateTime.UtcNow;
        const int chunk = 5_000;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var progress = TimeSpan.FromSeconds(2);
        for (long id = 1; id <= rows;)
        {
            await writer.WaitForRoomAsync(TimeSeriesTables.Trades, chunk);
            for (var end = Math.Min(rows, id + chunk - 1); id <= end; id++)
            {
                var symbol = (id & 1) == 0 ? "BTCUSDT" : "ETHUSDT";
                var row = new TradeRow("binance", symbol, id, 50_000_00000000 + (id % 10_000) * 1_000_000, 1_000 + id % 977, (id % 3) == 0, start + id, received);
                if (!writer.TryAdd(row)) throw new InvalidOperationException("refused despite room");
            }
            if (clock.Elapsed > progress)
            {
                Console.WriteLine($"  {clock.Elapsed.TotalSeconds,5:F1} s: {writer.Counters.Trades.Written:N0} written, {writer.Counters.Trades.QueueDepth:N0} queued");
                progress += TimeSpan.FromSeconds(2);
            }
        }
        var produced = clock.Elapsed;
        await writer.FlushAsync();
        var elapsed = clock.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;

        var counters = writer.Counters.Trades;
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        long stored;
        string size;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM trades", connection))
            stored = (long)(await count.ExecuteScalarAsync())!;
        await using (var bytes = new NpgsqlCommand("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'trades'::regclass", connection))
            size = (string)(await bytes.ExecuteScalarAsync())!;
        Console.WriteLine(counters);
        Console.WriteLine($"{rows:N0} trades in {elapsed.TotalSeconds:F2} s (producer done after {produced.TotalSeconds:F2} s), {stored:N0} rows stored, trades table {size}");
        Console.WriteLine($"=> {rows / elapsed.TotalSeconds:N0} rows/s sustained; client CPU {cpuUsed.TotalSeconds:F1} s ({cpuUsed / elapsed:F2} cores)");
        return stored == rows ? 0 : 1;
    }
}
