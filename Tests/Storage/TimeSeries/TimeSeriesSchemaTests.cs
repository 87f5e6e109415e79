using MarketData.Storage.TimeSeries;

namespace MarketData.Tests.Storage.TimeSeries;

public sealed class TimeSeriesSchemaTests
{
    [Fact]
    public void Native_tables_are_partitioned_by_range_of_their_time_column_with_the_time_in_the_key()
    {
        var sql = TimeSeriesSchema.CreateTables(timescale: false);
        foreach (var table in TimeSeriesSchema.Tables)
        {
            Assert.Contains($"CREATE TABLE IF NOT EXISTS {table.Name} (", sql);
            Assert.Contains(table.TimeColumn, table.PrimaryKey);
        }
        Assert.Contains("PRIMARY KEY (trade_time, exchange, symbol, trade_id)\n) PARTITION BY RANGE (trade_time);", sql);
        Assert.Contains("PRIMARY KEY (exchange, symbol, timeframe, open_time)\n) PARTITION BY RANGE (open_time);", sql);
        Assert.Contains("PARTITION BY RANGE (second_time)", sql);
        Assert.Contains("PARTITION BY RANGE (snapshot_time)", sql);
        Assert.Contains("PARTITION BY RANGE (output_time)", sql);
        Assert.Contains("    price bigint NOT NULL,", sql);
        Assert.Contains("    exchange text COLLATE \"C\" NOT NULL,", sql);
        Assert.Contains("    trade_time timestamptz NOT NULL,", sql);
        Assert.Contains("    gap_reason text NULL,", sql);
        Assert.Contains("    buckets jsonb NOT NULL,", sql);
    }

    [Fact]
    public void Timescale_tables_are_plain_tables_for_create_hypertable()
    {
        var sql = TimeSeriesSchema.CreateTables(timescale: true);
        Assert.DoesNotContain("PARTITION BY", sql);
        Assert.Equal(5, sql.Split("CREATE TABLE IF NOT EXISTS").Length - 1);
    }

    [Fact]
    public void A_daily_partition_covers_one_utc_day()
    {
        Assert.Equal(
            "CREATE TABLE IF NOT EXISTS trades_p20250301 PARTITION OF trades FOR VALUES FROM ('2025-03-01 00:00:00+00') TO ('2025-03-02 00:00:00+00')",
            TimeSeriesSchema.CreatePartition("trades", new DateOnly(2025, 3, 1)));
        Assert.Equal(
            "CREATE TABLE IF NOT EXISTS book_snapshots_p20241231 PARTITION OF book_snapshots FOR VALUES FROM ('2024-12-31 00:00:00+00') TO ('2025-01-01 00:00:00+00')",
            TimeSeriesSchema.CreatePartition("book_snapshots", new DateOnly(2024, 12, 31)));
        Assert.Throws<ArgumentException>(() => TimeSeriesSchema.CreatePartition("trades; DROP TABLE x", new DateOnly(2025, 3, 1)));
    }

    [Fact]
    public void Partition_names_parse_back_to_their_day_and_nothing_else_does()
    {
        Assert.Equal(new DateOnly(2025, 3, 1), TimeSeriesSchema.PartitionDay("trades", "trades_p20250301"));
        Assert.Null(TimeSeriesSchema.PartitionDay("trades", "candles_p20250301"));
        Assert.Null(TimeSeriesSchema.PartitionDay("trades", "trades_p2025030"));
        Assert.Null(TimeSeriesSchema.PartitionDay("trades", "trades_p20251301"));
        Assert.Null(TimeSeriesSchema.PartitionDay("trades", "trades_default"));
    }

