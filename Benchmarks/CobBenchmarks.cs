using BenchmarkDotNet.Attributes;
using MarketData.Aggregation;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Books;
using MarketData.Streams;

namespace MarketData.Benchmarks;

/// <summary>
/// Per-second order-book aggregation. <see cref="AggregateSecond"/>: one symbol-second (bucketing + moving averages)
/// on a BTC-like book of 1,000 levels a side at $0.01 ticks around 61,000 with gaps of 1-3 ticks (so about $20 a
/// side, all inside the $50 range: every level is visited); target 50 µs.
/// <see cref="FillTickBufferThirtyMinutes"/>: 30 minutes at the reference rate (100 events/s = 10 depth diffs of 46
/// levels, as in the BTCUSDT recording, + 90 trades); the memory retained by it and by 1,800 seconds of history is
/// printed by the setup (target 16 MB per symbol together).
/// <para>
/// Measured (--job short, 2-core VM): AggregateSecond 7.7 µs, 1.48 KB allocated (the CobSecond, its copy with the
/// averages, bucket and average arrays). Memory: tick buffer 10.84 MB retained (arrays 10.80 MB, 6.67 MB encoded,
/// 0 overflow) + history 2.25 MB = 13.09 MB. Filling 30 minutes takes 29 ms (161 ns an event).
/// </para>
/// </summary>
[MemoryDiagnoser]
public class CobBenchmarks
{
    private const long Scale = 100_000_000;
    private const long Tick = 1_000_000; // $0.01
    private readonly OrderBook _book = new();
    private readonly BookAggregator _aggregator = new();
    private readonly ImbalanceAverager _averager = new();
    private readonly BucketConfig _config = BucketConfigResolver.BtcDefault;
    private long _second;
    private DepthDiff[] _diffs = [];
    private TradeEvent[] _trades = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var mid = 61_000 * Scale;
        var bids = new PriceLevel[1_000];
        var asks = new PriceLevel[1_000];
        long b = mid - Tick, a = mid;
        for (var i = 0; i < 1_000; i++)
        {
            bids[i] = new PriceLevel(b, random.NextInt64(1, 200_000) * 1_000);
            asks[i] = new PriceLevel(a, random.NextInt64(1, 200_000) * 1_000);
            b -= Tick * random.Next(1, 4);
            a += Tick * random.Next(1, 4);
        }
        if (!_book.TryLoadSnapshot(1, bids, asks, out var error)) throw new InvalidOperationException(error);
        for (var i = 0; i < 100; i++) AggregateSecond(); // warm the averages: 100 seconds with the same buckets

        (_diffs, _trades) = ReferenceThirtyMinutes(random);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var buffer = FillTickBufferThirtyMinutes();
        var afterTicks = GC.GetTotalMemory(forceFullCollection: true);
        var history = FillHistoryThirtyMinutes();
        var afterHistory = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// CobBenchmarks: tick buffer 30 min at reference rate: {buffer.Count:N0} events, retained {(afterTicks - before) / 1e6:F2} MB " +
                          $"(arrays {buffer.AllocatedBytes / 1e6:F2} MB, encoded {buffer.UsedDataBytes / 1e6:F2} MB), overflowed {buffer.Overflowed}");
        Console.WriteLine($"// CobBenchmarks: history 1,800 seconds ({history.Latest!.Buckets.Length} buckets + averages): retained {(afterHistory - afterTicks) / 1e6:F2} MB; " +
                          $"together {(afterHistory - before) / 1e6:F2} MB (target <= 16 MB)");
        GC.KeepAlive(buffer);
        GC.KeepAlive(history);
    }

    [Benchmark]
    public CobSecond AggregateSecond()
    {
        _second += 1_000;
        var cob = _aggregator.Aggregate(_second, _book, _config, default, _book.LastUpdateId);
        return _averager.Apply(cob);
    }

    [Benchmark]
    public TickBuffer FillTickBufferThirtyMinutes()
    {
        var buffer = new TickBuffer();
        int d = 0, t = 0;
        for (var second = 0; second < 1_800; second++)
        {
            for (var i = 0; i < 10; i++) buffer.Add(_diffs[d++]);
            for (var i = 0; i < 90; i++) buffer.Add(_trades[t++]);
        }
        return buffer;
    }

    private CobHistory FillHistoryThirtyMinutes()
    {
        var history = new CobHistory();
        var averager = new ImbalanceAverager();
        var aggregator = new BookAggregator();
        for (var s = 0; s < CobHistory.DefaultCapacity; s++)
            history.Add(averager.Apply(aggregator.Aggregate(s * 1_000L, _book, _config, new TradeFlow(1, 2, 3, 4, 5), 1)));
        return history;
    }

    private static (DepthDiff[] Diffs, TradeEvent[] Trades) ReferenceThirtyMinutes(Random random)
    {
        var start = new DateTime(2024, 8, 8, 0, 0, 0, DateTimeKind.Utc);
        var diffs = new DepthDiff[18_000];
        var trades = new TradeEvent[162_000];
        var mid = 61_000 * Scale;
        for (var i = 0; i < diffs.Length; i++)
        {
            var at = start.AddMilliseconds(i * 100);
            diffs[i] = new DepthDiff
            {
                ReceivedAt = at, FirstUpdateId = 50_000_000_000 + i * 30L, FinalUpdateId = 50_000_000_000 + i * 30L + 29,
                EventTime = (long)(at - DateTime.UnixEpoch).TotalMilliseconds + 1_270,
                Bids = Levels(random, mid - Tick, -1, 23), Asks = Levels(random, mid, +1, 23),
            };
        }
        for (var i = 0; i < trades.Length; i++)
        {
            var at = start.AddTicks(i * 111_111L);
            var ms = (long)(at - DateTime.UnixEpoch).TotalMilliseconds;
            trades[i] = new TradeEvent
            {
                ReceivedAt = at, TradeId = 3_735_000_000 + i, FirstTradeId = 3_735_000_000 + i, LastTradeId = 3_735_000_000 + i,
                Price = mid + random.Next(-500, 500) * Tick, Quantity = random.NextInt64(1, 100_000) * 1_000,
                TradeTime = ms + 1_269, EventTime = ms + 1_270, BuyerIsMaker = random.Next(2) == 0,
            };
        }
        return (diffs, trades);
    }

    /// <summary>Sorted levels outward from the top, spread over a few hundred ticks like real diffs; a third are removals.</summary>
    private static PriceLevel[] Levels(Random random, long top, int direction, int count)
    {
        var levels = new PriceLevel[count];
        var price = top;
        for (var i = 0; i < count; i++)
        {
            price += direction * Tick * random.Next(1, 60);
            levels[i] = new PriceLevel(price, random.Next(3) == 0 ? 0 : random.NextInt64(1, 300_000) * 1_000);
        }
        return levels;
    }
}
