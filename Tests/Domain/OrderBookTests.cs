using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Tests.Domain;

public class OrderBookTests
{
    internal static PriceLevel L(decimal price, decimal quantity) => new(FixedPoint.FromDecimal(price), FixedPoint.FromDecimal(quantity));

    private static OrderBook Loaded()
    {
        var book = new OrderBook();
        Assert.True(book.TryLoadSnapshot(100, [L(99, 1), L(100, 2), L(98, 3)], [L(102, 1), L(101, 2), L(103, 3)], out var error), error);
        return book;
    }

    private static PriceLevel[] Bids(OrderBook book)
    {
        var levels = new PriceLevel[book.BidCount];
        Assert.Equal(book.BidCount, book.CopyBids(levels));
        return levels;
    }

    private static PriceLevel[] Asks(OrderBook book)
    {
        var levels = new PriceLevel[book.AskCount];
        Assert.Equal(book.AskCount, book.CopyAsks(levels));
        return levels;
    }

    [Fact]
    public void Snapshot_is_sorted_best_first()
    {
        var book = Loaded();
        Assert.Equal(100, book.LastUpdateId);
        Assert.Equal([L(100, 2), L(99, 1), L(98, 3)], Bids(book));
        Assert.Equal([L(101, 2), L(102, 1), L(103, 3)], Asks(book));
        Assert.True(book.TryGetBestBid(out var bid));
        Assert.Equal(L(100, 2), bid);
        Assert.True(book.TryGetBestAsk(out var ask));
        Assert.Equal(L(101, 2), ask);
        Assert.Equal(L(99, 1), book.BidAt(1));
        Assert.Equal(L(103, 3), book.AskAt(2));
        Assert.False(book.IsCrossed);
    }

    [Fact]
    public void Update_inserts_replaces_and_removes()
    {
        var book = Loaded();
        Assert.True(book.TryApply([L(100.5m, 4), L(99, 0), L(98, 7)], [L(101, 0), L(104, 1)], 101, out _));
        Assert.Equal(101, book.LastUpdateId);
        Assert.Equal([L(100.5m, 4), L(100, 2), L(98, 7)], Bids(book));
        Assert.Equal([L(102, 1), L(103, 3), L(104, 1)], Asks(book));
    }

    [Fact]
    public void Removing_an_absent_level_is_a_no_op()
    {
        var book = Loaded();
        Assert.True(book.TryApply([L(97, 0), L(100.25m, 0)], [L(150, 0)], 101, out _));
        Assert.Equal([L(100, 2), L(99, 1), L(98, 3)], Bids(book));
        Assert.Equal(3, book.AskCount);
    }

    [Fact]
    public void Bad_level_rejects_the_whole_update_and_leaves_the_book_unchanged()
    {
        var book = Loaded();
        var bad = new PriceLevel(FixedPoint.FromDecimal(97), -1);
        Assert.False(book.TryApply([L(100, 0), L(99.5m, 1)], [L(101, 0), bad], 101, out var error));
        Assert.Contains("asks[1]: negative quantity", error);
        Assert.Equal(100, book.LastUpdateId);
        Assert.Equal([L(100, 2), L(99, 1), L(98, 3)], Bids(book));
        Assert.Equal([L(101, 2), L(102, 1), L(103, 3)], Asks(book));

        Assert.False(book.TryApply([new PriceLevel(0, 1)], [], 101, out error));
        Assert.Contains("bids[0]: non-positive price", error);
    }

    [Fact]
    public void Snapshot_with_bad_or_duplicate_levels_is_refused()
    {
        var book = new OrderBook();
        Assert.False(book.TryLoadSnapshot(1, [new PriceLevel(-5, 1)], [], out var error));
        Assert.NotNull(error);
        Assert.False(book.TryLoadSnapshot(1, [L(1, 1), L(1, 2)], [], out error));
        Assert.Contains("duplicate", error);
        Assert.Equal(0, book.BidCount);
    }

    [Fact]
    public void Crossed_detection_and_clear()
    {
        var book = Loaded();
        Assert.True(book.TryApply([L(101, 1)], [], 101, out _));
        Assert.True(book.IsCrossed);
        book.Clear();
        Assert.Equal(0, book.BidCount);
        Assert.Equal(0, book.AskCount);
        Assert.Equal(0, book.LastUpdateId);
        Assert.False(book.TryGetBestBid(out _));
        Assert.False(book.IsCrossed);
    }

    [Fact]
    public void Copy_from_and_partial_copy()
    {
        var book = Loaded();
        var copy = new OrderBook();
        copy.CopyFrom(book);
        Assert.Equal(Bids(book), Bids(copy));
        Assert.Equal(Asks(book), Asks(copy));
        Assert.Equal(book.LastUpdateId, copy.LastUpdateId);
        Span<PriceLevel> two = stackalloc PriceLevel[2];
        Assert.Equal(2, book.CopyAsks(two));
        Assert.Equal(L(102, 1), two[1]);
    }

    /// <summary>
    /// Against a sorted-dictionary model. A price unit of 1 (the finest fixed-point step) makes updates hit
    /// the free slots the book keeps at key - 1, and a snapshot reload midway resets the layout.
    /// </summary>
    [Theory]
    [InlineData(1_000_000L)]
    [InlineData(1L)]
    public void Matches_a_reference_model_under_random_updates(long unit)
    {
        var random = new Random(7);
        var book = new OrderBook();
        var bids = new SortedDictionary<long, long>();
        var asks = new SortedDictionary<long, long>();
        for (var step = 0; step < 20_000; step++)
        {
            var b = new PriceLevel[random.Next(0, 6)];
            var a = new PriceLevel[random.Next(0, 6)];
            for (var i = 0; i < b.Length; i++) b[i] = new PriceLevel(random.Next(1, 2000) * unit, random.Next(0, 3) * 50_000_000L);
            for (var i = 0; i < a.Length; i++) a[i] = new PriceLevel(random.Next(1500, 4000) * unit, random.Next(0, 3) * 50_000_000L);
            if (step == 10_000)
            {
                Assert.True(book.TryLoadSnapshot(step,
                    bids.Select(kv => new PriceLevel(kv.Key, kv.Value)).ToArray(),
                    asks.Select(kv => new PriceLevel(kv.Key, kv.Value)).ToArray(), out _));
            }
            Assert.True(book.TryApply(b, a, step, out _));
            foreach (var l in b) { if (l.Quantity == 0) bids.Remove(l.Price); else bids[l.Price] = l.Quantity; }
            foreach (var l in a) { if (l.Quantity == 0) asks.Remove(l.Price); else asks[l.Price] = l.Quantity; }
            if (step % 97 != 0) continue;
            Assert.Equal(bids.Reverse().Select(kv => new PriceLevel(kv.Key, kv.Value)).ToArray(), Bids(book));
            Assert.Equal(asks.Select(kv => new PriceLevel(kv.Key, kv.Value)).ToArray(), Asks(book));
            if (bids.Count > 0)
            {
                Assert.True(book.TryGetBestBid(out var best));
                Assert.Equal(bids.Keys.Max(), best.Price);
                Assert.Equal(bids.Keys.Min(), book.BidAt(bids.Count - 1).Price);
            }
            if (asks.Count > 0)
            {
                Assert.True(book.TryGetBestAsk(out var best));
                Assert.Equal(asks.Keys.Min(), best.Price);
            }
        }
    }
}