    [Fact]
    public void Retention_drops_only_partitions_whose_whole_day_is_before_the_cutoff()
    {
        string[] partitions = ["trades_p20250101", "trades_p20250109", "trades_p20250110", "trades_p20250111", "trades_default", "other_p20240101"];
        var cutoff = new DateTimeOffset(2025, 1, 10, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(["DROP TABLE IF EXISTS trades_p20250101", "DROP TABLE IF EXISTS trades_p20250109"],
            TimeSeriesSchema.DropPartitionsBefore("trades", partitions, cutoff));
        // A cutoff at midnight: the day before ends exactly at the cutoff and goes.
        Assert.Equal(["trades_p20250101", "trades_p20250109"],
            TimeSeriesSchema.PartitionsBefore("trades", partitions, new DateTimeOffset(2025, 1, 10, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Timescale_setup_makes_hypertables_with_compression_and_per_table_retention()
    {
        var options = new TimeSeriesOptions { CompressAfter = TimeSpan.FromHours(36) };
        options.Retention["trades"] = TimeSpan.FromDays(45);
        var statements = TimeSeriesSchema.TimescaleSetup(options);

        Assert.Equal("CREATE EXTENSION IF NOT EXISTS timescaledb", statements[0]);
        Assert.Equal(1 + 5 * 6, statements.Count);
        Assert.Contains("SELECT create_hypertable('trades', 'trade_time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)", statements);
        Assert.Contains("SELECT create_hypertable('candles', 'open_time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)", statements);
        Assert.Contains(statements, s => s.Contains("ALTER TABLE trades SET (timescaledb.compress, timescaledb.compress_segmentby = 'exchange, symbol', timescaledb.compress_orderby = 'trade_time DESC, trade_id')", StringComparison.Ordinal)
                                         && s.Contains("hypertable_name = 'trades' AND compression_enabled", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Contains("ALTER TABLE candles SET (timescaledb.compress, timescaledb.compress_segmentby = 'exchange, symbol, timeframe', timescaledb.compress_orderby = 'open_time DESC')", StringComparison.Ordinal));
        Assert.Contains("SELECT add_compression_policy('trades', compress_after => INTERVAL '129600 seconds')", statements);
        Assert.Contains("SELECT remove_retention_policy('trades', if_exists => TRUE)", statements);
        Assert.Contains("SELECT add_retention_policy('trades', drop_after => INTERVAL '45 days')", statements);
        Assert.Contains("SELECT add_retention_policy('book_snapshots', drop_after => INTERVAL '7 days')", statements);
        Assert.Contains("SELECT add_retention_policy('candles', drop_after => INTERVAL '3650 days')", statements);
        Assert.Contains("SELECT add_retention_policy('cob_seconds', drop_after => INTERVAL '30 days')", statements);
        Assert.Contains("SELECT add_retention_policy('model_outputs', drop_after => INTERVAL '365 days')", statements);
        // Each policy is removed before it is added, so a changed setting takes effect on the next start.
        Assert.True(statements.ToList().IndexOf("SELECT remove_compression_policy('trades', if_exists => TRUE)")
                    < statements.ToList().IndexOf("SELECT add_compression_policy('trades', compress_after => INTERVAL '129600 seconds')"));
    }

    [Fact]
    public void Every_key_column_is_segmented_or_ordered_for_timescale_compression()
    {
        foreach (var table in TimeSeriesSchema.Tables)
        {
            var columns = (table.SegmentBy + "," + table.OrderBy).Split(',').Select(c => c.Trim().Split(' ')[0]).ToHashSet();
            foreach (var key in table.PrimaryKey) Assert.Contains(key, columns);
        }
    }

    [Fact]
    public void Timescale_retention_drops_chunks_before_the_cutoff()
        => Assert.Equal("SELECT drop_chunks('trades', older_than => TIMESTAMPTZ '2025-01-10 12:30:00.000+00')",
            TimeSeriesSchema.TimescaleDropChunks("trades", new DateTimeOffset(2025, 1, 10, 13, 30, 0, TimeSpan.FromHours(1))));

    [Fact]
    public void Staged_batches_merge_skipping_stored_rows_except_candles_which_are_replaced()
    {
        Assert.Equal("CREATE TEMP TABLE IF NOT EXISTS stage_trades (LIKE trades) ON COMMIT DELETE ROWS", TimeSeriesSchema.CreateStaging(TimeSeriesSchema.Trades));
        Assert.EndsWith("FROM stage_trades ON CONFLICT (trade_time, exchange, symbol, trade_id) DO NOTHING", TimeSeriesSchema.MergeFromStaging(TimeSeriesSchema.Trades));
        var candles = TimeSeriesSchema.MergeFromStaging(TimeSeriesSchema.Candles);
        Assert.Contains("ON CONFLICT (exchange, symbol, timeframe, open_time) DO UPDATE SET close_time = EXCLUDED.close_time, open = EXCLUDED.open", candles);
        Assert.EndsWith("flags = EXCLUDED.flags", candles);
        Assert.DoesNotContain("open_time = EXCLUDED", candles);
        Assert.Equal("COPY trades (exchange, symbol, trade_id, price, quantity, buyer_is_maker, trade_time, received_at) FROM STDIN (FORMAT BINARY)",
            TimeSeriesSchema.CopyInto(TimeSeriesSchema.Trades, "trades"));
    }
}

public sealed class TimeSeriesOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var options = new TimeSeriesOptions();
        Assert.Null(options.Validate());
        Assert.Equal(TimeSpan.FromDays(30), options.RetentionOf("trades"));
        Assert.Equal(TimeSpan.FromDays(7), options.RetentionOf("BOOK_SNAPSHOTS"));
        Assert.Null(options.TimescaleMode);
    }

    [Fact]
    public void Every_bad_setting_is_reported()
    {
        var options = new TimeSeriesOptions
        {
            BufferCapacity = 0, BatchSize = 0, TradeConnections = 0, FlushInterval = TimeSpan.Zero, RetryMinDelay = TimeSpan.FromSeconds(2),
            RetryMaxDelay = TimeSpan.FromSeconds(1), PartitionsAhead = -1, Timescale = "maybe",
        };
        options.Retention["trades"] = TimeSpan.FromHours(1);
        options.Retention["ticks"] = TimeSpan.FromDays(1);
        options.Retention.Remove("candles");
        var error = options.Validate();
        Assert.NotNull(error);
        foreach (var part in new[] { "BufferCapacity", "BatchSize", "TradeConnections", "FlushInterval", "RetryMaxDelay", "PartitionsAhead", "Timescale", "Retention:trades", "Retention:ticks", "Retention:candles is missing" })
            Assert.Contains(part, error);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("auto", null)]
    [InlineData("on", true)]
    [InlineData("OFF", false)]
    public void Timescale_setting_is_a_tri_state(string? setting, bool? expected)
    {
        var options = new TimeSeriesOptions { Timescale = setting };
        Assert.Null(options.Validate());
        Assert.Equal(expected, options.TimescaleMode);
    }

    [Fact]
    public void The_writer_refuses_invalid_options()
        => Assert.Throws<ArgumentException>(() => new TimeSeriesWriter("Host=127.0.0.1", new TimeSeriesOptions { BatchSize = 0 }, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<TimeSeriesWriter>.Instance));
}

public sealed class RowQueueTests
{
    [Fact]
    public void Refuses_beyond_capacity_and_keeps_order_across_growth_and_wrap()
    {
        var queue = new RowQueue<int>(3000);
        for (var i = 0; i < 3000; i++) Assert.True(queue.TryEnqueue(i));
        Assert.False(queue.TryEnqueue(-1));
        var batch = new int[1000];
        Assert.Equal(1000, queue.Drain(batch, out var first));
        Assert.Equal(1, first);
        Assert.Equal(Enumerable.Range(0, 1000), batch);
        for (var i = 3000; i < 4000; i++) Assert.True(queue.TryEnqueue(i)); // wraps around the ring
        var all = new List<int>();
        int n;
        while ((n = queue.Drain(batch, out _)) > 0) all.AddRange(batch[..n]);
        Assert.Equal(Enumerable.Range(1000, 3000), all);
        Assert.Equal(4000, queue.Enqueued);
    }

    [Fact]
    public async Task The_consumer_wakes_at_its_threshold_or_when_asked()
    {
        var queue = new RowQueue<int>(100);
        var wait = queue.WaitForAsync(3);
        queue.TryEnqueue(1);
        queue.TryEnqueue(2);
        Assert.False(wait.IsCompleted);
        queue.TryEnqueue(3);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));

        var woken = queue.WaitForAsync(10);
        Assert.False(woken.IsCompleted);
        queue.Wake();
        await woken.WaitAsync(TimeSpan.FromSeconds(10));

        queue.Wake(); // no waiter: remembered for the next wait
        Assert.True(queue.WaitForAsync(50).IsCompleted);
    }

    [Fact]
    public async Task Rows_accepted_but_never_committed_are_counted_as_unwritten_when_the_writer_stops()
    {
        var writer = new TimeSeriesWriter("Host=127.0.0.1;Port=1;Database=none;Username=none", new TimeSeriesOptions(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<TimeSeriesWriter>.Instance);
        for (var i = 0; i < 5; i++)
            Assert.True(writer.TryAdd(new TradeRow("binance", "BTCUSDT", i, 1, 1, false, 1_700_000_000_000 + i, DateTime.UtcNow)));
        await writer.DisposeAsync(); // never started: nothing could be written
        Assert.Equal(5, writer.Counters.Trades.Unwritten);
        Assert.False(writer.TryAdd(new TradeRow("binance", "BTCUSDT", 9, 1, 1, false, 1_700_000_000_009, DateTime.UtcNow)));
        Assert.Equal(1, writer.Counters.Trades.Dropped);
    }
}
