using System.Globalization;
using System.Text;

namespace MarketData.Storage.TimeSeries;

/// <summary>One column of a time-series table.</summary>
public sealed record TimeSeriesColumn(string Name, string Type, bool Nullable = false);

/// <summary>
/// The shape of one time-series table: its columns in COPY order, the time column it is partitioned (or chunked) by,
/// its primary key (always including the time column, which both native partitioning and hypertables require), and
/// how TimescaleDB compression groups and orders it (every key column is in one of the two, as compression wants).
/// </summary>
public sealed record TimeSeriesTable(
    string Name,
    string TimeColumn,
    IReadOnlyList<TimeSeriesColumn> Columns,
    IReadOnlyList<string> PrimaryKey,
    string SegmentBy,
    string OrderBy,
    bool UpsertOnConflict,
    bool MonthlyPartitions = false)
{
    /// <summary>Column names in COPY order, comma separated.</summary>
    public string ColumnList => string.Join(", ", Columns.Select(c => c.Name));

    public string PrimaryKeyList => string.Join(", ", PrimaryKey);

    /// <summary>The session-local staging table the writer COPYs into when a batch must be merged rather than appended.</summary>
    public string StagingName => "stage_" + Name;
}

/// <summary>
/// The SQL of the time-series store, generated as text so it can be tested without a server (the TimescaleDB path in
/// particular: the extension is not installed here). Conventions: prices, quantities and volumes are <c>bigint</c>
/// fixed point 10^8; times are <c>timestamptz</c> (UTC, millisecond values); identifiers (exchange, symbol, timeframe,
/// model) are <c>text COLLATE "C"</c> — byte order is cheaper to compare in the primary-key indexes and the same on every
/// server. Tables live in the connection's current schema.
/// </summary>
public static class TimeSeriesSchema
{
    private static TimeSeriesColumn C(string name, string type, bool nullable = false) => new(name, type, nullable);
    private const string Id = "text COLLATE \"C\"";

    public static TimeSeriesTable Trades { get; } = new(
        TimeSeriesTables.Trades, "trade_time",
        [C("exchange", Id), C("symbol", Id), C("trade_id", "bigint"), C("price", "bigint"), C("quantity", "bigint"),
         C("buyer_is_maker", "boolean"), C("trade_time", "timestamptz"), C("received_at", "timestamptz")],
        // Time first: inserts land at the right edge of the index and time-range reads (replay) walk it in order.
        ["trade_time", "exchange", "symbol", "trade_id"],
        "exchange, symbol", "trade_time DESC, trade_id", UpsertOnConflict: false);

    public static TimeSeriesTable Candles { get; } = new(
        TimeSeriesTables.Candles, "open_time",
        [C("exchange", Id), C("symbol", Id), C("timeframe", Id), C("open_time", "timestamptz"), C("close_time", "timestamptz"),
         C("open", "bigint"), C("high", "bigint"), C("low", "bigint"), C("close", "bigint"), C("volume", "bigint"),
         C("quote_volume", "bigint"), C("trade_count", "bigint"), C("taker_buy_volume", "bigint"), C("taker_buy_quote_volume", "bigint"),
         C("source", "smallint"), C("flags", "smallint")],
        ["exchange", "symbol", "timeframe", "open_time"],
        "exchange, symbol, timeframe", "open_time DESC", UpsertOnConflict: true,
        // Monthly: a 1d cache spans 1,500 days, and daily partitions made a restore plan and lock thousands of tables.
        MonthlyPartitions: true);

