using System.Buffers;
using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Actors;

/// <summary>Turns the fixed-point domain book into the decimal view callers see.</summary>
internal static class BookViews
{
    public static OrderBookView Create(Instrument instrument, OrderBookSynchronizer sync, int depth)
    {
        var book = sync.Book;
        // Syncing/resyncing books hold no trustworthy levels; stale ones keep theirs, labelled stale.
        var serveLevels = sync.Status is BookStatus.Synced or BookStatus.Stale;
        var bids = serveLevels ? Copy(book, depth, bids: true, sync.KnownBidFloor) : [];
        var asks = serveLevels ? Copy(book, depth, bids: false, sync.KnownAskCeiling) : [];
        return new OrderBookView
        {
            Exchange = instrument.Exchange,
            Symbol = instrument.Symbol,
            Status = sync.Status,
            StatusReason = sync.StatusReason,
            LastUpdateId = book.LastUpdateId,
            Bids = bids,
            Asks = asks,
            BestBid = bids.Length > 0 ? bids[0] : null,
            BestAsk = asks.Length > 0 ? asks[0] : null,
            UpdatedAt = EventTime(sync.LastEventTime),
            ReceivedAt = sync.LastReceivedAt,
        };
    }

    public static DateTime? EventTime(long unixMs)
        => unixMs > 0 ? DateTime.UnixEpoch.AddMilliseconds(unixMs) : null;

    /// <summary>Best levels first, stopping at the snapshot's bound: deeper levels may have holes.</summary>
    private static BookLevel[] Copy(OrderBook book, int depth, bool bids, long bound)
    {
        var count = Math.Min(depth, bids ? book.BidCount : book.AskCount);
        var buffer = ArrayPool<PriceLevel>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var written = bids ? book.CopyBids(buffer.AsSpan(0, count)) : book.CopyAsks(buffer.AsSpan(0, count));
            while (written > 0 && (bids ? buffer[written - 1].Price < bound : buffer[written - 1].Price > bound)) written--;
            var levels = new BookLevel[written];
            for (var i = 0; i < written; i++)
                levels[i] = new BookLevel(FixedPoint.ToDecimal(buffer[i].Price), FixedPoint.ToDecimal(buffer[i].Quantity));
            return levels;
        }
        finally
        {
            ArrayPool<PriceLevel>.Shared.Return(buffer);
        }
    }
}
