using MarketData.Streams;
using Npgsql;
using NpgsqlTypes;

namespace MarketData.Storage.TimeSeries;

/// <summary>
/// How rows of one type become rows of one table: the time that picks the partition, a check that rejects rows the
/// database could never take (so one bad row is refused alone instead of failing its batch forever), and the binary
/// COPY of the columns in <see cref="TimeSeriesTable.Columns"/> order.
/// </summary>
internal abstract class RowBinder<T>
{
    public abstract TimeSeriesTable Table { get; }

    /// <summary>Unix ms of the row's time column.</summary>
    public abstract long TimeOf(in T row);

    /// <summary>Why the row cannot be stored, or null.</summary>
    public virtual string? Invalid(in T row) => null;

    public abstract Task WriteAsync(NpgsqlBinaryImporter importer, T row, CancellationToken ct);

    /// <summary>
    /// Collapses rows that share a primary key within one batch where the merge could not (an upsert may touch a row
    /// only once per statement): the last one wins. Returns the new count; order of the survivors is irrelevant.
    /// </summary>
    public virtual int Collapse(T[] rows, int count) => count;

    protected static string? CheckIdentity(string? exchange, string? symbol)
        => string.IsNullOrEmpty(exchange) ? "exchange is empty" : string.IsNullOrEmpty(symbol) ? "symbol is empty" : null;

    protected static string? CheckTime(long ms, string what)
        => UnixTime.IsValid(ms) ? null : $"{what} {ms} is not a Unix millisecond time in years 1970..9999";
}

internal sealed class TradeBinder : RowBinder<TradeRow>
{
    public override TimeSeriesTable Table => TimeSeriesSchema.Trades;
    public override long TimeOf(in TradeRow row) => row.TradeTime;
    public override string? Invalid(in TradeRow row) => CheckIdentity(row.Exchange, row.Symbol) ?? CheckTime(row.TradeTime, "trade time");