    public static TimeSeriesTable CobSeconds { get; } = new(
        TimeSeriesTables.CobSeconds, "second_time",
        [C("exchange", Id), C("symbol", Id), C("second_time", "timestamptz"), C("is_gap", "boolean"), C("gap_reason", "text", true),
         C("book_update_id", "bigint"), C("mid", "bigint"), C("bucket_size", "bigint"), C("range_low", "bigint"), C("range_high", "bigint"),
         C("imbalance", "double precision"), C("bid_vwap", "bigint"), C("ask_vwap", "bigint"), C("spread", "bigint"),
         C("bid_depth", "bigint"), C("ask_depth", "bigint"),
         C("buy_volume", "bigint"), C("sell_volume", "bigint"), C("trade_count", "integer"), C("vwap", "bigint"), C("quote_volume", "bigint"),
         C("imbalance_1s", "double precision", true), C("imbalance_5s", "double precision", true),
         C("imbalance_15s", "double precision", true), C("imbalance_60s", "double precision", true),
         C("buckets", "jsonb"), C("bucket_averages", "jsonb")],
        ["exchange", "symbol", "second_time"],
        "exchange, symbol", "second_time DESC", UpsertOnConflict: false);

    public static TimeSeriesTable BookSnapshots { get; } = new(
        TimeSeriesTables.BookSnapshots, "snapshot_time",
        [C("exchange", Id), C("symbol", Id), C("snapshot_time", "timestamptz"), C("last_update_id", "bigint"),
         C("bid_prices", "bigint[]"), C("bid_quantities", "bigint[]"), C("ask_prices", "bigint[]"), C("ask_quantities", "bigint[]"),
         C("verified_bid_floor", "bigint", true), C("verified_ask_ceiling", "bigint", true)],
        ["snapshot_time", "exchange", "symbol", "last_update_id"],
        "exchange, symbol", "snapshot_time DESC, last_update_id", UpsertOnConflict: false);

    public static TimeSeriesTable ModelOutputs { get; } = new(
        TimeSeriesTables.ModelOutputs, "output_time",
        [C("exchange", Id), C("symbol", Id), C("model_name", Id), C("model_type", "text"), C("output_time", "timestamptz"),
         C("sequence", "bigint"), C("confidence", "double precision"), C("predictions", "double precision[]"),
         C("hidden_state", "bytea", true), C("metadata", "jsonb"), C("received_at", "timestamptz")],
        ["exchange", "symbol", "model_name", "output_time", "sequence"],
        "exchange, symbol, model_name", "output_time DESC, sequence", UpsertOnConflict: false, MonthlyPartitions: true);

    public static IReadOnlyList<TimeSeriesTable> Tables { get; } = [Trades, Candles, CobSeconds, BookSnapshots, ModelOutputs];

    public static TimeSeriesTable Table(string name)
        => Tables.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new ArgumentException($"Unknown time-series table '{name}'.", nameof(name));

    /// <summary>
    /// CREATE TABLE IF NOT EXISTS for every table: partitioned by range of the time column (native), or plain tables
    /// that <see cref="TimescaleSetup"/> turns into hypertables. Idempotent.
    /// </summary>
    public static string CreateTables(bool timescale)
    {
        var sql = new StringBuilder();
        foreach (var table in Tables)
        {
            sql.Append("CREATE TABLE IF NOT EXISTS ").Append(table.Name).Append(" (\n");
            foreach (var column in table.Columns)
                sql.Append("    ").Append(column.Name).Append(' ').Append(column.Type).Append(column.Nullable ? " NULL" : " NOT NULL").Append(",\n");
            sql.Append("    PRIMARY KEY (").Append(table.PrimaryKeyList).Append(")\n)");
            if (!timescale) sql.Append(" PARTITION BY RANGE (").Append(table.TimeColumn).Append(')');
            sql.Append(";\n");
            // Nullable columns may have been added after a database was created: add them where missing (a no-op otherwise).
            foreach (var column in table.Columns.Where(c => c.Nullable))
                sql.Append("ALTER TABLE ").Append(table.Name).Append(" ADD COLUMN IF NOT EXISTS ").Append(column.Name).Append(' ').Append(column.Type).Append(" NULL;\n");
        }
        return sql.ToString();
    }

