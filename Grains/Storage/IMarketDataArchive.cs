using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Streams;

namespace MarketData.Storage;

/// <summary>
/// Where grains hand the time series that outlive them (PostgreSQL when <c>ConnectionStrings:Postgres</c> is set; absent
/// otherwise). Never blocks a grain: each call queues the row and returns false when the bounded queue is full, which the
/// archive counts as a drop.
/// </summary>
public interface IMarketDataArchive
{
    bool TryAddTrade(Instrument instrument, TradeEvent trade);

    /// <summary>A closed candle, or a repaired one that replaces the stored candle of the same open time.</summary>
    bool TryAddCandle(Instrument instrument, Timeframe timeframe, in Candle candle);

    bool TryAddCob(Instrument instrument, CobSecond second);

    /// <summary>
    /// The book as it stood at <paramref name="time"/> (exchange time, Unix ms), best levels first, every level held up to
    /// the stored depth, with the price range the book vouched for then (levels beyond it are exact but may have holes).
    /// </summary>
    bool TryAddBookSnapshot(Instrument instrument, long time, long lastUpdateId, PriceLevel[] bids, PriceLevel[] asks, Domain.Books.VerifiedRange verified);

    bool TryAddModelOutput(Instrument instrument, ModelOutput output);
}

/// <summary>Closed candles kept in storage, so a candle cache restarts from them and fetches only the missing tail.</summary>
public interface ICandleHistory
{
    /// <summary>The latest <paramref name="limit"/> closed candles, oldest first.</summary>
    Task<Candle[]> LatestClosedAsync(Instrument instrument, Timeframe timeframe, int limit, CancellationToken cancellationToken);
}

/// <summary>How the book grains sample periodic book snapshots for the archive; section <c>TimeSeries</c>.</summary>
public sealed class BookArchiveOptions
{
    /// <summary>A synced book is stored every this often (0: never).</summary>
    public TimeSpan BookSnapshotInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Levels a side in a stored book snapshot.</summary>
    public int BookSnapshotDepth { get; set; } = 200;
}
