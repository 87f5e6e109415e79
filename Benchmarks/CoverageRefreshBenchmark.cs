using BenchmarkDotNet.Attributes;
using MarketData.Books;
using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.Streams;

namespace MarketData.Benchmarks;

/// <summary>
/// What a book grain spends on a snapshot, on the real BTCUSDT book of the hftbacktest recording (MIT; the 1,000-level
/// REST snapshot and the diffs after it): a <b>resync</b> (the snapshot loads the whole book and drains the diffs
/// buffered since) against a <b>coverage refresh</b> (the same snapshot, older than the synced book by the same diffs,
/// merged without leaving synced: the prices later diffs changed are kept, every other level of the snapshot's range is
/// compared and set). The snapshot is the book halfway through <see cref="Diffs"/> diffs (the 100 ms stream over about a
/// second): the resync drains the later half from its buffer, the refresh keeps the prices the later half changed.
/// Each operation processes one snapshot on a book prepared in <c>IterationSetup</c>.
/// </summary>
[MemoryDiagnoser]
public class CoverageRefreshBenchmark
{
    private const int Books = 64;

    [Params(10)]
    public int Diffs { get; set; }

    private DepthSnapshot _snapshot = null!;
    private DepthSnapshot _recorded = null!;
    private DepthDiff[] _before = [];
    private DepthDiff[] _after = [];
    private readonly OrderBookSynchronizer[] _books = new OrderBookSynchronizer[Books];

    [GlobalSetup]
    public void Setup()
    {
        var parser = new BinanceFrameParser();
        var receivedAt = new DateTime(2024, 8, 8, 23, 54, 14, DateTimeKind.Utc);
        var before = new List<DepthDiff>();
        var after = new List<DepthDiff>();
        DepthSnapshot? recorded = null;
        foreach (var frame in ParseAndApplyBenchmark.ReadFrames(ParseAndApplyBenchmark.FindRecording("binance-spot_btcusdt_20240808.gz")))
        {
            switch (parser.Parse(frame))
            {
                case BinanceFrameKind.DepthSnapshot:
                    recorded = ((DepthSnapshot)parser.ToEvent(receivedAt)) with { Limit = 1000 };
                    break;
                case BinanceFrameKind.DepthUpdate:
                    var diff = (DepthDiff)parser.ToEvent(receivedAt);
                    if (recorded is null) before.Add(diff);
                    else if (diff.FinalUpdateId > recorded.LastUpdateId) after.Add(diff);
                    break;
            }
            if (after.Count == Diffs) break;
        }
        _before = [.. before];
        _after = [.. after];
        _recorded = recorded ?? throw new InvalidOperationException("the recording holds no snapshot");
        // The snapshot both paths receive: the book as it stood halfway through the diffs, 1,000 levels a side (what
        // REST would have answered then), so that it is taken after the refresh began and the later diffs bridge it.
        var reference = new OrderBookSynchronizer();
        foreach (var d in _before) reference.OnDiff(d);
        reference.OnSnapshot(_recorded);
        foreach (var d in _after.Take(Diffs / 2)) reference.OnDiff(d);
        var bids = new PriceLevel[Math.Min(1000, reference.Book.BidCount)];
        var asks = new PriceLevel[Math.Min(1000, reference.Book.AskCount)];
        reference.Book.CopyBids(bids);
        reference.Book.CopyAsks(asks);
        _snapshot = _recorded with { LastUpdateId = reference.Book.LastUpdateId, Bids = bids, Asks = asks, Limit = Math.Max(bids.Length, asks.Length) };
        // One checked pass of each, so the benchmark measures the intended path.
        ResyncSetup();
        Resync();
        foreach (var b in _books) Check(b.Status == BookStatus.Synced && b.Counters.SnapshotsApplied == 1, $"resync did not sync: {b.Status} {b.StatusReason} {b.Counters.SnapshotsApplied}");
        RefreshSetup();
        Refresh();
        foreach (var b in _books) Check(b.Status == BookStatus.Synced && b.Counters.RefreshesApplied == 1, "refresh was not merged: " + b.LastRefresh);
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException(what);
    }

    [IterationSetup(Target = nameof(Resync))]
    public void ResyncSetup()
    {
        for (var i = 0; i < Books; i++)
        {
            // Diffs buffered while the snapshot was fetched: the ones before it and the ones after.
            var book = new OrderBookSynchronizer();
            foreach (var d in _before) book.OnDiff(d);
            foreach (var d in _after) book.OnDiff(d);
            _books[i] = book;
        }
    }

    [IterationSetup(Target = nameof(Refresh))]
    public void RefreshSetup()
    {
        for (var i = 0; i < Books; i++)
        {
            // Synced from the recorded snapshot, a refresh begun, then the diffs applied (and recorded) before it arrives.
            var book = new OrderBookSynchronizer();
            foreach (var d in _before) book.OnDiff(d);
            book.OnSnapshot(_recorded);
            book.BeginRefresh("benchmark");
            foreach (var d in _after) book.OnDiff(d);
            _books[i] = book;
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Books), InvocationCount(1)]
    public long Resync() => SnapshotToEachBook(); // each book is syncing: the snapshot loads it and drains the buffer

    [Benchmark(OperationsPerInvoke = Books), InvocationCount(1)]
    public long Refresh() => SnapshotToEachBook(); // each book is synced with a refresh under way: the snapshot merges

    private long SnapshotToEachBook()
    {
        long sum = 0;
        foreach (var book in _books)
        {
            book.OnSnapshot(_snapshot);
            sum += book.Book.LastUpdateId;
        }
        return sum;
    }
}