    /// <summary>The first day of the partition period holding <paramref name="day"/>: the day itself, or the first of its month for monthly tables.</summary>
    public static DateOnly PeriodStart(string table, DateOnly day) => Table(table).MonthlyPartitions ? new DateOnly(day.Year, day.Month, 1) : day;

    /// <summary>The first day after the partition period that starts at <paramref name="start"/>.</summary>
    public static DateOnly PeriodEnd(string table, DateOnly start) => Table(table).MonthlyPartitions ? start.AddMonths(1) : start.AddDays(1);

    /// <summary>The partition of <paramref name="table"/> for the period starting on <paramref name="day"/> (a UTC day or month): <c>{table}_pYYYYMMDD</c>.</summary>
    public static string PartitionName(string table, DateOnly day)
        => $"{Table(table).Name}_p{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    /// <summary>The day of a partition named by <see cref="PartitionName"/>; null for any other name.</summary>
    public static DateOnly? PartitionDay(string table, string partitionName)
    {
        var prefix = Table(table).Name + "_p";
        if (!partitionName.StartsWith(prefix, StringComparison.Ordinal) || partitionName.Length != prefix.Length + 8) return null;
        return DateOnly.TryParseExact(partitionName.AsSpan(prefix.Length), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day : null;
    }

    /// <summary>The partition holding <paramref name="day"/>: [day, next day) or, for monthly tables, [first of the month, first of the next). Idempotent.</summary>
    public static string CreatePartition(string table, DateOnly day)
    {
        var t = Table(table);
        var start = PeriodStart(t.Name, day);
        return $"CREATE TABLE IF NOT EXISTS {PartitionName(t.Name, start)} PARTITION OF {t.Name} " +
               $"FOR VALUES FROM ('{Timestamp(start)}') TO ('{Timestamp(PeriodEnd(t.Name, start))}')";
    }

    /// <summary>Lists the partitions of <paramref name="table"/> (one column: the partition's name).</summary>
    public static string ListPartitions(string table)
        => "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid " +
           $"WHERE i.inhparent = to_regclass('{Table(table).Name}') ORDER BY c.relname";

    /// <summary>
    /// DROP TABLE for each of <paramref name="partitions"/> (names as listed by <see cref="ListPartitions"/>) whose whole
    /// day lies before <paramref name="cutoff"/> (see <see cref="PartitionsBefore"/>).
    /// </summary>
    public static IReadOnlyList<string> DropPartitionsBefore(string table, IEnumerable<string> partitions, DateTimeOffset cutoff)
        => PartitionsBefore(table, partitions, cutoff).Select(DropPartition).ToList();

    /// <summary>
    /// The daily partitions among <paramref name="partitions"/> whose whole day lies before <paramref name="cutoff"/>, i.e.
    /// whose day is earlier than the cutoff's UTC day: a partition that still holds a time at or after the cutoff is kept.
    /// Names that are not daily partitions of the table are left alone.
    /// </summary>
    public static IReadOnlyList<string> PartitionsBefore(string table, IEnumerable<string> partitions, DateTimeOffset cutoff)
    {
        var cutoffDay = DateOnly.FromDateTime(cutoff.UtcDateTime);
        return partitions.Where(name => PartitionDay(table, name) is { } start && PeriodEnd(table, start) <= cutoffDay).ToList();
    }

    public static string DropPartition(string partition) => $"DROP TABLE IF EXISTS {partition}";

    /// <summary>
    /// The statements that make the tables hypertables with daily chunks, compression (after
    /// <see cref="TimeSeriesOptions.CompressAfter"/>) and retention (per table), in order. Policies are removed and added
    /// again so a changed setting takes effect; compression settings are only set on a hypertable that has none yet
    /// (changing them with compressed chunks present is refused by TimescaleDB). Run after <see cref="CreateTables"/>(true).
    /// </summary>
    public static IReadOnlyList<string> TimescaleSetup(TimeSeriesOptions o)
    {
        var statements = new List<string> { "CREATE EXTENSION IF NOT EXISTS timescaledb" };
        foreach (var table in Tables)
        {
            statements.Add($"SELECT create_hypertable('{table.Name}', '{table.TimeColumn}', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)");
            statements.Add(
                "DO $$ BEGIN\n" +
                $"  IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = '{table.Name}' AND compression_enabled) THEN\n" +
                $"    ALTER TABLE {table.Name} SET (timescaledb.compress, timescaledb.compress_segmentby = '{table.SegmentBy}', timescaledb.compress_orderby = '{table.OrderBy}');\n" +
                "  END IF;\nEND $$");
            statements.Add($"SELECT remove_compression_policy('{table.Name}', if_exists => TRUE)");
            statements.Add($"SELECT add_compression_policy('{table.Name}', compress_after => {Interval(o.CompressAfter)})");
            statements.Add($"SELECT remove_retention_policy('{table.Name}', if_exists => TRUE)");
            statements.Add($"SELECT add_retention_policy('{table.Name}', drop_after => {Interval(o.RetentionOf(table.Name))})");
        }
        return statements;
    }

    /// <summary>TimescaleDB's counterpart of dropping partitions: drops the chunks of <paramref name="table"/> entirely before <paramref name="cutoff"/>.</summary>
    public static string TimescaleDropChunks(string table, DateTimeOffset cutoff)
        => $"SELECT drop_chunks('{Table(table).Name}', older_than => TIMESTAMPTZ '{cutoff.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)}+00')";

    /// <summary>Whether TimescaleDB is installed in the database (one row, the version) — the first check of auto-detection.</summary>
    public const string TimescaleInstalled = "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'";

    /// <summary>Whether the server offers TimescaleDB (one row) — it can then be created, given it is preloaded.</summary>
    public const string TimescaleAvailable = "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'";

    /// <summary>The kind of the existing trades table: 'p' (natively partitioned), 'r' (plain, i.e. a hypertable), or no row.</summary>
    public const string TradesTableKind = "SELECT c.relkind::text FROM pg_class c WHERE c.oid = to_regclass('trades')";

    /// <summary>
    /// The session-local staging table of <paramref name="table"/>: same columns, emptied at every commit. A batch is
    /// COPYed into it and merged into the table with <see cref="MergeFromStaging"/>.
    /// </summary>
    public static string CreateStaging(TimeSeriesTable table)
        => $"CREATE TEMP TABLE IF NOT EXISTS {table.StagingName} (LIKE {table.Name}) ON COMMIT DELETE ROWS";

    /// <summary>
    /// Moves the staged rows into the table. Append-only tables skip rows already there (a batch retried after its commit
    /// was in doubt, a replay writing the same trades again); candles replace the stored row (a repaired candle wins).
    /// </summary>
    public static string MergeFromStaging(TimeSeriesTable table)
    {
        var insert = $"INSERT INTO {table.Name} ({table.ColumnList}) SELECT {table.ColumnList} FROM {table.StagingName} ON CONFLICT ({table.PrimaryKeyList}) ";
        if (!table.UpsertOnConflict) return insert + "DO NOTHING";
        var updates = table.Columns.Where(c => !table.PrimaryKey.Contains(c.Name)).Select(c => $"{c.Name} = EXCLUDED.{c.Name}");
        return insert + "DO UPDATE SET " + string.Join(", ", updates);
    }

    /// <summary>Binary COPY into <paramref name="target"/> (the table or its staging table) with the table's columns.</summary>
    public static string CopyInto(TimeSeriesTable table, string target)
        => $"COPY {target} ({table.ColumnList}) FROM STDIN (FORMAT BINARY)";

    private static string Timestamp(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00+00";

    /// <summary>An interval literal: whole days as days, anything else in seconds (exact).</summary>
    internal static string Interval(TimeSpan span)
        => span.Ticks % TimeSpan.TicksPerDay == 0
            ? $"INTERVAL '{(long)span.TotalDays} days'"
            : $"INTERVAL '{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} seconds'";
}
