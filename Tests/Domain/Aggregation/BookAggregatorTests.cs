using MarketData.Aggregation;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Tests.Domain.Aggregation;

public class BookAggregatorTests
{
    private static readonly BucketConfig Btc = BucketConfigResolver.BtcDefault; // $10 within $50
    private static readonly TradeFlow NoTrades = default;

    internal static long P(decimal value) => FixedPoint.FromDecimal(value);
    internal static PriceLevel L(decimal price, decimal quantity) => new(P(price), P(quantity));

    internal static OrderBook Book(PriceLevel[] bids, PriceLevel[] asks, long updateId = 7)
    {
        var book = new OrderBook();
        Assert.True(book.TryLoadSnapshot(updateId, bids, asks, out var error), error);
        return book;
    }

    [Fact]
    public void Buckets_on_the_absolute_grid_with_edges_and_range_ends()
    {
        var book = Book(
            [L(60995, 1), L(60990, 2), L(60950, 4), L(60949.99m, 5)],
            [L(61005, 3), L(61050, 1.5m), L(61059.99m, 0.5m), L(61060, 7)]);
        var flow = new TradeFlow(1, 2, 3, 4, 5);

        var cob = new BookAggregator().Aggregate(1_000, book, Btc, flow, book.LastUpdateId);

        Assert.False(cob.IsGap);
        Assert.Equal(1_000, cob.Time);
        Assert.Equal(7, cob.BookUpdateId);
        Assert.Equal(flow, cob.Flow);
        Assert.Equal(P(61000), cob.Mid);
        Assert.Equal(P(60950), cob.RangeLow);   // mid - 50 lies exactly on a boundary: its bucket starts there
        Assert.Equal(P(61060), cob.RangeHigh);  // mid + 50 = 61050 starts the last bucket, which is included whole
        Assert.Equal(11, cob.Buckets.Length);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => P(60950 + 10 * i)), cob.Buckets.Select(b => b.PriceFrom));
        Assert.Equal(new PriceBucket(P(60950), P(4), 0), cob.Buckets[0]);   // 60949.99 is outside, 60950 inside
        Assert.Equal(new PriceBucket(P(60990), P(3), 0), cob.Buckets[4]);   // 60990 on the edge belongs to [60990, 61000)
        Assert.Equal(new PriceBucket(P(61000), 0, P(3)), cob.Buckets[5]);
        Assert.Equal(new PriceBucket(P(61050), 0, P(2)), cob.Buckets[10]);  // 61060 is outside
        Assert.Equal(-1.0, cob.Buckets[5].Imbalance);
        Assert.Equal(0.0, cob.Buckets[1].Imbalance);
        Assert.Equal(P(7), cob.BidDepth);
        Assert.Equal(P(5), cob.AskDepth);
        Assert.Equal(2.0 / 12, cob.Imbalance, 15);
        Assert.Equal(P(10), cob.Spread);
        Assert.Equal(P(Math.Round((60995m + 2 * 60990m + 4 * 60950m) / 7, 8, MidpointRounding.AwayFromZero)), cob.BidVwap);
        Assert.Equal(P((61005m * 3 + 61050m * 1.5m + 61059.99m * 0.5m) / 5), cob.AskVwap);
        NaiveCob.AssertMatches(NaiveCob.Compute(book, Btc), cob);
    }

    [Fact]
    public void A_book_narrower_than_the_range_gives_every_bucket_mostly_empty()
    {
        var book = Book([L(61000.01m, 0.25m)], [L(61000.03m, 0.75m)]);
        var cob = new BookAggregator().Aggregate(0, book, Btc, NoTrades, 1);
        Assert.Equal(P(61000.02m), cob.Mid);
        Assert.Equal(11, cob.Buckets.Length);
        Assert.Equal(P(60950), cob.RangeLow);
        Assert.Equal(new PriceBucket(P(61000), P(0.25m), P(0.75m)), cob.Buckets[5]);
        Assert.Equal(-0.5, cob.Buckets[5].Imbalance);
        Assert.All(cob.Buckets.Where((_, i) => i != 5), b => Assert.Equal(0, b.Total));
        Assert.Equal(-0.5, cob.Imbalance);
    }

    [Fact]
    public void Mid_off_the_grid_and_a_range_that_is_not_a_multiple_of_the_bucket()
    {
        var config = new BucketConfig(P(3), P(7));
        var book = Book([L(100.5m, 1), L(93.99m, 1), L(93, 2)], [L(101.5m, 1), L(108, 4), L(109, 8)]);
        var cob = new BookAggregator().Aggregate(0, book, config, NoTrades, 1);
        // mid 101, [94, 108] widened to [93, 111): 93 is on the grid and included, 108 included, 109 too (same bucket).
        Assert.Equal(P(93), cob.RangeLow);
        Assert.Equal(P(111), cob.RangeHigh);
        NaiveCob.AssertMatches(NaiveCob.Compute(book, config), cob);
        Assert.Equal(P(4), cob.BidDepth);
        Assert.Equal(P(13), cob.AskDepth);
    }

    [Theory]
    [InlineData(true, false, "book has no asks")]
    [InlineData(false, true, "book has no bids")]
    [InlineData(false, false, "book is empty")]
    public void Empty_sides_give_a_gap_with_the_reason(bool withBids, bool withAsks, string reason)
    {
        var book = Book(withBids ? [L(100, 1)] : [], withAsks ? [L(101, 1)] : []);
        var flow = new TradeFlow(5, 0, 1, P(100), P(500));
        var cob = new BookAggregator().Aggregate(3_000, book, Btc, flow, 1);
        Assert.True(cob.IsGap);
        Assert.Equal(reason, cob.GapReason);
        Assert.Equal(3_000, cob.Time);
        Assert.Equal(flow, cob.Flow);
        Assert.Empty(cob.Buckets);
        Assert.Equal(0, cob.Mid);
    }

    [Fact]
    public void A_crossed_book_is_a_gap()
    {
        var book = Book([L(101, 1)], [L(100, 1)]);
        var cob = new BookAggregator().Aggregate(0, book, Btc, NoTrades, 1);
        Assert.True(cob.IsGap);
        Assert.StartsWith("book crossed", cob.GapReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Gap_keeps_the_reason_and_flow()
    {
        var cob = BookAggregator.Gap(5_000, "book resyncing: gap in update ids", new TradeFlow(1, 1, 2, 3, 4));
        Assert.True(cob.IsGap);
        Assert.Equal("book resyncing: gap in update ids", cob.GapReason);
        Assert.Equal(2, cob.Flow.TradeCount);
    }

    [Fact]
    public void Random_deep_books_match_the_naive_computation()
    {
        var random = new Random(11);
        var aggregator = new BookAggregator(); // reused: the level hints and scratch carry over between books
        for (var round = 0; round < 60; round++)
        {
            var tick = random.Next(3) switch { 0 => 1_000_000L, 1 => 10_000_000L, _ => 100_000_000L };
            var mid = P(60_000) / tick * tick;
            var bids = new List<PriceLevel>();
            var asks = new List<PriceLevel>();
            var depth = random.Next(1, 3_000);
            for (var i = 0; i < depth; i++)
            {
                if (random.Next(3) > 0) bids.Add(new PriceLevel(mid - (i + 1) * tick, random.NextInt64(1, P(5))));
                if (random.Next(3) > 0) asks.Add(new PriceLevel(mid + i * tick, random.NextInt64(1, P(5))));
            }
            if (bids.Count == 0 || asks.Count == 0) continue;
            var book = Book([.. bids], [.. asks]);
            var config = random.Next(2) == 0 ? Btc : new BucketConfig(tick * random.Next(1, 50), tick * random.Next(0, 800));
            NaiveCob.AssertMatches(NaiveCob.Compute(book, config), aggregator.Aggregate(0, book, config, NoTrades, 1));
        }
    }
}
