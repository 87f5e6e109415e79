using MarketData.Candles;
using MarketData.Domain.Books;
using MarketData.Streams;

namespace MarketData.Tests.Protocol;

/// <summary>The best bid and ask of a client book right after it applied the depth diff ending at update id <see cref="UpdateId"/>.</summary>
internal readonly record struct TopAt(long UpdateId, PriceLevel Bid, PriceLevel Ask);

/// <summary>
/// Protocol assertions over the events one symbol produced, shared by the fake server's and the load generator's
/// tests (and by the in-process checks of the load generator's markets): whatever serves Binance's streams must pass
/// them.
/// </summary>
internal static class BinanceStreamChecks
{
    /// <summary>Depth diffs with strictly increasing u, trades and aggregate trades with strictly increasing ids, bookTickers with increasing u.</summary>
    public static void AssertNoDuplicates(IReadOnlyList<MarketEvent> events, string symbol)
    {
        AssertIncreasing(events.OfType<DepthDiff>().Select(d => d.FinalUpdateId), $"{symbol} depth u");
        AssertIncreasing(events.OfType<TradeEvent>().Where(t => !t.IsAggregate).Select(t => t.TradeId), $"{symbol} trade id");
        AssertIncreasing(events.OfType<TradeEvent>().Where(t => t.IsAggregate).Select(t => t.TradeId), $"{symbol} aggTrade id");
        AssertIncreasing(events.OfType<BookTickerEvent>().Select(t => t.UpdateId), $"{symbol} bookTicker u");
    }

    /// <summary>Each diff continues the previous one (U == previous u + 1, u ≥ U) and trade ids are consecutive: nothing lost.</summary>
    public static void AssertContiguous(IReadOnlyList<MarketEvent> events, string symbol)
    {
        var diffs = events.OfType<DepthDiff>().ToArray();
        for (var i = 0; i < diffs.Length; i++)
        {
            Assert.True(diffs[i].FinalUpdateId >= diffs[i].FirstUpdateId, $"{symbol}: diff {i} u={diffs[i].FinalUpdateId} < U={diffs[i].FirstUpdateId}");
            if (i > 0)
                Assert.True(diffs[i].FirstUpdateId == diffs[i - 1].FinalUpdateId + 1, $"{symbol}: diff {i} U={diffs[i].FirstUpdateId} after u={diffs[i - 1].FinalUpdateId}");
        }
        var trades = events.OfType<TradeEvent>().Where(t => !t.IsAggregate).Select(t => t.TradeId).ToArray();
        for (var i = 1; i < trades.Length; i++)
            Assert.True(trades[i] == trades[i - 1] + 1, $"{symbol}: trade {trades[i]} after {trades[i - 1]}");
    }

    /// <summary>
    /// aggTrade ids are consecutive, each covers trade ids f..l that continue the previous one, and the raw trades
    /// received in that range have the aggTrade's price and side and add up to its quantity.
    /// </summary>
    public static void AssertAggTradesMatchTrades(IReadOnlyList<MarketEvent> events, string symbol)
    {
        var trades = events.OfType<TradeEvent>().Where(t => !t.IsAggregate).ToDictionary(t => t.TradeId);
        var aggregates = events.OfType<TradeEvent>().Where(t => t.IsAggregate).ToArray();
        for (var i = 0; i < aggregates.Length; i++)
        {
            var a = aggregates[i];
            Assert.True(a.LastTradeId >= a.FirstTradeId, $"{symbol}: aggTrade {a.TradeId} f={a.FirstTradeId} > l={a.LastTradeId}");
            if (i > 0)
            {
                Assert.True(a.TradeId == aggregates[i - 1].TradeId + 1, $"{symbol}: aggTrade {a.TradeId} after {aggregates[i - 1].TradeId}");
                Assert.True(a.FirstTradeId == aggregates[i - 1].LastTradeId + 1, $"{symbol}: aggTrade {a.TradeId} starts at trade {a.FirstTradeId} after {aggregates[i - 1].LastTradeId}");
            }
            var covered = Enumerable.Range(0, (int)(a.LastTradeId - a.FirstTradeId + 1)).Select(k => a.FirstTradeId + k).ToArray();
            if (!covered.All(trades.ContainsKey)) continue; // trades before the subscription started
            var parts = covered.Select(id => trades[id]).ToArray();
            Assert.All(parts, t => Assert.Equal(a.Price, t.Price));
            Assert.All(parts, t => Assert.Equal(a.BuyerIsMaker, t.BuyerIsMaker));
            Assert.Equal(a.Quantity, parts.Sum(t => t.Quantity));
        }
    }

