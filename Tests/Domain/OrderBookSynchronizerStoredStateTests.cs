using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Tests.Domain;

/// <summary>Book states replayed from storage (<c>--replay-db</c>): each one is the whole book, with no diffs between.</summary>
public class OrderBookSynchronizerStoredStateTests
{
    private static PriceLevel L(decimal price, decimal qty) => new(FixedPoint.FromDecimal(price), FixedPoint.FromDecimal(qty));

    private static DepthSnapshot State(long id, long time, PriceLevel[] bids, PriceLevel[] asks) => new()
    {
        LastUpdateId = id, StateTime = time, Bids = bids, Asks = asks, ReceivedAt = DateTime.UnixEpoch.AddMilliseconds(time),
    };

    [Fact]
    public void A_stored_state_syncs_the_book_at_once_and_the_next_one_replaces_it()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnSnapshot(State(100, 1_000, [L(99, 1), L(98, 2)], [L(101, 1)]));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(100, sync.Book.LastUpdateId);
        Assert.Equal(1_000, sync.LastEventTime);

        sync.OnSnapshot(State(150, 11_000, [L(97, 3)], [L(100, 2), L(102, 1)]));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.True(sync.Book.TryGetBestBid(out var bid) && bid == L(97, 3));
        Assert.Equal(1, sync.Book.BidCount);
        Assert.Equal(2, sync.Counters.SnapshotsApplied);
    }

    [Fact]
    public void An_older_state_is_refused_and_a_crossed_one_leaves_the_book_resyncing_until_a_good_one()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnSnapshot(State(100, 1_000, [L(99, 1)], [L(101, 1)]));
        sync.OnSnapshot(State(90, 2_000, [L(50, 1)], [L(51, 1)]));
        Assert.Equal(100, sync.Book.LastUpdateId);
        Assert.Equal(1, sync.Counters.SnapshotsRejected);

        sync.OnSnapshot(State(110, 3_000, [L(102, 1)], [L(101, 1)]));
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.Contains("crossed", sync.StatusReason, StringComparison.Ordinal);
        Assert.Equal(0, sync.Book.BidCount);

        sync.OnSnapshot(State(120, 4_000, [L(99, 1)], [L(101, 1)]));
        Assert.Equal(BookStatus.Synced, sync.Status);
    }
}
