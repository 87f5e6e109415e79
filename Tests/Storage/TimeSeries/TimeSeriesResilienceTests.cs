using MarketData.Storage.TimeSeries;
using MarketData.Tests.Postgres;
using Npgsql;
using Xunit.Abstractions;
using static MarketData.Tests.Storage.TimeSeries.TimeSeriesTestSupport;

namespace MarketData.Tests.Storage.TimeSeries;

/// <summary>The writer across a database that goes away: these tests stop and restart the collection's shared server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TimeSeriesResilienceTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private static TimeSeriesOptions FastRetries(int bufferCapacity, int batchSize) => new()
    {
        BufferCapacity = bufferCapacity,
        BatchSize = batchSize,
        FlushInterval = TimeSpan.FromMilliseconds(10),
        RetryMinDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromMilliseconds(300),
    };

    [SkippableFact]
    public async Task Every_accepted_trade_is_stored_exactly_once_across_a_database_crash_and_restart()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_restart");
        await using var writer = new TimeSeriesWriter(db, FastRetries(1_000_000, 2_000), TimeProvider.System, new OutputLogger<TimeSeriesWriter>(output));
        await writer.StartAsync(CancellationToken.None);
        var t0 = Ms(DateTimeOffset.UtcNow) - 600_000;

        long next = 0, accepted = 0;
        var restarted = false;
        var producer = Task.Run(async () =>
        {
            // Keeps adding through the crash and the restart, and for a while after it.
            var roundsAfterRestart = 0;
            while (roundsAfterRestart < 40)
            {
                for (var i = 0; i < 200; i++)
                {
                    var id = ++next;
                    if (writer.TryAdd(Trade(id, t0 + id / 10))) accepted++;
                }
                if (Volatile.Read(ref restarted)) roundsAfterRestart++;
                // At most 10,000 rows a second: the 1,000,000-row queue outlasts 100 s of a slow restart on a starved host.
                await Task.Delay(20);
            }
        });

        var reader = new TimeSeriesReader(db);
        try
        {
            await WaitUntilAsync(() => writer.Counters.Trades.Written >= 10_000, "the first batches");
            Assert.NotEmpty(await reader.TradesAsync(t0, t0 + 100).ToListAsync()); // leaves a pooled connection to the server about to crash
            await server.StopAsync("immediate");
            await WaitUntilAsync(() => writer.Counters.Trades.FailedBatches >= 1 || producer.IsFaulted, "a failed batch");
        }
        finally
        {
            await server.StartServerAsync();
            await using var admin = new NpgsqlConnection(server.AdminConnectionString);
            NpgsqlConnection.ClearPool(admin); // other tests create their databases through it
            Volatile.Write(ref restarted, true);
        }
        await producer;
        await writer.FlushAsync().WaitAsync(Patience);
        // The reader's pooled connection died with the server: the query is retried on a fresh one.
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L], (await reader.TradesAsync(t0, t0 + 1).ToListAsync()).Select(t => t.TradeId));

        var counters = writer.Counters.Trades;
        output.WriteLine(counters.ToString());
        Assert.Equal(next, accepted);
        Assert.Equal(0, counters.Dropped);
        Assert.Equal(accepted, counters.Written);
        Assert.True(counters.FailedBatches >= 1);
        Assert.True(counters.Retries >= 1);
        // Exactly once: as many rows as accepted, and every id from 1 to the last one.
        Assert.Equal(accepted, await ScalarAsync<long>(db, "SELECT count(*) FROM trades"));
        Assert.Equal(accepted, await ScalarAsync<long>(db, "SELECT count(DISTINCT trade_id) FROM trades"));
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT min(trade_id) FROM trades"));
        Assert.Equal(next, await ScalarAsync<long>(db, "SELECT max(trade_id) FROM trades"));
    }

    [SkippableFact]
    public async Task A_full_buffer_refuses_and_counts_rows_while_the_database_is_down_and_keeps_the_accepted_ones()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_drops");
        await using var writer = new TimeSeriesWriter(db, FastRetries(100, 10), TimeProvider.System, new OutputLogger<TimeSeriesWriter>(output));
        await writer.StartAsync(CancellationToken.None);
        var t0 = Ms(DateTimeOffset.UtcNow) - 600_000;

        var accepted = new List<long>();
        await server.StopAsync("fast");
        try
        {
            for (var id = 1; id <= 1_000; id++)
                if (writer.TryAdd(Trade(id, t0 + id))) accepted.Add(id);
        }
        finally
        {
            await server.StartServerAsync();
            NpgsqlConnection.ClearAllPools();
        }

        // The queue holds 100; at most a batch of 10 more per trade connection (two) can be in flight (failing) in the writer.
        Assert.InRange(accepted.Count, 100, 120);
        Assert.Equal(1_000 - accepted.Count, writer.Counters.Trades.Dropped);
        Assert.Equal(accepted.Count, writer.Counters.Trades.Queued);

        await writer.FlushAsync().WaitAsync(Patience);
        Assert.Equal(accepted, await ColumnAsync<long>(db, "SELECT trade_id FROM trades ORDER BY trade_id"));
        Assert.Equal(accepted.Count, writer.Counters.Trades.Written);
    }
}
