using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Streams;
using static MarketData.Tests.Domain.OrderBookTests;

namespace MarketData.Tests.Domain;

public class OrderBookSynchronizerTests
{
    private static readonly DateTime T0 = new(2024, 8, 8, 0, 0, 0, DateTimeKind.Utc);

    private static DepthDiff D(long first, long final, PriceLevel[]? bids = null, PriceLevel[]? asks = null) => new()
    {
        ReceivedAt = T0.AddMilliseconds(final),
        FirstUpdateId = first,
        FinalUpdateId = final,
        EventTime = 1_000 + final,
        Bids = bids ?? [L(100, final)],
        Asks = asks ?? [L(101, final)],
    };

    private static DepthSnapshot S(long lastUpdateId, PriceLevel[]? bids = null, PriceLevel[]? asks = null) => new()
    {
        ReceivedAt = T0.AddMilliseconds(lastUpdateId),
        LastUpdateId = lastUpdateId,
        Bids = bids ?? [L(100, 1), L(99, 1)],
        Asks = asks ?? [L(101, 1), L(102, 1)],
    };

    /// <summary>A book synced at update 10 with bids 100/99 and asks 101/102.</summary>
    private static OrderBookSynchronizer Synced()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(8, 11, [], []));
        Assert.False(sync.OnSnapshot(S(10)).RequestSnapshot);
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(11, sync.Book.LastUpdateId);
        return sync;
    }

    [Fact]
    public void First_diff_asks_for_a_snapshot_once()
    {
        var sync = new OrderBookSynchronizer();
        Assert.Equal(BookStatus.Syncing, sync.Status);
        var first = sync.OnDiff(D(1, 5));
        Assert.True(first.RequestSnapshot);
        Assert.False(string.IsNullOrEmpty(first.Reason));
        Assert.Equal(SyncAction.None, sync.OnDiff(D(6, 10)));
        Assert.Equal(2, sync.BufferedDiffs);
        Assert.Equal(BookStatus.Syncing, sync.Status);
        Assert.Equal(0, sync.Book.BidCount);
        Assert.Equal(1, sync.Counters.SnapshotRequests);
    }

    [Fact]
    public void Snapshot_drops_stale_buffered_diffs_and_applies_the_bracketing_one()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(1, 5));
        sync.OnDiff(D(6, 10, [L(100, 0), L(98, 3)]));
        sync.OnDiff(D(11, 15, [L(99, 7)], [L(101, 0)]));
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(8)));

        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Null(sync.StatusReason);
        Assert.Equal(15, sync.Book.LastUpdateId);
        Assert.Equal(1, sync.Counters.DiffsDroppedStale);
        Assert.Equal(2, sync.Counters.DiffsApplied);
        Assert.Equal(1, sync.Counters.SnapshotsApplied);
        Assert.Equal(0, sync.BufferedDiffs);
        Assert.True(sync.Book.TryGetBestBid(out var bid));
        Assert.Equal(L(99, 7), bid);
        Assert.True(sync.Book.TryGetBestAsk(out var ask));
        Assert.Equal(L(102, 1), ask);
        Assert.Equal(S(8).ReceivedAt, sync.SyncedSince);
        Assert.Equal(1_015, sync.LastEventTime);
    }

    [Fact]
    public void First_event_with_U_equal_to_snapshot_id_plus_one_is_applied()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(11, 15));
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(10)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(15, sync.Book.LastUpdateId);
        Assert.Equal(0, sync.Counters.DiffsDroppedStale);
    }

    [Fact]
    public void First_event_whose_u_equals_snapshot_id_is_stale()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(5, 10));
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(10)));
        // Everything buffered is in the snapshot: the book is correct as of the snapshot already.
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(10, sync.Book.LastUpdateId);
        Assert.Equal(1, sync.Counters.DiffsDroppedStale);
        Assert.Equal(SyncAction.None, sync.OnDiff(D(11, 12)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(12, sync.Book.LastUpdateId);
    }

    [Fact]
    public void A_book_synced_on_a_snapshot_alone_still_demands_the_bridging_diff()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(5, 10));
        sync.OnSnapshot(S(10));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.True(sync.OnDiff(D(13, 14)).RequestSnapshot); // 11 and 12 never came
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.Equal(1, sync.Counters.Gaps);
    }

    [Fact]
    public void Snapshot_too_old_is_rejected_and_requested_again()
    {
        var sync = new OrderBookSynchronizer();
        Assert.True(sync.OnDiff(D(20, 25)).RequestSnapshot);
        var action = sync.OnSnapshot(S(18));
        Assert.True(action.RequestSnapshot);
        Assert.Contains("too old", action.Reason);
        Assert.Contains("too old", sync.StatusReason);
        Assert.Equal(BookStatus.Syncing, sync.Status);
        Assert.Equal(1, sync.Counters.SnapshotsRejected);
        Assert.Equal(0, sync.Book.BidCount);

        // lastUpdateId + 1 == first U is just recent enough.
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(19)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(25, sync.Book.LastUpdateId);
    }

    [Fact]
    public void Gap_inside_the_buffer_after_the_snapshot_asks_again()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(1, 5));
        sync.OnDiff(D(6, 10));
        sync.OnDiff(D(20, 25));
        var action = sync.OnSnapshot(S(12));
        Assert.True(action.RequestSnapshot);
        Assert.Contains("gap", action.Reason);
        Assert.Equal(1, sync.Counters.Gaps);
        Assert.Equal(BookStatus.Syncing, sync.Status);
        Assert.Equal(1, sync.BufferedDiffs);
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(22)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(25, sync.Book.LastUpdateId);
    }

    [Fact]
    public void Live_stale_diffs_are_dropped_and_counted()
    {
        var sync = Synced();
        Assert.Equal(SyncAction.None, sync.OnDiff(D(5, 11, [L(100, 0)])));
        Assert.Equal(SyncAction.None, sync.OnDiff(D(3, 9, [L(100, 0)])));
        Assert.Equal(2, sync.Counters.DiffsDroppedStale);
        Assert.Equal(11, sync.Book.LastUpdateId);
        Assert.True(sync.Book.TryGetBestBid(out var bid));
        Assert.Equal(L(100, 1), bid);
        Assert.Equal(BookStatus.Synced, sync.Status);
    }

    [Fact]
    public void Overlapping_diff_is_applied()
    {
        var sync = Synced();
        Assert.Equal(SyncAction.None, sync.OnDiff(D(10, 14)));
        Assert.Equal(14, sync.Book.LastUpdateId);
        Assert.Equal(BookStatus.Synced, sync.Status);
    }

    [Fact]
    public void Gap_discards_the_book_and_resyncs_from_the_next_snapshot()
    {
        var sync = Synced();
        var action = sync.OnDiff(D(13, 20, [L(100, 0), L(99.5m, 1)]));
        Assert.True(action.RequestSnapshot);
        Assert.Contains("gap", action.Reason);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.Contains("gap", sync.StatusReason);
        Assert.Equal(1, sync.Counters.Gaps);
        Assert.Equal(1, sync.Counters.Resyncs);
        Assert.Equal(0, sync.Book.BidCount);
        Assert.Null(sync.SyncedSince);
        Assert.Equal(1, sync.BufferedDiffs);

        // While the snapshot is outstanding, more diffs do not repeat the request.
        Assert.Equal(SyncAction.None, sync.OnDiff(D(21, 22)));
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(15)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(22, sync.Book.LastUpdateId);
        Assert.True(sync.Book.TryGetBestBid(out var bid));
        Assert.Equal(L(100, 22), bid); // from the last diff's default levels
    }

    [Fact]
    public void Gap_while_draining_the_buffer_keeps_the_rest_buffered()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(6, 10));
        sync.OnDiff(D(11, 15));
        sync.OnDiff(D(20, 25));
        sync.OnDiff(D(26, 30));
        var action = sync.OnSnapshot(S(8));
        Assert.True(action.RequestSnapshot);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.Equal(2, sync.Counters.DiffsApplied);
        Assert.Equal(2, sync.BufferedDiffs);
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(21)));
        Assert.Equal(30, sync.Book.LastUpdateId);
        Assert.Equal(BookStatus.Synced, sync.Status);
    }

    [Fact]
    public void Crossed_book_resyncs()
    {
        var sync = Synced();
        var action = sync.OnDiff(D(12, 12, [L(101.5m, 1)], []));
        Assert.True(action.RequestSnapshot);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.StartsWith("crossed book", sync.StatusReason);
        Assert.Equal(1, sync.Counters.CrossedBooks);
        Assert.Equal(0, sync.Book.BidCount);
        Assert.Equal(0, sync.BufferedDiffs);
    }

    [Fact]
    public void Crossed_snapshot_is_rejected()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(10, 12));
        var action = sync.OnSnapshot(S(10, [L(105, 1)], [L(101, 1)]));
        Assert.True(action.RequestSnapshot);
        Assert.Contains("crossed", action.Reason);
        Assert.Equal(1, sync.Counters.CrossedBooks);
        Assert.Equal(0, sync.Book.BidCount);
    }

    [Fact]
    public void Bad_level_resyncs_without_touching_levels_first()
    {
        var sync = Synced();
        var action = sync.OnDiff(12, 13, 0, [L(99, 0)], [new PriceLevel(101_00000000, -1)], T0);
        Assert.True(action.RequestSnapshot);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.StartsWith("bad level", sync.StatusReason);
        Assert.Contains("asks[0]: negative quantity", sync.StatusReason);
        Assert.Equal(1, sync.Counters.BadLevels);
        Assert.Equal(1, sync.Counters.Resyncs);
    }

    [Fact]
    public void Quantity_zero_removes_a_level_and_absent_levels_are_ignored()
    {
        var sync = Synced();
        Assert.Equal(SyncAction.None, sync.OnDiff(D(12, 12, [L(100, 0), L(42, 0)], [L(500, 0)])));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(1, sync.Book.BidCount);
        Assert.Equal(2, sync.Book.AskCount);
        Assert.True(sync.Book.TryGetBestBid(out var bid));
        Assert.Equal(L(99, 1), bid);
    }

    [Fact]
    public void Buffer_overflow_drops_the_oldest_and_counts()
    {
        var sync = new OrderBookSynchronizer(maxBufferedDiffs: 3);
        for (var i = 0; i < 5; i++) sync.OnDiff(D(i * 10 + 1, i * 10 + 10));
        Assert.Equal(3, sync.BufferedDiffs);
        Assert.Equal(2, sync.Counters.BufferOverflows);
        // A snapshot that only the dropped diffs could have bridged is now too old.
        var action = sync.OnSnapshot(S(15));
        Assert.True(action.RequestSnapshot);
        Assert.Contains("too old", action.Reason);
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(35)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(50, sync.Book.LastUpdateId);
    }

    [Fact]
    public void Mark_stale_keeps_levels_and_a_contiguous_diff_recovers()
    {
        var sync = Synced();
        sync.MarkStale("feed interrupted: connection lost");
        Assert.Equal(BookStatus.Stale, sync.Status);
        Assert.Equal("feed interrupted: connection lost", sync.StatusReason);
        Assert.Equal(2, sync.Book.BidCount);
        Assert.Null(sync.SyncedSince);

        Assert.Equal(SyncAction.None, sync.OnDiff(D(12, 14)));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Null(sync.StatusReason);
        Assert.Equal(D(12, 14).ReceivedAt, sync.SyncedSince);
    }

    [Fact]
    public void Mark_stale_then_gap_resyncs()
    {
        var sync = Synced();
        sync.MarkStale("silent");
        Assert.True(sync.OnDiff(D(30, 31)).RequestSnapshot);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.Equal(0, sync.Book.BidCount);
    }

    [Fact]
    public void Mark_stale_does_nothing_while_syncing()
    {
        var sync = new OrderBookSynchronizer();
        sync.MarkStale("whatever");
        Assert.Equal(BookStatus.Syncing, sync.Status);
    }

    [Fact]
    public void Snapshot_before_any_diff_is_kept_until_diffs_arrive()
    {
        var sync = new OrderBookSynchronizer();
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(10)));
        Assert.Equal(BookStatus.Syncing, sync.Status);
        Assert.Equal(SyncAction.None, sync.OnDiff(D(5, 9)));   // already in the snapshot: the stream is open, the snapshot covers it
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(10, sync.Book.LastUpdateId);
        Assert.Equal(SyncAction.None, sync.OnDiff(D(9, 12)));  // brackets 11
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(12, sync.Book.LastUpdateId);
        Assert.Equal(1, sync.Counters.DiffsDroppedStale);
    }

    [Fact]
    public void Pending_snapshot_older_than_the_first_diff_is_requested_again()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnSnapshot(S(10));
        var action = sync.OnDiff(D(15, 20));
        Assert.True(action.RequestSnapshot);
        Assert.Contains("too old", action.Reason);
        Assert.Equal(BookStatus.Syncing, sync.Status);
    }

    [Fact]
    public void Snapshot_while_synced_is_ignored()
    {
        var sync = Synced();
        Assert.Equal(SyncAction.None, sync.OnSnapshot(S(5, [L(1, 1)], [L(2, 1)])));
        Assert.Equal(1, sync.Counters.SnapshotsRejected);
        Assert.Equal(11, sync.Book.LastUpdateId);
        Assert.Equal(2, sync.Book.BidCount);
    }

    [Fact]
    public void Failed_snapshot_request_lets_the_next_diff_ask_again()
    {
        var sync = new OrderBookSynchronizer();
        Assert.True(sync.OnDiff(D(1, 2)).RequestSnapshot);
        Assert.False(sync.OnDiff(D(3, 4)).RequestSnapshot);
        sync.OnSnapshotRequestFailed();
        Assert.True(sync.OnDiff(D(5, 6)).RequestSnapshot);
    }

    [Fact]
    public void Diff_with_U_above_u_is_counted_and_not_applied()
    {
        var sync = Synced();
        Assert.True(sync.OnDiff(12, 11, 0, [], [], T0).RequestSnapshot);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.Equal(1, sync.Counters.BadLevels);
    }

    [Fact]
    public void Span_path_does_not_allocate_while_synced()
    {
        var sync = Synced();
        PriceLevel[] bids = [L(99.5m, 1), L(99.5m, 0)];
        PriceLevel[] asks = [L(101.5m, 2), L(101.5m, 0)];
        var id = 12L;
        for (var i = 0; i < 100; i++, id++) sync.OnDiff(id, id, 0, bids, asks, T0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++, id++) sync.OnDiff(id, id, 0, bids, asks, T0);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(BookStatus.Synced, sync.Status);
    }
}
