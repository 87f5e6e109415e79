using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Heatmap;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;
using static MarketData.Tests.Domain.OrderBookTests;

namespace MarketData.Tests.Domain;

/// <summary>
/// Coverage tracking on hand-built books: the range a book's snapshots vouch for, the levels beyond it (served and
/// counted, never hidden), and coverage refreshes merged without leaving synced.
/// </summary>
public class BookCoverageTests
{
    private static readonly DateTime T0 = new(2024, 8, 8, 0, 0, 0, DateTimeKind.Utc);

    private static DepthDiff D(long first, long final, PriceLevel[]? bids = null, PriceLevel[]? asks = null) => new()
    {
        ReceivedAt = T0.AddMilliseconds(final),
        FirstUpdateId = first,
        FinalUpdateId = final,
        EventTime = 1_000 + final,
        Bids = bids ?? [],
        Asks = asks ?? [],
    };

    /// <summary>A snapshot asked with <paramref name="limit"/> levels a side (2 by default: these sides are cut off).</summary>
    private static DepthSnapshot S(long lastUpdateId, PriceLevel[] bids, PriceLevel[] asks, int limit = 2) => new()
    {
        ReceivedAt = T0.AddSeconds(lastUpdateId),
        LastUpdateId = lastUpdateId,
        Bids = bids,
        Asks = asks,
        Limit = limit,
    };

    private static long P(decimal price) => FixedPoint.FromDecimal(price);

    /// <summary>Synced at update 10 from a snapshot cut off at 2 levels: bids 100, 99; asks 101, 102. Verified 99..102.</summary>
    private static OrderBookSynchronizer Synced(int maxBufferedDiffs = 4096)
    {
        var sync = new OrderBookSynchronizer(maxBufferedDiffs);
        sync.OnDiff(D(9, 10));
        sync.OnSnapshot(S(10, [L(100, 1), L(99, 1)], [L(101, 1), L(102, 1)]));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(10, sync.Book.LastUpdateId);
        return sync;
    }