    /// <summary>
    /// bookTicker is Binance's own best bid and ask at update id u, sent on every change of the top. So after every
    /// depth diff, the latest bookTicker with u ≤ the diff's u must equal the client book's best. Returns how many
    /// book states were checked.
    /// </summary>
    public static int AssertBookTickersMatchBook(IReadOnlyList<BookTickerEvent> bookTickers, IReadOnlyList<TopAt> tops, string symbol)
    {
        var checkedStates = 0;
        var b = -1;
        foreach (var top in tops)
        {
            while (b + 1 < bookTickers.Count && bookTickers[b + 1].UpdateId <= top.UpdateId) b++;
            if (b < 0) continue;
            var t = bookTickers[b];
            Assert.True(new PriceLevel(t.BidPrice, t.BidQuantity) == top.Bid && new PriceLevel(t.AskPrice, t.AskQuantity) == top.Ask,
                $"{symbol}: bookTicker u={t.UpdateId} {t.BidQuantity}@{t.BidPrice} / {t.AskQuantity}@{t.AskPrice} but the book at u={top.UpdateId} has {top.Bid} / {top.Ask}");
            checkedStates++;
        }
        return checkedStates;
    }

    /// <summary>
    /// Klines are well formed (low ≤ open, close ≤ high; volumes ≥ 0; close time = open + interval − 1) and agree with the
    /// trades: every finished 1 s candle whose second was fully observed has exactly the trades received in that second.
    /// Returns how many 1 s candles were compared with trades.
    /// </summary>
    public static int AssertKlinesMatchTrades(IReadOnlyList<MarketEvent> events, string symbol)
    {
        var klines = events.OfType<KlineEvent>().ToArray();
        foreach (var k in klines)
        {
            var c = k.Candle;
            Assert.True(c.Low <= Math.Min(c.Open, c.Close) && c.High >= Math.Max(c.Open, c.Close) && c.Low > 0,
                $"{symbol} {k.Timeframe.Name} at {c.OpenTime}: OHLC {c.Open}/{c.High}/{c.Low}/{c.Close} inconsistent");
            Assert.True(c.Volume >= 0 && c.QuoteVolume >= 0 && c.TakerBuyVolume <= c.Volume && c.TradeCount >= 0, $"{symbol} {k.Timeframe.Name} at {c.OpenTime}: volumes");
            Assert.Equal(c.OpenTime + k.Timeframe.Milliseconds - 1, c.CloseTime);
            Assert.Equal(0, c.OpenTime % k.Timeframe.Milliseconds);
            if ((c.Flags & CandleFlags.Closed) != 0) Assert.True(k.EventTime > c.CloseTime, $"{symbol} {k.Timeframe.Name}: closed before its end");
            else Assert.True(k.EventTime >= c.OpenTime && k.EventTime <= c.CloseTime, $"{symbol} {k.Timeframe.Name}: open candle pushed outside its interval");
        }

        var trades = events.OfType<TradeEvent>().Where(t => !t.IsAggregate).ToArray();
        var firstSeen = events.Select(EventTimeOf).Where(t => t > 0).DefaultIfEmpty(long.MaxValue).Min();
        var compared = 0;
        foreach (var k in klines.Where(k => k.Timeframe.Milliseconds == 1000 && (k.Candle.Flags & CandleFlags.Closed) != 0))
        {
            var c = k.Candle;
            if (c.OpenTime < (firstSeen / 1000 + 2) * 1000) continue; // the second must lie wholly after the subscription began
            var inSecond = trades.Where(t => t.TradeTime >= c.OpenTime && t.TradeTime <= c.CloseTime).ToArray();
            Assert.True(inSecond.Length == c.TradeCount, $"{symbol} 1s candle {c.OpenTime}: {c.TradeCount} trades, received {inSecond.Length}");
            Assert.Equal(inSecond.Sum(t => t.Quantity), c.Volume);
            if (inSecond.Length > 0)
            {
                Assert.Equal(inSecond[0].Price, c.Open);
                Assert.Equal(inSecond[^1].Price, c.Close);
                Assert.Equal(inSecond.Max(t => t.Price), c.High);
                Assert.Equal(inSecond.Min(t => t.Price), c.Low);
            }
            compared++;
        }
        return compared;
    }

