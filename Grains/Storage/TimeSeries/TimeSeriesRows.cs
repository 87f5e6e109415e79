using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.ModelOutputs;
using MarketData.Streams;

namespace MarketData.Storage.TimeSeries;

/// <summary>The table names of the time-series store.</summary>
public static class TimeSeriesTables
{
    public const string Trades = "trades";
    public const string Candles = "candles";
    public const string CobSeconds = "cob_seconds";
    public const string BookSnapshots = "book_snapshots";
    public const string ModelOutputs = "model_outputs";

    public static IReadOnlyList<string> All { get; } = [Trades, Candles, CobSeconds, BookSnapshots, ModelOutputs];
}

/// <summary>One trade. Price and quantity fixed point 10^8; <see cref="TradeTime"/> Unix ms (exchange time).</summary>
public readonly record struct TradeRow(string Exchange, string Symbol, long TradeId, long Price, long Quantity, bool BuyerIsMaker, long TradeTime, DateTime ReceivedAt);

/// <summary>One candle of one timeframe; a later row with the same open time replaces it (repair, close).</summary>
public readonly record struct CandleRow(string Exchange, string Symbol, Timeframe Timeframe, Candle Candle);

/// <summary>One second of the aggregated order book (or a gap second).</summary>
public sealed record CobRow(string Exchange, string Symbol, CobSecond Second);

/// <summary>A periodic full order-book snapshot. Levels best first, fixed point 10^8; <see cref="Time"/> Unix ms.</summary>
public sealed record BookSnapshotRow(string Exchange, string Symbol, long Time, long LastUpdateId, PriceLevel[] Bids, PriceLevel[] Asks)
{
    /// <summary>The verified range the book reported (<see cref="long.MinValue"/> / <see cref="long.MaxValue"/>: the whole side); null in rows stored before it was kept.</summary>
    public long? VerifiedBidFloor { get; init; }
    public long? VerifiedAskCeiling { get; init; }
}

/// <summary>One model output for one instrument.</summary>
public sealed record ModelOutputRow(string Exchange, string Symbol, ModelOutput Output);

/// <summary>
/// Where producers hand rows to the store. Never blocks and never throws for a full buffer: false means the row was
/// refused (the table's queue is at its bound) and was counted as dropped.
/// </summary>
public interface ITimeSeriesSink
{
    bool TryAdd(in TradeRow row);
    bool TryAdd(in CandleRow row);
    bool TryAdd(CobRow row);
    bool TryAdd(BookSnapshotRow row);
    bool TryAdd(ModelOutputRow row);
}