    public override async Task WriteAsync(NpgsqlBinaryImporter importer, TradeRow row, CancellationToken ct)
    {
        await importer.WriteAsync(row.Exchange, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.TradeId, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(row.Price, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(row.Quantity, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(row.BuyerIsMaker, NpgsqlDbType.Boolean, ct);
        await importer.WriteAsync(UnixTime.ToUtc(row.TradeTime), NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(UnixTime.Utc(row.ReceivedAt), NpgsqlDbType.TimestampTz, ct);
    }
}

internal sealed class CandleBinder : RowBinder<CandleRow>
{
    public override TimeSeriesTable Table => TimeSeriesSchema.Candles;
    public override long TimeOf(in CandleRow row) => row.Candle.OpenTime;

    public override string? Invalid(in CandleRow row)
        => CheckIdentity(row.Exchange, row.Symbol)
           ?? (row.Timeframe.Name is null ? "timeframe is missing" : null)
           ?? CheckTime(row.Candle.OpenTime, "open time") ?? CheckTime(row.Candle.CloseTime, "close time");

    public override async Task WriteAsync(NpgsqlBinaryImporter importer, CandleRow row, CancellationToken ct)
    {
        var c = row.Candle;
        await importer.WriteAsync(row.Exchange, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.Timeframe.Name, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(UnixTime.ToUtc(c.OpenTime), NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(UnixTime.ToUtc(c.CloseTime), NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(c.Open, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.High, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.Low, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.Close, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.Volume, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.QuoteVolume, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.TradeCount, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.TakerBuyVolume, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(c.TakerBuyQuoteVolume, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync((short)c.Source, NpgsqlDbType.Smallint, ct);
        await importer.WriteAsync((short)c.Flags, NpgsqlDbType.Smallint, ct);
    }

    public override int Collapse(CandleRow[] rows, int count)
    {
        // Walk from the newest: the first row seen per key is the one to keep (a close or repair after updates).
        var seen = new HashSet<(string, string, string, long)>();
        var kept = new List<CandleRow>(count);
        for (var i = count - 1; i >= 0; i--)
            if (seen.Add((rows[i].Exchange, rows[i].Symbol, rows[i].Timeframe.Name, rows[i].Candle.OpenTime))) kept.Add(rows[i]);
        if (kept.Count == count) return count;
        kept.Reverse();
        kept.CopyTo(rows);
        Array.Clear(rows, kept.Count, count - kept.Count);
        return kept.Count;
    }
}

internal sealed class CobBinder : RowBinder<CobRow>
{
    public override TimeSeriesTable Table => TimeSeriesSchema.CobSeconds;
    public override long TimeOf(in CobRow row) => row.Second.Time;

    public override string? Invalid(in CobRow row)
        => row.Second is null ? "second is missing" : CheckIdentity(row.Exchange, row.Symbol) ?? CheckTime(row.Second.Time, "second");

    public override async Task WriteAsync(NpgsqlBinaryImporter importer, CobRow row, CancellationToken ct)
    {
        var s = row.Second;
        await importer.WriteAsync(row.Exchange, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(UnixTime.ToUtc(s.Time), NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(s.IsGap, NpgsqlDbType.Boolean, ct);
        if (s.GapReason is null) await importer.WriteNullAsync(ct);
        else await importer.WriteAsync(s.GapReason, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(s.BookUpdateId, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Mid, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.BucketSize, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.RangeLow, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.RangeHigh, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Imbalance, NpgsqlDbType.Double, ct);
        await importer.WriteAsync(s.BidVwap, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.AskVwap, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Spread, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.BidDepth, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.AskDepth, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Flow.BuyVolume, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Flow.SellVolume, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Flow.TradeCount, NpgsqlDbType.Integer, ct);
        await importer.WriteAsync(s.Flow.Vwap, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(s.Flow.QuoteVolume, NpgsqlDbType.Bigint, ct);
        await WriteNullable(importer, s.Averages.S1, ct);
        await WriteNullable(importer, s.Averages.S5, ct);
        await WriteNullable(importer, s.Averages.S15, ct);
        await WriteNullable(importer, s.Averages.S60, ct);
        await importer.WriteAsync(CobJson.Buckets(s.Buckets ?? []), NpgsqlDbType.Jsonb, ct);
        await importer.WriteAsync(CobJson.Averages(s.BucketAverages ?? []), NpgsqlDbType.Jsonb, ct);
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter importer, double? value, CancellationToken ct)
    {
        if (value is { } v) await importer.WriteAsync(v, NpgsqlDbType.Double, ct);
        else await importer.WriteNullAsync(ct);
    }
}

internal sealed class BookSnapshotBinder : RowBinder<BookSnapshotRow>
{
    public override TimeSeriesTable Table => TimeSeriesSchema.BookSnapshots;
    public override long TimeOf(in BookSnapshotRow row) => row.Time;

    public override string? Invalid(in BookSnapshotRow row)
        => CheckIdentity(row.Exchange, row.Symbol) ?? CheckTime(row.Time, "snapshot time")
           ?? (row.Bids is null || row.Asks is null ? "levels are missing" : null);

    public override async Task WriteAsync(NpgsqlBinaryImporter importer, BookSnapshotRow row, CancellationToken ct)
    {
        await importer.WriteAsync(row.Exchange, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(UnixTime.ToUtc(row.Time), NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(row.LastUpdateId, NpgsqlDbType.Bigint, ct);
        await WriteLevels(importer, row.Bids, ct);
        await WriteLevels(importer, row.Asks, ct);
        await WriteNullable(importer, row.VerifiedBidFloor, ct);
        await WriteNullable(importer, row.VerifiedAskCeiling, ct);
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter importer, long? value, CancellationToken ct)
    {
        if (value is { } v) await importer.WriteAsync(v, NpgsqlDbType.Bigint, ct);
        else await importer.WriteNullAsync(ct);
    }

    private static async Task WriteLevels(NpgsqlBinaryImporter importer, PriceLevel[] levels, CancellationToken ct)
    {
        var prices = new long[levels.Length];
        var quantities = new long[levels.Length];
        for (var i = 0; i < levels.Length; i++)
        {
            prices[i] = levels[i].Price;
            quantities[i] = levels[i].Quantity;
        }
        await importer.WriteAsync(prices, NpgsqlDbType.Array | NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(quantities, NpgsqlDbType.Array | NpgsqlDbType.Bigint, ct);
    }
}

internal sealed class ModelOutputBinder : RowBinder<ModelOutputRow>
{
    public override TimeSeriesTable Table => TimeSeriesSchema.ModelOutputs;
    public override long TimeOf(in ModelOutputRow row) => row.Output.Time;

    public override string? Invalid(in ModelOutputRow row)
        => row.Output is null ? "output is missing"
           : CheckIdentity(row.Exchange, row.Symbol) ?? CheckTime(row.Output.Time, "output time")
             ?? (string.IsNullOrEmpty(row.Output.ModelName) ? "model name is empty" : null)
             ?? (row.Output.Predictions is null ? "predictions are missing" : null);

    public override async Task WriteAsync(NpgsqlBinaryImporter importer, ModelOutputRow row, CancellationToken ct)
    {
        var o = row.Output;
        await importer.WriteAsync(row.Exchange, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(o.ModelName, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(o.ModelType ?? "", NpgsqlDbType.Text, ct);
        await importer.WriteAsync(UnixTime.ToUtc(o.Time), NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(o.Sequence, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(o.Confidence, NpgsqlDbType.Double, ct);
        await importer.WriteAsync(o.Predictions, NpgsqlDbType.Array | NpgsqlDbType.Double, ct);
        if (o.HiddenState is null) await importer.WriteNullAsync(ct);
        else await importer.WriteAsync(o.HiddenState, NpgsqlDbType.Bytea, ct);
        await importer.WriteAsync(CobJson.Metadata(o.Metadata ?? new Dictionary<string, string>()), NpgsqlDbType.Jsonb, ct);
        await importer.WriteAsync(UnixTime.Utc(o.ReceivedAt), NpgsqlDbType.TimestampTz, ct);
    }
}
