using System.IO.Compression;
using System.Text;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.Streams;
using MarketData.Tests.Replay;
using Xunit.Abstractions;

namespace MarketData.Tests.Domain.Aggregation;

/// <summary>
/// Replays the hftbacktest BTCUSDT/ETHUSDT recordings (MIT, ../shared/data/hftbacktest, both days) through the parser,
/// the synchronizer and the per-second aggregation. Seconds are driven by the exchange event time E: when an event's
/// second is later than the current one, the current second is first aggregated from the book as it stands. Every
/// second from the first event to the last yields one CobSecond (a gap with its reason while the book is not synced),
/// each matching a naive recomputation from a copy of the book, and the moving averages match averages recomputed
/// from the produced seconds.
/// </summary>
public class HftbacktestCobReplayTests(ITestOutputHelper output)
{
    private static readonly string[] Days = ["20240808", "20240809"];

    [SkippableTheory]
    [InlineData("btcusdt", false)]
    [InlineData("ethusdt", false)]
    [InlineData("btcusdt", true)]
    public void One_consistent_aggregate_per_second_of_the_recording(string symbol, bool faults)
    {
        var folder = HftbacktestBookReplayTests.FindHftbacktestFolder();
        if (folder is null)
            throw new SkipException("../shared/data/hftbacktest absent");

        var parser = new BinanceFrameParser();
        var sync = new OrderBookSynchronizer();
        var resolver = new BucketConfigResolver();
        var aggregator = new BookAggregator();
        var flow = new TradeFlowAccumulator();
        var averager = new ImbalanceAverager();
        var history = new CobHistory();
        var ticks = new TickBuffer();
        var produced = new List<CobSecond>();
        var raw = new List<MarketEvent>();
        long? current = null;
        int late = 0, checkedSeconds = 0, tradesInSeconds = 0, tradesSeen = 0, diffsSeen = 0;
        // Fault injection: the snapshot arrives 20 s late (not yet synced), and diff 3,000 is lost (resync mid-window,
        // never completed since the recording has no second snapshot).
        DepthSnapshot? delayedSnapshot = null;
        long snapshotDueAt = 0;

        void Produce(long second)
        {
            var tradeFlow = flow.Take();
            tradesInSeconds += tradeFlow.TradeCount;
            CobSecond cob;
            if (sync.Status != BookStatus.Synced)
                cob = BookAggregator.Gap(second, $"book {sync.Status}: {sync.StatusReason}", tradeFlow);
            else
            {
                sync.Book.TryGetBestBid(out var bid);
                Assert.True(resolver.TryResolve(symbol.ToUpperInvariant(), bid.Price, out var config));
                cob = aggregator.Aggregate(second, sync.Book, config, tradeFlow, sync.Book.LastUpdateId);
                NaiveCob.AssertMatches(NaiveCob.Compute(sync.Book, config), cob);
                Assert.Equal(sync.Book.LastUpdateId, cob.BookUpdateId);
                checkedSeconds++;
            }
            cob = averager.Apply(cob);
            history.Add(cob);
            produced.Add(cob);
        }

        void Advance(long eventTime)
        {
            var second = eventTime - eventTime % 1_000;
            if (current is null) current = second;
            else if (second < current) late++;
            while (current < second)
            {
                Produce(current.Value);
                current += 1_000;
            }
        }

        foreach (var file in Days.Select(day => Path.Combine(folder, $"binance-spot_{symbol}_{day}.gz")))
        {
            foreach (var (receivedAt, json) in ReadLines(file))
            {
                switch (parser.Parse(json))
                {
                    case BinanceFrameKind.DepthUpdate:
                        Advance(parser.EventTime);
                        var diff = (DepthDiff)parser.ToEvent(receivedAt);
                        if (delayedSnapshot is not null && parser.EventTime >= snapshotDueAt)
                        {
                            sync.OnSnapshot(delayedSnapshot);
                            delayedSnapshot = null;
                        }
                        if (!(faults && ++diffsSeen == 3_000)) sync.OnDiff(diff);
                        ticks.Add(diff);
                        raw.Add(diff);
                        break;
                    case BinanceFrameKind.DepthSnapshot:
                        var snapshot = (DepthSnapshot)parser.ToEvent(receivedAt);
                        if (faults)
                        {
                            delayedSnapshot = snapshot;
                            snapshotDueAt = current!.Value + 20_000;
                        }
                        else sync.OnSnapshot(snapshot);
                        break;
                    case BinanceFrameKind.Trade:
                        var trade = (TradeEvent)parser.ToEvent(receivedAt);
                        Advance(trade.EventTime);
                        flow.Add(trade);
                        tradesSeen++;
                        ticks.Add(trade);
                        raw.Add(trade);
                        break;
                }
            }
        }
        Produce(current!.Value);

        // One per second, none missing, in order.
        var first = produced[0].Time;
        Assert.Equal((produced[^1].Time - first) / 1_000 + 1, produced.Count);
        for (var i = 0; i < produced.Count; i++) Assert.Equal(first + i * 1_000, produced[i].Time);
        // Without faults the snapshot arrives within the first second: no gap. With faults: gaps while syncing, then
        // synced seconds, then gaps from the lost diff to the end, each with its reason.
        var gaps = produced.Where(c => c.IsGap).ToList();
        Assert.Equal(produced.Count - gaps.Count, checkedSeconds);
        if (!faults) Assert.Empty(gaps);
        else
        {
            var syncing = produced.TakeWhile(c => c.IsGap).ToList();
            Assert.InRange(syncing.Count, 20, 21);
            Assert.All(syncing, g => Assert.StartsWith("book Syncing: ", g.GapReason, StringComparison.Ordinal));
            var resyncing = produced.Skip(syncing.Count).SkipWhile(c => !c.IsGap).ToList();
            Assert.NotEmpty(resyncing);
            Assert.All(resyncing, g => Assert.StartsWith("book Resyncing: ", g.GapReason, StringComparison.Ordinal));
            Assert.Equal(gaps.Count, syncing.Count + resyncing.Count);
            Assert.All(resyncing, g => Assert.Null(g.Averages.S60 is null ? null : g.Averages.S1)); // a gap never has a 1 s average
        }
        Assert.Equal(tradesSeen, tradesInSeconds); // every trade lands in exactly one second

        for (var i = 0; i < produced.Count; i++)
        {
            var from = Math.Max(0, i - 60);
            NaiveCob.AssertAverages(produced.GetRange(from, i - from + 1), i - from, 1e-9);
        }

        CobHistoryTests.AssertSameSeconds(produced, history.Query(long.MinValue, long.MaxValue));
        Assert.Equal(raw.Count, ticks.Count);
        Assert.Equal(0, ticks.Overflowed);
        var decoded = new List<MarketEvent>();
        ticks.Query(DateTime.MinValue, DateTime.MaxValue, decoded);
        for (var i = 0; i < raw.Count; i++) TickBufferTests.AssertSame(raw[i], decoded[i]);

        var diffs = raw.OfType<DepthDiff>().ToList();
        output.WriteLine($"{symbol}{(faults ? " with faults" : "")}: {produced.Count} seconds ({gaps.Count} gaps, first \"{gaps.FirstOrDefault()?.GapReason}\", last \"{gaps.LastOrDefault()?.GapReason}\"), {checkedSeconds} checked against the naive book, " +
                         $"late events {late}, buckets {produced[^1].Buckets.Length}, trades {tradesSeen}");
        output.WriteLine($"tick buffer: {diffs.Count} diffs ({diffs.Average(d => d.Bids.Length + d.Asks.Length):F1} levels each), {raw.Count - diffs.Count} trades, " +
                         $"{ticks.UsedDataBytes:N0} encoded bytes ({(double)ticks.UsedDataBytes / raw.Count:F1} per event), allocated {ticks.AllocatedBytes:N0}");
    }

    private static IEnumerable<(DateTime ReceivedAt, byte[] Json)> ReadLines(string path)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var ns = long.Parse(line.AsSpan(0, space), System.Globalization.CultureInfo.InvariantCulture);
            yield return (DateTime.UnixEpoch.AddTicks(ns / 100), Encoding.UTF8.GetBytes(line[(space + 1)..]));
        }
    }
}
