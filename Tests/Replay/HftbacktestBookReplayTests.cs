using System.IO.Compression;
using System.Text;
using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.Streams;
using Xunit.Abstractions;

namespace MarketData.Tests.Replay;

/// <summary>
/// Replays the real Binance spot recordings from hftbacktest (MIT; ../shared/data/hftbacktest, two
/// consecutive files per symbol) through the parser and the synchronizer, and checks every applied
/// state's top of book against the exchange's own bookTicker stream.
/// </summary>
public class HftbacktestBookReplayTests(ITestOutputHelper output)
{
    // Read in this order: the 0809 files continue the 0808 ones without a new snapshot.
    private static readonly string[] Days = ["20240808", "20240809"];

    [SkippableTheory]
    [InlineData("btcusdt", 6493, 6491)]
    [InlineData("ethusdt", 6468, 6468)]
    public void Rebuilt_book_matches_the_exchange_top_of_book(string symbol, int expectedApplied, int minimumMatches)
    {
        var folder = FindHftbacktestFolder();
        if (folder is null)
            throw new SkipException("../shared/data/hftbacktest absent");

        var parser = new BinanceFrameParser();
        var sync = new OrderBookSynchronizer();
        // bookTickers in receive order whose u is beyond the book so far: not comparable yet.
        var waiting = new Queue<(long U, long Bid, long Ask)>();
        (long U, long Bid, long Ask)? latest = null;
        int applied = 0, compared = 0, matches = 0, malformed = 0, snapshots = 0;
        var wasSynced = false;

        foreach (var file in Days.Select(day => Path.Combine(folder, $"binance-spot_{symbol}_{day}.gz")))
        {
            foreach (var (receivedAt, json) in ReadLines(file))
            {
                var before = sync.Counters.DiffsApplied;
                switch (parser.Parse(json))
                {
                    case BinanceFrameKind.DepthUpdate:
                        var action = sync.OnDiff(parser.FirstUpdateId, parser.FinalUpdateId, parser.EventTime, parser.Bids, parser.Asks, receivedAt);
                        if (wasSynced) Assert.False(action.RequestSnapshot, action.Reason);
                        break;
                    case BinanceFrameKind.DepthSnapshot:
                        // Diffs buffered before the snapshot are applied here.
                        snapshots++;
                        sync.OnSnapshot((DepthSnapshot)parser.ToEvent(receivedAt));
                        break;
                    case BinanceFrameKind.BookTicker:
                        var bt = (BookTickerEvent)parser.ToEvent(receivedAt);
                        waiting.Enqueue((bt.UpdateId, bt.BidPrice, bt.AskPrice));
                        break;
                    case BinanceFrameKind.Trade:
                        break;
                    default:
                        malformed++;
                        output.WriteLine($"unexpected {parser.Kind}: {parser.Error}");
                        break;
                }

                var newlyApplied = (int)(sync.Counters.DiffsApplied - before);
                if (newlyApplied == 0) continue;
                applied += newlyApplied;
                wasSynced = true;
                Assert.Equal(BookStatus.Synced, sync.Status);
                Assert.False(sync.Book.IsCrossed);
                var id = sync.Book.LastUpdateId;
                while (waiting.Count > 0 && waiting.Peek().U <= id) latest = waiting.Dequeue();
                if (latest is { } ticker)
                {
                    compared++;
                    sync.Book.TryGetBestBid(out var bid);
                    sync.Book.TryGetBestAsk(out var ask);
                    if (bid.Price == ticker.Bid && ask.Price == ticker.Ask) matches++;
                }
            }
        }

        var c = sync.Counters;
        output.WriteLine($"{symbol}: applied {applied}, dropped stale {c.DiffsDroppedStale}, compared {compared}, matches {matches}, " +
                         $"gaps {c.Gaps}, crossed {c.CrossedBooks}, resyncs {c.Resyncs}, snapshots {snapshots}, levels {sync.Book.BidCount}/{sync.Book.AskCount}");
        Assert.Equal(0, malformed);
        Assert.Equal(1, snapshots);
        Assert.Equal(1, c.SnapshotsApplied);
        Assert.Equal(expectedApplied, applied);
        Assert.Equal(expectedApplied, c.DiffsApplied);
        Assert.Equal(2, c.DiffsDroppedStale); // the two diffs buffered before the snapshot that it already contains
        Assert.Equal(0, c.Gaps);
        Assert.Equal(0, c.CrossedBooks);
        Assert.Equal(0, c.BadLevels);
        Assert.Equal(0, c.Resyncs);
        Assert.Equal(BookStatus.Synced, sync.Status);
        Assert.True(matches >= minimumMatches, $"top of book matched bookTicker in {matches} of {applied} states, expected at least {minimumMatches}");
    }

    private static IEnumerable<(DateTime ReceivedAt, byte[] Json)> ReadLines(string path)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            Assert.True(space > 0, "line without '<receive_ns> <json>'");
            var ns = long.Parse(line.AsSpan(0, space), System.Globalization.CultureInfo.InvariantCulture);
            yield return (DateTime.UnixEpoch.AddTicks(ns / 100), Encoding.UTF8.GetBytes(line[(space + 1)..]));
        }
    }

    /// <summary>../shared/data/hftbacktest next to the folder holding Orleans.sln, or null.</summary>
    internal static string? FindHftbacktestFolder() => Recording.RecordingTestFiles.SharedFolder("hftbacktest");
}
