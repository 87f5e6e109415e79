using System.Runtime.CompilerServices;
using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.ModelOutputs;
using MarketData.Streams;
using Npgsql;
using NpgsqlTypes;

namespace MarketData.Storage.TimeSeries;

/// <summary>
/// Queries over the time-series tables (pooled connections). Times in and out are Unix ms; ranges are half-open
/// [from, to). Range reads stream rows as the server sends them, so a day of trades never sits in memory at once.
/// </summary>
public sealed class TimeSeriesReader
{
    private const string CandleColumns = "open_time, close_time, open, high, low, close, volume, quote_volume, trade_count, taker_buy_volume, taker_buy_quote_volume, source, flags";
    private readonly string _connectionString;

    public TimeSeriesReader(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _connectionString = connectionString;
    }

    /// <summary>
    /// The latest <paramref name="limit"/> candles of one series, oldest first. With <paramref name="closedBy"/> (Unix ms):
    /// only closed candles whose close time is at or before it (what was known then); without: the latest stored,
    /// including a forming one.
    /// </summary>
    public async Task<Candle[]> LatestCandlesAsync(string exchange, string symbol, Timeframe tf, int limit, long? closedBy = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0) return [];
        // As of a time, a lower bound on the partition key lets the planner prune to the partitions `limit` candles (twice
        // over, for gaps) can reach, instead of planning and locking every partition the table has.
        long? since = closedBy is { } until ? until - (long)Math.Min(2.0 * limit + 1, 1e12 / tf.Milliseconds) * tf.Milliseconds : null;
        var sql = $"SELECT {CandleColumns} FROM candles WHERE exchange = @exchange AND symbol = @symbol AND timeframe = @timeframe" +
                  (since is null ? "" : " AND open_time >= @since") +
                  (closedBy is null ? "" : $" AND open_time <= @closed_by AND close_time <= @closed_by AND (flags & {(int)CandleFlags.Closed}) <> 0") +
                  " ORDER BY open_time DESC LIMIT @limit";
        await using var query = await QueryAsync(sql, p =>
        {
            p.AddWithValue("exchange", exchange);
            p.AddWithValue("symbol", symbol);
            p.AddWithValue("timeframe", tf.Name);
            p.AddWithValue("limit", limit);
            if (since is { } from) p.Add(Time("since", from));
            if (closedBy is { } by) p.Add(Time("closed_by", by));
        }, ct);
        var candles = new List<Candle>(Math.Min(limit, 4096));
        while (await query.Reader.ReadAsync(ct)) candles.Add(ReadCandle(query.Reader));
        candles.Reverse();
        return [.. candles];
    }

    /// <summary>Candles of one series with open time in [<paramref name="fromMs"/>, <paramref name="toMs"/>), oldest first (a backfill's view of what is stored).</summary>
    public async Task<Candle[]> CandlesAsync(string exchange, string symbol, Timeframe tf, long fromMs, long toMs, CancellationToken ct = default)
    {
        const string sql = $"SELECT {CandleColumns} FROM candles WHERE exchange = @exchange AND symbol = @symbol AND timeframe = @timeframe " +
                           "AND open_time >= @from AND open_time < @to ORDER BY open_time";
        await using var query = await QueryAsync(sql, p =>
        {
            p.AddWithValue("exchange", exchange);
            p.AddWithValue("symbol", symbol);
            p.AddWithValue("timeframe", tf.Name);
            p.Add(Time("from", fromMs));
            p.Add(Time("to", toMs));
        }, ct);
        var candles = new List<Candle>();
        while (await query.Reader.ReadAsync(ct)) candles.Add(ReadCandle(query.Reader));
        return [.. candles];
    }

    /// <summary>Trades of every instrument with trade time in [<paramref name="fromMs"/>, <paramref name="toMs"/>), in time order (ties by exchange, symbol, trade id).</summary>
    public async IAsyncEnumerable<TradeRow> TradesAsync(long fromMs, long toMs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        const string sql = "SELECT exchange, symbol, trade_id, price, quantity, buyer_is_maker, trade_time, received_at FROM trades " +
                           "WHERE trade_time >= @from AND trade_time < @to ORDER BY trade_time, exchange, symbol, trade_id";
        await using var query = await QueryAsync(sql, p =>
        {
            p.Add(Time("from", fromMs));
            p.Add(Time("to", toMs));
        }, ct);
        var reader = query.Reader;
        while (await reader.ReadAsync(ct))
            yield return new TradeRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.GetBoolean(5), UnixTime.ToMs(reader.GetDateTime(6)), reader.GetDateTime(7));
    }

    /// <summary>Book snapshots of every instrument with time in [<paramref name="fromMs"/>, <paramref name="toMs"/>), in time order.</summary>
    public async IAsyncEnumerable<BookSnapshotRow> BookSnapshotsAsync(long fromMs, long toMs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        const string sql = "SELECT exchange, symbol, snapshot_time, last_update_id, bid_prices, bid_quantities, ask_prices, ask_quantities, verified_bid_floor, verified_ask_ceiling FROM book_snapshots " +
                           "WHERE snapshot_time >= @from AND snapshot_time < @to ORDER BY snapshot_time, exchange, symbol, last_update_id";
        await using var query = await QueryAsync(sql, p =>
        {
            p.Add(Time("from", fromMs));
            p.Add(Time("to", toMs));
        }, ct);
        var reader = query.Reader;
        while (await reader.ReadAsync(ct))
            yield return new BookSnapshotRow(reader.GetString(0), reader.GetString(1), UnixTime.ToMs(reader.GetDateTime(2)), reader.GetInt64(3),
                Levels(reader.GetFieldValue<long[]>(4), reader.GetFieldValue<long[]>(5)),
                Levels(reader.GetFieldValue<long[]>(6), reader.GetFieldValue<long[]>(7)))
            {
                VerifiedBidFloor = reader.IsDBNull(8) ? null : reader.GetInt64(8),
                VerifiedAskCeiling = reader.IsDBNull(9) ? null : reader.GetInt64(9),
            };
    }

    /// <summary>Per-second book aggregates of one instrument with time in [<paramref name="fromMs"/>, <paramref name="toMs"/>), in time order.</summary>
    public async IAsyncEnumerable<CobRow> CobSecondsAsync(string exchange, string symbol, long fromMs, long toMs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var table = TimeSeriesSchema.CobSeconds;
        var sql = $"SELECT {table.ColumnList} FROM cob_seconds WHERE exchange = @exchange AND symbol = @symbol " +
                  "AND second_time >= @from AND second_time < @to ORDER BY second_time";
        await using var query = await QueryAsync(sql, p =>
        {
            p.AddWithValue("exchange", exchange);
            p.AddWithValue("symbol", symbol);
            p.Add(Time("from", fromMs));
            p.Add(Time("to", toMs));
        }, ct);
        var reader = query.Reader;
        while (await reader.ReadAsync(ct))
        {
            var second = new CobSecond
            {
                Time = UnixTime.ToMs(reader.GetDateTime(2)),
                IsGap = reader.GetBoolean(3),
                GapReason = reader.IsDBNull(4) ? null : reader.GetString(4),
                BookUpdateId = reader.GetInt64(5),
                Mid = reader.GetInt64(6),
                BucketSize = reader.GetInt64(7),
                RangeLow = reader.GetInt64(8),
                RangeHigh = reader.GetInt64(9),
                Imbalance = reader.GetDouble(10),
                BidVwap = reader.GetInt64(11),
                AskVwap = reader.GetInt64(12),
                Spread = reader.GetInt64(13),
                BidDepth = reader.GetInt64(14),
                AskDepth = reader.GetInt64(15),
                Flow = new TradeFlow(reader.GetInt64(16), reader.GetInt64(17), reader.GetInt32(18), reader.GetInt64(19), reader.GetInt64(20)),
                Averages = new ImbalanceAverages(NullableDouble(reader, 21), NullableDouble(reader, 22), NullableDouble(reader, 23), NullableDouble(reader, 24)),
                Buckets = CobJson.ParseBuckets(reader.GetString(25)),
                BucketAverages = CobJson.ParseAverages(reader.GetString(26)),
            };
            yield return new CobRow(reader.GetString(0), reader.GetString(1), second);
        }
    }

    /// <summary>The latest <paramref name="limit"/> outputs of one model (by name) for one instrument, oldest first (by time, then sequence).</summary>
    public async Task<IReadOnlyList<ModelOutputRow>> ModelOutputsAsync(string exchange, string symbol, string model, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0) return [];
        const string sql = "SELECT exchange, symbol, model_name, model_type, output_time, sequence, confidence, predictions, hidden_state, metadata, received_at " +
                           "FROM model_outputs WHERE exchange = @exchange AND symbol = @symbol AND model_name = @model " +
                           "ORDER BY output_time DESC, sequence DESC LIMIT @limit";
        await using var query = await QueryAsync(sql, p =>
        {
            p.AddWithValue("exchange", exchange);
            p.AddWithValue("symbol", symbol);
            p.AddWithValue("model", model);
            p.AddWithValue("limit", limit);
        }, ct);
        var rows = new List<ModelOutputRow>();
        var reader = query.Reader;
        while (await reader.ReadAsync(ct))
        {
            var output = new ModelOutput
            {
                ModelName = reader.GetString(2),
                ModelType = reader.GetString(3),
                Time = UnixTime.ToMs(reader.GetDateTime(4)),
                Sequence = reader.GetInt64(5),
                Confidence = reader.GetDouble(6),
                Predictions = reader.GetFieldValue<double[]>(7),
                HiddenState = reader.IsDBNull(8) ? null : reader.GetFieldValue<byte[]>(8),
                Metadata = CobJson.ParseMetadata(reader.GetString(9)),
                ReceivedAt = reader.GetDateTime(10),
            };
            rows.Add(new ModelOutputRow(reader.GetString(0), reader.GetString(1), output));
        }
        rows.Reverse();
        return rows;
    }

    /// <summary>
    /// Runs a query and hands back its open reader. A pooled connection left broken by a server restart fails on first
    /// use: then the pool is cleared and the query runs once more on a fresh connection.
    /// </summary>
    private async Task<Query> QueryAsync(string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var connection = new NpgsqlConnection(_connectionString);
            NpgsqlCommand? command = null;
            try
            {
                await connection.OpenAsync(ct);
                command = new NpgsqlCommand(sql, connection);
                parameters(command.Parameters);
                var reader = await command.ExecuteReaderAsync(ct);
                return new Query(connection, command, reader);
            }
            catch (NpgsqlException e) when (attempt == 1 && e.IsTransient && !ct.IsCancellationRequested)
            {
                if (command is not null) await command.DisposeAsync();
                NpgsqlConnection.ClearPool(connection);
                await connection.DisposeAsync();
            }
            catch
            {
                if (command is not null) await command.DisposeAsync();
                await connection.DisposeAsync();
                throw;
            }
        }
    }

    private sealed class Query(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader) : IAsyncDisposable
    {
        public NpgsqlDataReader Reader { get; } = reader;

        public async ValueTask DisposeAsync()
        {
            await Reader.DisposeAsync();
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private static NpgsqlParameter Time(string name, long ms)
        => new(name, NpgsqlDbType.TimestampTz) { Value = UnixTime.ToUtc(Math.Clamp(ms, 0, UnixTime.MaxMs)) };

    private static Candle ReadCandle(NpgsqlDataReader r) => new()
    {
        OpenTime = UnixTime.ToMs(r.GetDateTime(0)),
        CloseTime = UnixTime.ToMs(r.GetDateTime(1)),
        Open = r.GetInt64(2),
        High = r.GetInt64(3),
        Low = r.GetInt64(4),
        Close = r.GetInt64(5),
        Volume = r.GetInt64(6),
        QuoteVolume = r.GetInt64(7),
        TradeCount = r.GetInt64(8),
        TakerBuyVolume = r.GetInt64(9),
        TakerBuyQuoteVolume = r.GetInt64(10),
        Source = (CandleSource)r.GetInt16(11),
        Flags = (CandleFlags)r.GetInt16(12),
    };

    private static PriceLevel[] Levels(long[] prices, long[] quantities)
    {
        var levels = new PriceLevel[prices.Length];
        for (var i = 0; i < levels.Length; i++) levels[i] = new PriceLevel(prices[i], quantities[i]);
        return levels;
    }

    private static double? NullableDouble(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
}