    private static long EventTimeOf(MarketEvent e) => e switch
    {
        DepthDiff d => d.EventTime,
        TradeEvent t => t.EventTime,
        TickerEvent t => t.EventTime,
        KlineEvent k => k.EventTime,
        _ => 0,
    };

    /// <summary>The client book equals the server's, level for level, at the same update id.</summary>
    public static void AssertBookEquals(OrderBookSynchronizer book, PriceLevel[] bids, PriceLevel[] asks, long lastUpdateId, string symbol)
    {
        lock (book)
        {
            Assert.True(lastUpdateId == book.Book.LastUpdateId, $"{symbol}: book at u={book.Book.LastUpdateId}, server at {lastUpdateId}");
            var localBids = new PriceLevel[book.Book.BidCount];
            var localAsks = new PriceLevel[book.Book.AskCount];
            book.Book.CopyBids(localBids);
            book.Book.CopyAsks(localAsks);
            AssertSideEquals(bids, localBids, $"{symbol} bids");
            AssertSideEquals(asks, localAsks, $"{symbol} asks");
        }
    }

    /// <summary>See <see cref="BinanceFeedHarness.AssertVerifiedPartMatchesServerAsync"/>.</summary>
    public static void AssertVerifiedPartEquals(OrderBookSynchronizer book, PriceLevel[] bids, PriceLevel[] asks, long lastUpdateId, string symbol)
    {
        lock (book)
        {
            Assert.True(lastUpdateId == book.Book.LastUpdateId, $"{symbol}: book at u={book.Book.LastUpdateId}, server at {lastUpdateId}");
            var range = book.Verified;
            var localBids = new PriceLevel[book.Book.BidCount];
            var localAsks = new PriceLevel[book.Book.AskCount];
            book.Book.CopyBids(localBids);
            book.Book.CopyAsks(localAsks);
            AssertSideEquals([.. bids.Where(l => range.Covers(true, l.Price))], [.. localBids.Where(l => range.Covers(true, l.Price))], $"{symbol} verified bids");
            AssertSideEquals([.. asks.Where(l => range.Covers(false, l.Price))], [.. localAsks.Where(l => range.Covers(false, l.Price))], $"{symbol} verified asks");
            Assert.All(localBids.Where(l => !range.Covers(true, l.Price)), l => Assert.Contains(l, bids));
            Assert.All(localAsks.Where(l => !range.Covers(false, l.Price)), l => Assert.Contains(l, asks));
        }
    }

    private static void AssertSideEquals(PriceLevel[] expected, PriceLevel[] actual, string what)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        var at = 0;
        while (at < Math.Min(expected.Length, actual.Length) && expected[at] == actual[at]) at++;
        Assert.Fail($"{what}: server has {expected.Length} levels, client {actual.Length}; first difference at {at}: " +
                    $"server {(at < expected.Length ? expected[at].ToString() : "none")}, client {(at < actual.Length ? actual[at].ToString() : "none")}");
    }

    /// <summary>
    /// Applies one feed event to a client book exactly as the book grain would, under the book's lock, and records the
    /// top after each applied diff or snapshot in <paramref name="tops"/>. The caller requests the snapshot it asks for.
    /// </summary>
    public static SyncAction ApplyToBook(OrderBookSynchronizer book, List<TopAt> tops, MarketEvent marketEvent)
    {
        lock (book)
        {
            SyncAction action;
            switch (marketEvent)
            {
                case DepthDiff diff: action = book.OnDiff(diff); break;
                case DepthSnapshot snapshot: action = book.OnSnapshot(snapshot); break;
                case FeedInterrupted interrupted: book.MarkStale(interrupted.Reason); return SyncAction.None;
                default: return SyncAction.None;
            }
            if (TopOf(book) is { } top) tops.Add(top);
            return action;
        }
    }

    /// <summary>The best bid and ask of a synced book (for <see cref="AssertBookTickersMatchBook"/>); caller holds the book's lock.</summary>
    public static TopAt? TopOf(OrderBookSynchronizer book)
    {
        if (book.Status != Books.BookStatus.Synced) return null;
        if (!book.Book.TryGetBestBid(out var bid) || !book.Book.TryGetBestAsk(out var ask)) return null;
        return new TopAt(book.Book.LastUpdateId, bid, ask);
    }

    private static void AssertIncreasing(IEnumerable<long> values, string what)
    {
        long? previous = null;
        foreach (var v in values)
        {
            Assert.True(previous is null || v > previous, $"{what} {v} published after {previous}");
            previous = v;
        }
    }
}
