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
        var range = sync.Verified;
        // Syncing/resyncing books hold no trustworthy levels; stale ones keep theirs, labelled stale.
        var serveLevels = sync.Status is BookStatus.Synced or BookStatus.Stale;
        var (bids, bidsBeyond) = serveLevels ? Copy(book, depth, bids: true, range) : ([], 0);
        var (asks, asksBeyond) = serveLevels ? Copy(book, depth, bids: false, range) : ([], 0);
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
            VerifiedBidFloor = serveLevels && range.BidBounded ? FixedPoint.ToDecimal(range.BidFloor) : null,
            VerifiedAskCeiling = serveLevels && range.AskBounded ? FixedPoint.ToDecimal(range.AskCeiling) : null,
            BidsBeyondVerified = bidsBeyond,
            AsksBeyondVerified = asksBeyond,
            VerifiedAt = serveLevels ? sync.VerifiedAt : null,
        };
    }

    public static DateTime? EventTime(long unixMs)
        => unixMs > 0 ? DateTime.UnixEpoch.AddMilliseconds(unixMs) : null;

    /// <summary>The best <paramref name="depth"/> levels of a side, all of them, and how many of those lie beyond the verified range.</summary>
    private static (BookLevel[] Levels, int Beyond) Copy(OrderBook book, int depth, bool bids, VerifiedRange range)
    {
        var count = Math.Min(depth, bids ? book.BidCount : book.AskCount);
        var buffer = ArrayPool<PriceLevel>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var written = bids ? book.CopyBids(buffer.AsSpan(0, count)) : book.CopyAsks(buffer.AsSpan(0, count));
            var levels = new BookLevel[written];
            for (var i = 0; i < written; i++)
                levels[i] = new BookLevel(FixedPoint.ToDecimal(buffer[i].Price), FixedPoint.ToDecimal(buffer[i].Quantity));
            return (levels, range.CountBeyond(buffer.AsSpan(0, written), bids));
        }
        finally
        {
            ArrayPool<PriceLevel>.Shared.Return(buffer);
        }
    }
}
