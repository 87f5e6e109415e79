using System.Runtime.CompilerServices;
using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Recording;
using MarketData.Streams;

namespace MarketData.Storage.TimeSeries;

/// <summary>The PostgreSQL time-series store seen from the grains: rows go to the <see cref="TimeSeriesWriter"/>'s bounded queues.</summary>
public sealed class TimeSeriesArchive(TimeSeriesWriter writer) : IMarketDataArchive
{
    public bool TryAddTrade(Instrument instrument, TradeEvent trade)
        => writer.TryAdd(new TradeRow(instrument.Exchange, instrument.Symbol, trade.TradeId, trade.Price, trade.Quantity, trade.BuyerIsMaker, trade.TradeTime, trade.ReceivedAt));

    public bool TryAddCandle(Instrument instrument, Timeframe timeframe, in Candle candle)
        => writer.TryAdd(new CandleRow(instrument.Exchange, instrument.Symbol, timeframe, candle));

    public bool TryAddCob(Instrument instrument, CobSecond second) => writer.TryAdd(new CobRow(instrument.Exchange, instrument.Symbol, second));

    public bool TryAddBookSnapshot(Instrument instrument, long time, long lastUpdateId, PriceLevel[] bids, PriceLevel[] asks, Domain.Books.VerifiedRange verified)
        => writer.TryAdd(new BookSnapshotRow(instrument.Exchange, instrument.Symbol, time, lastUpdateId, bids, asks)
        {
            VerifiedBidFloor = verified.BidFloor,
            VerifiedAskCeiling = verified.AskCeiling,
        });

    public bool TryAddModelOutput(Instrument instrument, ModelOutput output) => writer.TryAdd(new ModelOutputRow(instrument.Exchange, instrument.Symbol, output));
}

/// <summary>The archive read back: candles for cache restores, trades and book snapshots in time order for <c>--replay-db</c>.</summary>
/// <param name="closedBy">Unix ms: restores see only candles closed by then (the start of a replay); null for the clock's now.</param>
public sealed class StoredMarketDataReader(TimeSeriesReader reader, TimeProvider time, long? closedBy = null) : ICandleHistory, IStoredMarketData
{
    public Task<Candle[]> LatestClosedAsync(Instrument instrument, Timeframe timeframe, int limit, CancellationToken cancellationToken)
        => reader.LatestCandlesAsync(instrument.Exchange, instrument.Symbol, timeframe, limit, closedBy ?? time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);

    /// <summary>Trades and book snapshots merged by time (a snapshot before a trade of the same millisecond).</summary>
    public async IAsyncEnumerable<StoredMarketEvent> ReadAsync(long fromMs, long toMs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var trades = reader.TradesAsync(fromMs, toMs, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using var books = reader.BookSnapshotsAsync(fromMs, toMs, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var hasTrade = await trades.MoveNextAsync();
        var hasBook = await books.MoveNextAsync();
        while (hasTrade || hasBook)
        {
            if (hasBook && (!hasTrade || books.Current.Time <= trades.Current.TradeTime))
            {
                var b = books.Current;
                yield return new StoredMarketEvent(new Instrument(b.Exchange, b.Symbol), b.Time, new DepthSnapshot
                {
                    LastUpdateId = b.LastUpdateId, Bids = b.Bids, Asks = b.Asks, StateTime = b.Time, Limit = Math.Max(b.Bids.Length, b.Asks.Length),
                    VerifiedBidFloor = b.VerifiedBidFloor ?? 0,
                    VerifiedAskCeiling = b.VerifiedAskCeiling ?? 0,
                    ReceivedAt = DateTime.UnixEpoch.AddMilliseconds(b.Time),
                });
                hasBook = await books.MoveNextAsync();
            }
            else
            {
                var t = trades.Current;
                yield return new StoredMarketEvent(new Instrument(t.Exchange, t.Symbol), t.TradeTime, new TradeEvent
                {
                    TradeId = t.TradeId, Price = t.Price, Quantity = t.Quantity, BuyerIsMaker = t.BuyerIsMaker, TradeTime = t.TradeTime, EventTime = t.TradeTime,
                    ReceivedAt = t.ReceivedAt,
                });
                hasTrade = await trades.MoveNextAsync();
            }
        }
    }
}
