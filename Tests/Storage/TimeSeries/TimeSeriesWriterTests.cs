using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.ModelOutputs;
using MarketData.Storage.TimeSeries;
using MarketData.Streams;
using MarketData.Tests.Postgres;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using static MarketData.Tests.Storage.TimeSeries.TimeSeriesTestSupport;

namespace MarketData.Tests.Storage.TimeSeries;

[Collection(PostgresCollection.Name)]
public sealed class TimeSeriesWriterTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2030, 1, 10, 12, 0, 0, TimeSpan.Zero);

    private TimeSeriesWriter Writer(string connectionString, TimeSeriesOptions? options = null, TimeProvider? time = null)
        => new(connectionString, options ?? new TimeSeriesOptions(), time ?? new FakeTimeProvider(Now), new OutputLogger<TimeSeriesWriter>(output));

    [SkippableFact]
    public async Task Rows_of_every_table_round_trip_through_copy_batches()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_roundtrip");
        var t0 = Ms(Now) - 3_600_000;
        await using var writer = Writer(db, new TimeSeriesOptions { BatchSize = 1_000 });
        await writer.StartAsync(CancellationToken.None);
        Assert.False(writer.UsesTimescale);

        // Trades: several batches.
        for (var id = 1; id <= 2_500; id++) Assert.True(writer.TryAdd(Trade(id, t0 + id)));

        // Candles of every timeframe.
        var candles = Timeframe.All.Select((tf, i) => new CandleRow("binance", "BTCUSDT", tf, new Candle
        {
            OpenTime = tf.OpenTimeOf(t0), CloseTime = tf.CloseTimeOf(tf.OpenTimeOf(t0)), Open = 100 + i, High = 200 + i, Low = 50 + i, Close = 150 + i,
            Volume = 1_000 + i, QuoteVolume = 2_000 + i, TradeCount = 3 + i, TakerBuyVolume = 400 + i, TakerBuyQuoteVolume = 800 + i,
            Source = CandleSource.BinanceStream, Flags = CandleFlags.Closed,
        })).ToArray();
        foreach (var c in candles) Assert.True(writer.TryAdd(c));

        var cob = new CobRow("binance", "BTCUSDT", new CobSecond
        {
            Time = t0 - t0 % 1000, BookUpdateId = 77, Mid = 50_000_00000000, BucketSize = 10_00000000, RangeLow = 49_990_00000000, RangeHigh = 50_010_00000000,
            Buckets = [new PriceBucket(49_990_00000000, 123_456_789, 0), new PriceBucket(50_000_00000000, 5, 987_654_321_000)],
            Imbalance = -0.25, BidVwap = 49_995_00000000, AskVwap = 50_005_00000000, Spread = 1_000_000, BidDepth = 123_456_789, AskDepth = 987_654_321_000,
            Flow = new TradeFlow(10, 20, 3, 50_001_00000000, 99), Averages = new ImbalanceAverages(0.1, null, -0.3, 1.0 / 3),
            BucketAverages = [new ImbalanceAverages(1, 0.5, null, null), new ImbalanceAverages(-1, -0.123456789012345, 0, 0)],
        });
        var gap = new CobRow("binance", "BTCUSDT", new CobSecond { Time = cob.Second.Time + 1000, IsGap = true, GapReason = "book resyncing" });
        Assert.True(writer.TryAdd(cob));
        Assert.True(writer.TryAdd(gap));

        var snapshot = new BookSnapshotRow("binance", "ETHUSDT", t0 + 5, 123_456, [new PriceLevel(3_000_00000000, 1), new PriceLevel(2_999_00000000, 2)], [new PriceLevel(3_001_00000000, 3)]);
        Assert.True(writer.TryAdd(snapshot));

        var outputRow = new ModelOutputRow("binance", "BTCUSDT", new ModelOutput
        {
            ModelType = "cnn", ModelName = "cnn-v1", Time = t0 + 9, Confidence = 0.75, Predictions = [0.1, -2.5, 1e-9],
            HiddenState = [1, 2, 3], Metadata = new Dictionary<string, string> { ["run"] = "42", ["note"] = "ünïcode \"quoted\"" },
            Sequence = 1, ReceivedAt = DateTime.UnixEpoch.AddMilliseconds(t0 + 10),
        });
        Assert.True(writer.TryAdd(outputRow));

        await writer.FlushAsync().WaitAsync(Patience);
        output.WriteLine(writer.Counters.ToString());

        var reader = new TimeSeriesReader(db);
        var trades = await reader.TradesAsync(t0, t0 + 10_000).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 2_500).Select(id => Trade(id, t0 + id)), trades);
        Assert.Equal(2_500, writer.Counters.Trades.Written);
        Assert.True(writer.Counters.Trades.Batches >= 3);
        Assert.Equal(0, writer.Counters.Trades.Duplicates);

        foreach (var c in candles)
            Assert.Equal([c.Candle], await reader.LatestCandlesAsync("binance", "BTCUSDT", c.Timeframe, 10));

        var cobs = await reader.CobSecondsAsync("binance", "BTCUSDT", cob.Second.Time, cob.Second.Time + 2_000).ToListAsync();
        Assert.Equal(2, cobs.Count);
        AssertSameSecond(cob.Second, cobs[0].Second);
        AssertSameSecond(gap.Second, cobs[1].Second);

        var snapshots = await reader.BookSnapshotsAsync(t0, t0 + 10).ToListAsync();
        var stored = Assert.Single(snapshots);
        Assert.Equal((snapshot.Exchange, snapshot.Symbol, snapshot.Time, snapshot.LastUpdateId), (stored.Exchange, stored.Symbol, stored.Time, stored.LastUpdateId));
        Assert.Equal(snapshot.Bids, stored.Bids);
        Assert.Equal(snapshot.Asks, stored.Asks);

        var outputs = await reader.ModelOutputsAsync("binance", "BTCUSDT", "cnn-v1", 10);
        var o = Assert.Single(outputs).Output;
        Assert.Equal((outputRow.Output.ModelType, outputRow.Output.Time, outputRow.Output.Confidence, outputRow.Output.Sequence, outputRow.Output.ReceivedAt),
            (o.ModelType, o.Time, o.Confidence, o.Sequence, o.ReceivedAt));
        Assert.Equal(outputRow.Output.Predictions, o.Predictions);
        Assert.Equal(outputRow.Output.HiddenState, o.HiddenState);
        Assert.Equal(outputRow.Output.Metadata.OrderBy(p => p.Key), o.Metadata.OrderBy(p => p.Key));

        // A second writer on the same database finds the schema and partitions in place.
        await using var again = Writer(db);
        await again.StartAsync(CancellationToken.None);
        Assert.Equal(2_500L, await ScalarAsync<long>(db, "SELECT count(*) FROM trades"));
    }

    [SkippableFact]
    public async Task A_repaired_candle_replaces_the_stored_one_and_the_last_update_in_a_batch_wins()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_candles");
        await using var writer = Writer(db);
        await writer.StartAsync(CancellationToken.None);
        var tf = Timeframe.OneMinute;
        var open = tf.OpenTimeOf(Ms(Now) - 600_000);
        Candle Make(long close, CandleFlags flags, CandleSource source = CandleSource.BinanceStream)
            => new() { OpenTime = open, CloseTime = tf.CloseTimeOf(open), Open = 10, High = 20, Low = 5, Close = close, Volume = 7, Flags = flags, Source = source };

        // Three updates of the forming candle and its close, all in one batch: the close is stored.
        writer.TryAdd(new CandleRow("binance", "BTCUSDT", tf, Make(11, CandleFlags.None)));
        writer.TryAdd(new CandleRow("binance", "BTCUSDT", tf, Make(12, CandleFlags.None)));
        writer.TryAdd(new CandleRow("binance", "BTCUSDT", tf, Make(13, CandleFlags.Closed)));
        await writer.FlushAsync().WaitAsync(Patience);
        var reader = new TimeSeriesReader(db);
        Assert.Equal([Make(13, CandleFlags.Closed)], await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 5));

        // A repair from REST in a later batch replaces it.
        var repaired = Make(14, CandleFlags.Closed | CandleFlags.Repaired, CandleSource.BinanceRest);
        writer.TryAdd(new CandleRow("binance", "BTCUSDT", tf, repaired));
        await writer.FlushAsync().WaitAsync(Patience);
        Assert.Equal([repaired], await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 5));
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM candles"));
        Assert.Equal(4, writer.Counters.Candles.Written);
    }

    [SkippableFact]
    public async Task Trades_written_again_are_stored_once()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_dupes");
        await using var writer = Writer(db);
        await writer.StartAsync(CancellationToken.None);
        var t0 = Ms(Now) - 1_000_000;
        for (var id = 1; id <= 500; id++) writer.TryAdd(Trade(id, t0 + id));
        await writer.FlushAsync().WaitAsync(Patience);
        // The same trades again (a replay, or a retried batch whose commit went through) plus new ones, in one batch.
        for (var id = 251; id <= 1_000; id++) writer.TryAdd(Trade(id, t0 + id));
        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal(1_000L, await ScalarAsync<long>(db, "SELECT count(*) FROM trades"));
        Assert.Equal(250, writer.Counters.Trades.Duplicates);
        Assert.Equal(1_250, writer.Counters.Trades.Written);
        Assert.Equal(0, writer.Counters.Trades.FailedBatches);
    }

    [SkippableFact]
    public async Task Rows_the_database_refuses_are_rejected_alone_and_counted()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_reject");
        await using var writer = Writer(db);
        await writer.StartAsync(CancellationToken.None);
        var t0 = Ms(Now) - 1_000_000;
        for (var id = 1; id <= 100; id++)
        {
            var row = id switch
            {
                17 => Trade(id, t0 + id, symbol: "BAD\0SYMBOL"), // PostgreSQL text cannot hold NUL: refused by the server
                60 => Trade(id, -5),                             // not a Unix time: refused before the COPY
                _ => Trade(id, t0 + id),
            };
            Assert.True(writer.TryAdd(row));
        }
        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal(98L, await ScalarAsync<long>(db, "SELECT count(*) FROM trades"));
        Assert.Equal(2, writer.Counters.Trades.Rejected);
        Assert.Equal(98, writer.Counters.Trades.Written);
        Assert.Empty(await ColumnAsync<long>(db, "SELECT trade_id FROM trades WHERE trade_id IN (17, 60)"));
    }

    [SkippableFact]
    public async Task Partitions_exist_for_today_and_ahead_old_days_come_on_demand_and_retention_drops_only_old_ones()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_partitions");
        var time = new FakeTimeProvider(Now);
        await using var writer = Writer(db, new TimeSeriesOptions { PartitionsAhead = 2 }, time);
        await writer.StartAsync(CancellationToken.None);

        foreach (var table in TimeSeriesTables.All)
        {
            // Candles and model outputs are partitioned by month (a 1d cache spans years); the rest by day.
            List<string> expected = table is TimeSeriesTables.Candles or TimeSeriesTables.ModelOutputs
                ? [$"{table}_p20300101"]
                : [$"{table}_p20300110", $"{table}_p20300111", $"{table}_p20300112"];
            Assert.Equal(expected, await Partitions(db, table));
        }

        // A backfill writes a day 9 days back (created on demand), and one 40 days back (past the 30-day retention: not written).
        var oldDay = Ms(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        var expiredDay = Ms(new DateTimeOffset(2029, 12, 1, 8, 0, 0, TimeSpan.Zero));
        writer.TryAdd(Trade(1, oldDay));
        writer.TryAdd(Trade(2, Ms(Now)));
        writer.TryAdd(Trade(3, expiredDay));
        writer.TryAdd(new BookSnapshotRow("binance", "BTCUSDT", Ms(Now), 1, [], []));
        await writer.FlushAsync().WaitAsync(Patience);
        Assert.Equal(["trades_p20300101", "trades_p20300110", "trades_p20300111", "trades_p20300112"], await Partitions(db, "trades"));
        Assert.Equal([1L, 2L], await ColumnAsync<long>(db, "SELECT trade_id FROM trades ORDER BY trade_id"));
        Assert.Equal(1, writer.Counters.Trades.Expired);

        // 26 days later: trades keep 30 days (cutoff 2030-01-06: the 1st goes), book snapshots 7 (everything goes),
        // candles and model outputs keep theirs.
        var later = Now.AddDays(26);
        var dropped = await writer.ApplyRetentionAsync(later);
        Assert.Equal(["trades_p20300101", "book_snapshots_p20300110", "book_snapshots_p20300111", "book_snapshots_p20300112"], dropped);
        Assert.Equal(["trades_p20300110", "trades_p20300111", "trades_p20300112"], await Partitions(db, "trades"));
        Assert.Empty(await Partitions(db, "book_snapshots"));
        Assert.Single(await Partitions(db, "candles"));
        Assert.Single(await Partitions(db, "model_outputs"));
        Assert.Equal([2L], await ColumnAsync<long>(db, "SELECT trade_id FROM trades"));

        // The partition of a dropped day comes back on demand when a row for it arrives again (the clock is still at Now).
        writer.TryAdd(new BookSnapshotRow("binance", "BTCUSDT", Ms(Now) + 1, 2, [], []));
        await writer.FlushAsync().WaitAsync(Patience);
        Assert.Equal(["book_snapshots_p20300110"], await Partitions(db, "book_snapshots"));
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM book_snapshots"));
    }

    private static Task<List<string>> Partitions(string db, string table)
        => ColumnAsync<string>(db, TimeSeriesSchema.ListPartitions(table));

    private static void AssertSameSecond(CobSecond expected, CobSecond actual)
    {
        Assert.Equal(expected with { Buckets = [], BucketAverages = [] }, actual with { Buckets = [], BucketAverages = [] });
        Assert.Equal(expected.Buckets, actual.Buckets);
        Assert.Equal(expected.BucketAverages, actual.BucketAverages);
    }
}
