using MarketData.Actors;
using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Tests.Actors;

public class BookViewsTests
{
    private static readonly Instrument Btc = new("binance", "BTCUSDT");
    private static PriceLevel L(long price, long qty) => new(price * FixedPoint.Scale, qty * FixedPoint.Scale);

    /// <summary>Synced from a snapshot of three levels a side, taken with the given REST limit.</summary>
    private static OrderBookSynchronizer SyncedWithThreeLevelsASide(int limit = 3)
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(new DepthDiff { FirstUpdateId = 9, FinalUpdateId = 11, EventTime = 1, Bids = [], Asks = [] });
        sync.OnSnapshot(new DepthSnapshot { LastUpdateId = 10, Limit = limit, Bids = [L(100, 1), L(99, 1), L(98, 1)], Asks = [L(101, 1), L(102, 1), L(103, 1)] });
        Assert.Equal(BookStatus.Synced, sync.Status);
        return sync;
    }

    [Fact]
    public void Levels_beyond_a_cut_off_snapshot_are_served_and_counted_as_beyond_the_verified_range()
    {
        var sync = SyncedWithThreeLevelsASide(limit: 3);
        AddLevelsOutsideAndInside(sync);
        var view = BookViews.Create(Btc, sync, depth: 10);
        Assert.Equal([100m, 99m, 98.5m, 98m, 97m], view.Bids.Select(l => l.Price));
        Assert.Equal([101m, 102m, 103m, 104m], view.Asks.Select(l => l.Price));
        Assert.Equal(100m, view.BestBid!.Value.Price);
        Assert.Equal((98m, 103m), (view.VerifiedBidFloor, view.VerifiedAskCeiling));
        Assert.Equal((1, 1), (view.BidsBeyondVerified, view.AsksBeyondVerified));

        // A view shallower than the bound counts none beyond it.
        var top = BookViews.Create(Btc, sync, depth: 2);
        Assert.Equal((0, 0), (top.BidsBeyondVerified, top.AsksBeyondVerified));
        Assert.Equal(98m, top.VerifiedBidFloor);
    }

    [Theory]
    [InlineData(10)] // asked for 10, got 3: the snapshot held the whole book
    [InlineData(0)]  // limit unknown and fewer than 100 levels: taken as the whole book
    public void A_snapshot_shorter_than_its_limit_was_the_whole_book_so_deeper_levels_are_served(int limit)
    {
        var sync = SyncedWithThreeLevelsASide(limit);
        AddLevelsOutsideAndInside(sync);
        var view = BookViews.Create(Btc, sync, depth: 10);
        Assert.Equal([100m, 99m, 98.5m, 98m, 97m], view.Bids.Select(l => l.Price));
        Assert.Equal([101m, 102m, 103m, 104m], view.Asks.Select(l => l.Price));
        Assert.Null(view.VerifiedBidFloor);
        Assert.Null(view.VerifiedAskCeiling);
        Assert.Equal((0, 0), (view.BidsBeyondVerified, view.AsksBeyondVerified));
    }

    /// <summary>A diff adding levels outside the snapshot's range (97, 104) and inside it (98.5).</summary>
    private static void AddLevelsOutsideAndInside(OrderBookSynchronizer sync)
    {
        sync.OnDiff(new DepthDiff
        {
            FirstUpdateId = 12, FinalUpdateId = 12, EventTime = 2,
            Bids = [L(97, 5), new PriceLevel(9_850_000_000, FixedPoint.Scale)],
            Asks = [L(104, 5)],
        });
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(5, sync.Book.BidCount);
    }

    [Fact]
    public void Syncing_books_serve_no_levels_and_stale_ones_keep_theirs_labelled()
    {
        var syncing = new OrderBookSynchronizer();
        syncing.OnDiff(new DepthDiff { FirstUpdateId = 1, FinalUpdateId = 2, EventTime = 1, Bids = [L(100, 1)], Asks = [L(101, 1)] });
        var view = BookViews.Create(Btc, syncing, 10);
        Assert.Equal(BookStatus.Syncing, view.Status);
        Assert.Empty(view.Bids);
        Assert.Null(view.BestAsk);

        var stale = SyncedWithThreeLevelsASide();
        stale.MarkStale("connection lost");
        view = BookViews.Create(Btc, stale, 2);
        Assert.Equal(BookStatus.Stale, view.Status);
        Assert.Contains("connection lost", view.StatusReason, StringComparison.Ordinal);
        Assert.Equal(2, view.Bids.Count);
    }
}