    private static (decimal Price, decimal Quantity)[] Bids(OrderBookSynchronizer sync)
    {
        var levels = new PriceLevel[sync.Book.BidCount];
        sync.Book.CopyBids(levels);
        return levels.Select(l => (FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity))).ToArray();
    }

    private static (decimal Price, decimal Quantity)[] Asks(OrderBookSynchronizer sync)
    {
        var levels = new PriceLevel[sync.Book.AskCount];
        sync.Book.CopyAsks(levels);
        return levels.Select(l => (FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity))).ToArray();
    }

    // ------------------------------------------------------------------ tracking

    [Fact]
    public void A_snapshot_cut_off_at_its_limit_vouches_down_to_its_worst_levels()
    {
        var sync = Synced();
        Assert.Equal(new VerifiedRange(P(99), P(102)), sync.Verified);
        Assert.Equal(T0.AddSeconds(10), sync.VerifiedAt);
    }

    [Fact]
    public void A_snapshot_side_shorter_than_its_limit_is_the_whole_side()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(9, 10));
        sync.OnSnapshot(S(10, [L(100, 1)], [L(101, 1), L(102, 1)], limit: 2));
        Assert.False(sync.Verified.BidBounded);
        Assert.Equal(P(102), sync.Verified.AskCeiling);
        Assert.Null(sync.Coverage().VerifiedBidFloor);
    }

    [Fact]
    public void Levels_a_diff_sets_beyond_the_range_are_held_served_and_counted()
    {
        var sync = Synced();
        sync.OnDiff(D(11, 11, [L(95, 2)], [L(110, 3)]));
        Assert.Equal([(100m, 1m), (99m, 1m), (95m, 2m)], Bids(sync));
        Assert.Equal([(101m, 1m), (102m, 1m), (110m, 3m)], Asks(sync));
        var coverage = sync.Coverage();
        Assert.Equal(P(99), coverage.VerifiedBidFloor);
        Assert.Equal(P(102), coverage.VerifiedAskCeiling);
        Assert.Equal(1, coverage.BidLevelsBeyond);
        Assert.Equal(1, coverage.AskLevelsBeyond);
        Assert.True(coverage.BidTouchVerified && coverage.AskTouchVerified);

        // A view of the best three counts the one beyond; a view of the best two counts none.
        var top = new PriceLevel[3];
        sync.Book.CopyBids(top);
        Assert.Equal(1, sync.Verified.CountBeyond(top, bids: true));
        Assert.Equal(0, sync.Verified.CountBeyond(top.AsSpan(0, 2), bids: true));
    }

    [Fact]
    public void Removing_the_level_at_the_edge_keeps_the_bound_where_the_snapshot_set_it()
    {
        var sync = Synced();
        sync.OnDiff(D(11, 11, [L(99, 0)], [L(102, 0)]));
        Assert.Equal([(100m, 1m)], Bids(sync));
        Assert.Equal(new VerifiedRange(P(99), P(102)), sync.Verified);
        Assert.Equal(0, sync.Coverage().BidLevelsBeyond);
    }

    [Fact]
    public void A_side_entirely_beyond_its_bound_is_still_served_and_its_touch_is_reported_unverified()
    {
        var sync = Synced();
        // The price falls through the floor: both verified bids go, two deeper ones arrive.
        sync.OnDiff(D(11, 11, [L(100, 0), L(99, 0), L(98, 4), L(97, 5)], [L(98.5m, 1)]));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal([(98m, 4m), (97m, 5m)], Bids(sync));
        var coverage = sync.Coverage();
        Assert.False(coverage.BidTouchVerified);
        Assert.True(coverage.AskTouchVerified);
        Assert.Equal(2, coverage.BidLevelsBeyond);
    }

    [Fact]
    public void A_resync_snapshot_sets_the_range_afresh()
    {
        var sync = Synced();
        sync.OnDiff(D(11, 11, [L(90, 1)]));
        sync.OnDiff(D(13, 14)); // gap: resync
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        sync.OnSnapshot(S(14, [L(95, 1), L(94, 1)], [L(96, 1), L(97, 1)]));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(new VerifiedRange(P(94), P(97)), sync.Verified);
    }

    [Fact]
    public void A_stored_state_carries_the_range_it_was_stored_with()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnSnapshot(new DepthSnapshot
        {
            ReceivedAt = T0, LastUpdateId = 5, StateTime = 1_000, Bids = [L(100, 1), L(90, 1)], Asks = [L(101, 1)],
            VerifiedBidFloor = P(95), VerifiedAskCeiling = long.MaxValue,
        });
        Assert.Equal(new VerifiedRange(P(95), long.MaxValue), sync.Verified);
        Assert.Equal(1, sync.Coverage().BidLevelsBeyond);

        // A row stored before ranges were kept vouches only for its own levels.
        sync.OnSnapshot(new DepthSnapshot { ReceivedAt = T0, LastUpdateId = 6, StateTime = 2_000, Bids = [L(100, 1), L(90, 1)], Asks = [L(101, 1)] });
        Assert.Equal(new VerifiedRange(P(90), P(101)), sync.Verified);
    }

    [Fact]
    public void A_stored_copy_cut_at_its_depth_vouches_only_down_to_its_last_stored_level()
    {
        var range = new VerifiedRange(P(95), P(106));
        PriceLevel[] bids = [L(100, 1), L(99, 1), L(98, 1)];
        PriceLevel[] asks = [L(101, 1), L(102, 1), L(107, 1)];
        // Bids cut at the depth while still inside the range: the floor moves up to the last stored bid. Asks reach past
        // the ceiling before the cut: the ceiling stands (the stored 107 is beyond it, as in the live book).
        Assert.Equal(new VerifiedRange(P(98), P(106)), range.Stored(bids, bidsCut: true, asks, asksCut: true));
        // Nothing cut: the book's own range.
        Assert.Equal(range, range.Stored(bids, bidsCut: false, asks, asksCut: false));
        // A whole side stored whole stays whole; cut, it ends at its last level.
        Assert.Equal(new VerifiedRange(P(98), long.MaxValue), VerifiedRange.Everything.Stored(bids, true, asks, false));
    }

    // ------------------------------------------------------------------ refresh

    [Fact]
    public void A_refresh_at_the_books_update_is_merged_fills_the_holes_and_widens_the_range()
    {
        var sync = Synced();
        sync.OnDiff(D(11, 11, [L(97, 2)])); // beyond the floor: 98 is a hole the book cannot know
        Assert.True(sync.BeginRefresh("test"));
        var action = sync.OnSnapshot(S(11, [L(100, 1), L(99, 1), L(98, 3), L(97, 2)], [L(101, 1), L(102, 1), L(103, 1), L(104, 1)], limit: 4));
        Assert.False(action.RequestSnapshot);
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal([(100m, 1m), (99m, 1m), (98m, 3m), (97m, 2m)], Bids(sync));
        Assert.Equal([(101m, 1m), (102m, 1m), (103m, 1m), (104m, 1m)], Asks(sync));
        Assert.Equal(new VerifiedRange(P(97), P(104)), sync.Verified);
        Assert.Equal(T0.AddSeconds(11), sync.VerifiedAt);
        var c = sync.Counters;
        Assert.Equal((1L, 1L, 0L, 3L, 0L), (c.RefreshRequests, c.RefreshesApplied, c.RefreshesDiscarded, c.RefreshFills, c.RefreshCorrections));
        Assert.False(sync.RefreshOutstanding);
        Assert.StartsWith("applied snapshot 11", sync.LastRefresh, StringComparison.Ordinal);
        Assert.Equal(11, sync.Book.LastUpdateId);
    }

    [Fact]
    public void A_refresh_older_than_the_book_is_bridged_with_the_diffs_applied_since_it_was_asked()
    {
        var sync = Synced();
        Assert.True(sync.BeginRefresh("test"));
        sync.OnDiff(D(11, 11, [L(100, 2)]));
        sync.OnDiff(D(12, 12, [L(100, 5), L(96, 1)])); // newer than the snapshot below: the book's 100 and 96 stand
        // The snapshot was taken at 11: it still has 100 at 2 and knows nothing of 96, but it reaches 98.
        sync.OnSnapshot(S(11, [L(100, 2), L(99, 1), L(98, 7), L(96, 9)], [L(101, 1), L(102, 1), L(103, 1)], limit: 4));
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal([(100m, 5m), (99m, 1m), (98m, 7m), (96m, 1m)], Bids(sync));
        Assert.Equal(12, sync.Book.LastUpdateId);
        Assert.Equal(1, sync.Counters.RefreshesApplied);
        // Asks: 3 levels < limit 4, the whole side; bids cut off at 96.
        Assert.Equal(new VerifiedRange(P(96), long.MaxValue), sync.Verified);
    }

    [Fact]
    public void A_refresh_ahead_of_the_book_waits_until_the_diffs_reach_it_and_the_book_stays_synced_meanwhile()
    {
        var sync = Synced();
        Assert.True(sync.BeginRefresh("test"));
        sync.OnSnapshot(S(12, [L(100, 3), L(99, 1), L(98, 8)], [L(101, 1), L(102, 1), L(103, 2)], limit: 3));
        Assert.True(sync.RefreshOutstanding);
        Assert.Equal([(100m, 1m), (99m, 1m)], Bids(sync)); // not merged: the book is at 10, the snapshot at 12
        sync.OnDiff(D(11, 11, [L(100, 2)]));
        Assert.Equal(0, sync.Counters.RefreshesApplied);
        sync.OnDiff(D(12, 13, [L(100, 3), L(99, 4)])); // bridges 12 and goes past it: its levels are newer
        Assert.Equal(1, sync.Counters.RefreshesApplied);
        Assert.Equal([(100m, 3m), (99m, 4m), (98m, 8m)], Bids(sync));
        Assert.Equal([(101m, 1m), (102m, 1m), (103m, 2m)], Asks(sync));
        Assert.Equal(BookStatus.Synced, sync.Status);
    }

    [Fact]
    public void A_refresh_snapshot_from_before_the_request_cannot_be_bridged_and_is_discarded_with_the_book_kept()
    {
        var sync = Synced();
        sync.OnDiff(D(11, 11, [L(100, 2)]));
        Assert.True(sync.BeginRefresh("test")); // recording starts at 11
        sync.OnSnapshot(S(10, [L(100, 9), L(99, 9)], [L(101, 9), L(102, 9)]));
        Assert.Equal([(100m, 2m), (99m, 1m)], Bids(sync));
        Assert.Equal((0L, 1L), (sync.Counters.RefreshesApplied, sync.Counters.RefreshesDiscarded));
        Assert.StartsWith("discarded", sync.LastRefresh, StringComparison.Ordinal);
        Assert.False(sync.RefreshOutstanding);
        Assert.Equal(BookStatus.Synced, sync.Status);
    }

    [Theory]
    [InlineData("negative")]
    [InlineData("duplicate")]
    public void An_invalid_refresh_snapshot_changes_nothing_and_is_counted(string fault)
    {
        var sync = Synced();
        Assert.True(sync.BeginRefresh("test"));
        PriceLevel[] bids = fault == "negative" ? [L(100, 1), L(98, -1)] : [L(100, 1), L(98, 1), L(98, 2)];
        sync.OnSnapshot(S(10, bids, [L(101, 1), L(102, 1)], limit: 2));
        Assert.Equal([(100m, 1m), (99m, 1m)], Bids(sync));
        Assert.Equal(1, sync.Counters.RefreshesDiscarded);
        Assert.Equal(0, sync.Counters.RefreshesApplied);
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(new VerifiedRange(P(99), P(102)), sync.Verified);
    }

    [Fact]
    public void A_refresh_that_finds_a_level_wrong_inside_the_verified_range_corrects_it_and_counts_a_correction()
    {
        var sync = Synced();
        Assert.True(sync.BeginRefresh("test"));
        sync.OnSnapshot(S(10, [L(100, 1), L(99, 6)], [L(101, 1), L(102, 1)]));
        Assert.Equal([(100m, 1m), (99m, 6m)], Bids(sync));
        Assert.Equal(1, sync.Counters.RefreshCorrections);
        Assert.Equal(0, sync.Counters.RefreshFills);
    }

    [Fact]
    public void A_gap_during_a_refresh_resyncs_and_the_refresh_is_discarded()
    {
        var sync = Synced();
        Assert.True(sync.BeginRefresh("test"));
        var action = sync.OnDiff(D(12, 12)); // 11 lost
        Assert.True(action.RequestSnapshot);
        Assert.Equal(BookStatus.Resyncing, sync.Status);
        Assert.False(sync.RefreshOutstanding);
        Assert.Equal(1, sync.Counters.RefreshesDiscarded);
        Assert.Contains("resync", sync.LastRefresh, StringComparison.Ordinal);
        // No refresh while a resync waits for its snapshot: the resync comes first.
        Assert.False(sync.BeginRefresh("test"));
    }

    [Fact]
    public void A_refresh_can_not_begin_twice_and_can_begin_again_after_it_was_abandoned()
    {
        var sync = Synced();
        Assert.True(sync.BeginRefresh("test"));
        Assert.False(sync.BeginRefresh("again"));
        sync.AbandonRefresh("HTTP 500");
        Assert.Equal(1, sync.Counters.RefreshesFailed);
        Assert.Equal("failed: HTTP 500", sync.LastRefresh);
        Assert.True(sync.BeginRefresh("again"));
    }

    [Fact]
    public void A_late_snapshot_not_asked_for_is_refused_without_touching_the_book()
    {
        var sync = Synced();
        sync.OnDiff(D(11, 11, [L(100, 2)]));
        sync.OnSnapshot(S(10, [L(100, 9), L(99, 9)], [L(101, 9), L(102, 9)]));
        Assert.Equal([(100m, 2m), (99m, 1m)], Bids(sync));
        Assert.Equal(1, sync.Counters.SnapshotsRejected);
        Assert.Equal(0, sync.Counters.RefreshesApplied);
    }

    [Fact]
    public void A_snapshot_not_asked_for_at_or_after_the_book_is_merged_like_a_refresh()
    {
        // A replay of a recording holds the refresh snapshots the live book merged: they merge the same way.
        var sync = Synced();
        sync.OnSnapshot(S(10, [L(100, 1), L(99, 1), L(98, 1)], [L(101, 1), L(102, 1), L(103, 1)], limit: 3));
        Assert.Equal(1, sync.Counters.RefreshesApplied);
        Assert.Equal(new VerifiedRange(P(98), P(103)), sync.Verified);
    }

    [Fact]
    public void A_refresh_outrun_by_more_diffs_than_the_buffer_holds_is_discarded()
    {
        var sync = Synced(maxBufferedDiffs: 3);
        Assert.True(sync.BeginRefresh("test"));
        for (var id = 11; id <= 14; id++) sync.OnDiff(D(id, id, [L(100, id)]));
        Assert.False(sync.RefreshOutstanding);
        Assert.Equal(1, sync.Counters.RefreshesDiscarded);
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.Equal(14, sync.Book.LastUpdateId);
    }

    // ------------------------------------------------------------------ aggregate and heatmap: the same rule

    [Theory]
    [InlineData(97.5, 103, 3, 3)]            // 95, 96, 97 reach below 97.5; 103, 104, 105 above 103
    [InlineData(97, 103.99999999, 2, 2)]      // the floor is a bucket's first price, the ceiling its last
    [InlineData(90, 110, 0, 0)]               // the range lies inside the verified one
    [InlineData(101, 100, 6, 6)]              // both touches beyond: 95..100 below the floor, 100..105 above the ceiling
    public void The_aggregate_marks_the_buckets_beyond_the_verified_range(double floor, double ceiling, int below, int above)
    {
        var book = new OrderBook();
        book.TryLoadSnapshot(1, [L(100, 1), L(99, 2), L(96, 3)], [L(101, 1), L(102, 2), L(105, 3)], out _);
        var verified = new VerifiedRange(P((decimal)floor), P((decimal)ceiling));
        var second = new BookAggregator().Aggregate(0, book, new BucketConfig(P(1), P(5)), default, 1, verified);
        Assert.Equal((P(95), P(106), 11), (second.RangeLow, second.RangeHigh, second.Buckets.Length));
        Assert.Equal((below, above), (second.UnverifiedBidBuckets, second.UnverifiedAskBuckets));
        Assert.Equal(verified.Covers(true, P(100)), second.BidTouchVerified);
        Assert.Equal(verified.Covers(false, P(101)), second.AskTouchVerified);
        // Every level inside the range is aggregated, verified or not.
        Assert.Equal(P(6), second.BidDepth);
        Assert.Equal(P(6), second.AskDepth);

        // The history keeps the marks, and the heatmap row says which part of it is verified.
        var history = new CobHistory(10);
        history.Add(second);
        Assert.Equal((below, above, second.BidTouchVerified, second.AskTouchVerified),
            (history.Latest!.UnverifiedBidBuckets, history.Latest.UnverifiedAskBuckets, history.Latest.BidTouchVerified, history.Latest.AskTouchVerified));
        var map = HeatmapBuilder.Build([history.Latest], HeatmapMetric.Total);
        Assert.Equal(P(95) + below * P(1), map.VerifiedFrom[0]);
        Assert.Equal(Math.Max(map.VerifiedFrom[0], P(106) - above * P(1)), map.VerifiedTo[0]);
    }

    [Fact]
    public void A_gap_second_has_no_verified_part_in_the_heatmap()
    {
        var map = HeatmapBuilder.Build([BookAggregator.Gap(0, "book resyncing", default)], HeatmapMetric.Total);
        Assert.Equal([0L], map.VerifiedFrom);
        Assert.Equal([0L], map.VerifiedTo);
    }

    // ------------------------------------------------------------------ when to refresh

    private static readonly CoverageRefreshRule Rule = new() { WithinLevels = 2, WithinShare = 0.001, Period = TimeSpan.FromMinutes(30), MinInterval = TimeSpan.FromMinutes(1) };

    /// <summary>Synced at 10 from a 5-level snapshot: bids 100..96, asks 101..105 (verified 96..105).</summary>
    private static OrderBookSynchronizer Deep()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(9, 10));
        sync.OnSnapshot(S(10, [L(100, 1), L(99, 1), L(98, 1), L(97, 1), L(96, 1)], [L(101, 1), L(102, 1), L(103, 1), L(104, 1), L(105, 1)], limit: 5));
        return sync;
    }

    [Fact]
    public void No_refresh_while_the_touches_are_far_from_their_bounds_and_the_period_has_not_passed()
        => Assert.Null(Rule.Reason(Deep(), T0.AddSeconds(10).AddMinutes(10), null, Rule.Period));

    [Fact]
    public void A_refresh_is_asked_when_few_verified_levels_remain_between_the_touch_and_the_floor()
    {
        var sync = Deep();
        sync.OnDiff(D(11, 11, [L(100, 0), L(99, 0), L(98, 0), L(97.5m, 1)]));
        // Left: 97.5, 97, 96 = 3 levels: not yet. One more removal leaves 2... and 2 < 2 is false: remove two.
        Assert.Null(Rule.Reason(sync, T0.AddSeconds(10), null, Rule.Period));
        sync.OnDiff(D(12, 12, [L(97.5m, 0), L(97, 0)]));
        var reason = Rule.Reason(sync, T0.AddSeconds(10), null, Rule.Period);
        Assert.Contains("1 verified bid level(s) left", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refresh_is_asked_when_the_touch_is_within_the_share_of_its_price_of_the_bound()
    {
        var rule = Rule with { WithinLevels = 0, WithinShare = 0.05 }; // 5 % of 100 reaches below 96
        var reason = rule.Reason(Deep(), T0.AddSeconds(10), null, rule.Period);
        Assert.Contains("best bid within 4 % of the verified floor 96", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refresh_is_asked_at_once_when_a_touch_is_beyond_its_bound()
    {
        var sync = Deep();
        sync.OnDiff(D(11, 11, [], [L(101, 0), L(102, 0), L(103, 0), L(104, 0), L(105, 0), L(106, 1)]));
        Assert.Contains("best ask 106.00000000 is beyond the verified ceiling 105.00000000", Rule.Reason(sync, T0.AddSeconds(10), null, Rule.Period), StringComparison.Ordinal);
    }

    [Fact]
    public void A_periodic_refresh_is_asked_after_the_period_but_not_again_within_the_minimum_interval()
    {
        var sync = Deep();
        var due = T0.AddSeconds(10) + Rule.Period;
        Assert.Contains("periodic audit", Rule.Reason(sync, due, null, Rule.Period), StringComparison.Ordinal);
        Assert.Null(Rule.Reason(sync, due, lastRequest: due.AddSeconds(-30), Rule.Period));
        Assert.NotNull(Rule.Reason(sync, due, lastRequest: due.AddSeconds(-61), Rule.Period));
        Assert.Null(Rule.Reason(sync, due, null, TimeSpan.Zero)); // period off
    }

    [Fact]
    public void No_refresh_for_a_book_whose_snapshot_held_whole_sides()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(D(9, 10));
        sync.OnSnapshot(S(10, [L(100, 1)], [L(101, 1)], limit: 1000));
        Assert.Null(Rule.Reason(sync, T0.AddSeconds(10), null, TimeSpan.Zero));
    }

    [Fact]
    public void No_refresh_while_one_is_under_way_or_the_book_is_not_synced()
    {
        var sync = Deep();
        var due = T0.AddSeconds(10) + Rule.Period;
        Assert.True(sync.BeginRefresh("test"));
        Assert.Null(Rule.Reason(sync, due, null, Rule.Period));
        sync.AbandonRefresh("test");
        sync.MarkStale("quiet");
        Assert.Null(Rule.Reason(sync, due, null, Rule.Period));
    }

    [Fact]
    public void Invalid_book_settings_are_named_one_sentence_each()
    {
        var errors = new MarketData.Actors.OrderBookOptions { RefreshWithinShare = 1.5, RefreshTimeout = TimeSpan.Zero, MaxBufferedDiffs = 0 }.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("RefreshWithinShare 1.5", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RefreshTimeout", StringComparison.Ordinal));
        Assert.Empty(new MarketData.Actors.OrderBookOptions().Validate());
    }

    [Fact]
    public void Invalid_refresh_settings_are_named()
    {
        var errors = new CoverageRefreshRule { WithinLevels = -1, WithinShare = 1, MinInterval = TimeSpan.FromSeconds(-1) }.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Empty(new CoverageRefreshRule().Validate());
    }
}
