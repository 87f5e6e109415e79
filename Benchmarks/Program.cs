using BenchmarkDotNet.Running;
using MarketData.Benchmarks;

// `e2e-replay [FILE...]` runs the end-to-end replay through a real silo; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "e2e-replay")
    return await EndToEndReplay.RunAsync(args[1..]);
// `base-input [calls] [FILE...]` measures snapshot and feature-vector latency through a real silo.
if (args.Length > 0 && args[0] == "base-input")
    return await BaseInputLatency.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "base-input-client")
    return await BaseInputLatency.RunClientAsync(args[1..]);
// `failover [kills] [silos]` kills the feed's silo process in a PostgreSQL cluster and times the books' recovery.
if (args.Length > 0 && args[0] == "failover")
    return await FailoverBenchmark.RunAsync(args[1..]);
// `pg-insert [rows] [--fsync off]` measures sustained trade inserts through the time-series writer into a throwaway PostgreSQL.
if (args.Length > 0 && args[0] == "pg-insert")
    return await TimeSeriesInsertBenchmark.RunAsync(args[1..]);

// `load [N,N...] [--seconds S] [--warmup S] [--rate-scale X]` follows N symbols of the load generator with a silo process.
if (args.Length > 0 && args[0] == "load")
    return await LoadBenchmark.RunAsync(args[1..]);
// `soak [--symbols N] [--minutes M] [--every S] [--csv FILE]` samples a loaded silo's memory for a long time.
if (args.Length > 0 && args[0] == "soak")
    return await SoakBenchmark.RunAsync(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(EndToEndReplay).Assembly).Run(args);
return 0;
