using MarketData.Domain.Aggregation;
using MarketData.Streams;

namespace MarketData.Tests.Domain.Aggregation;

public class TickBufferTests
{
    private static readonly DateTime T0 = new(2024, 8, 8, 12, 0, 0, DateTimeKind.Utc);

    internal static DepthDiff Diff(DateTime at, long id, Random random, int levels)
    {
        var bids = Enumerable.Range(0, levels).Select(i => new PriceLevel(6_100_000_000_000 - i * random.Next(1, 500) * 1_000_000L, random.Next(3) == 0 ? 0 : random.NextInt64(1, 500_000) * 1_000)).ToArray();
        var asks = Enumerable.Range(0, random.Next(levels + 1)).Select(i => new PriceLevel(6_100_100_000_000 + i * random.Next(1, 500) * 1_000_000L, random.NextInt64(0, 100_000_000_000))).ToArray();
        return new DepthDiff { ReceivedAt = at, FirstUpdateId = id, FinalUpdateId = id + random.Next(0, 40), EventTime = (long)(at - DateTime.UnixEpoch).TotalMilliseconds + 1_270, Bids = bids, Asks = asks };
    }

    internal static TradeEvent Trade(DateTime at, long id, Random random, bool aggregate = false) => new()
    {
        ReceivedAt = at, TradeId = id, Price = 6_100_000_000_000 + random.Next(-10_000, 10_000) * 1_000_000L, Quantity = random.NextInt64(1, 10_000_000),
        TradeTime = (long)(at - DateTime.UnixEpoch).TotalMilliseconds - random.Next(0, 2_000), EventTime = (long)(at - DateTime.UnixEpoch).TotalMilliseconds - 3,
        BuyerIsMaker = random.Next(2) == 0, IsAggregate = aggregate, FirstTradeId = aggregate ? id - 3 : 0, LastTradeId = aggregate ? id : 0,
    };

    internal static void AssertSame(MarketEvent expected, MarketEvent actual)
    {
        Assert.Equal(expected.ReceivedAt, actual.ReceivedAt);
        switch (expected)
        {
            case DepthDiff d:
                var a = Assert.IsType<DepthDiff>(actual);
                Assert.Equal((d.FirstUpdateId, d.FinalUpdateId, d.EventTime), (a.FirstUpdateId, a.FinalUpdateId, a.EventTime));
                Assert.Equal(d.Bids, a.Bids);
                Assert.Equal(d.Asks, a.Asks);
                break;
            case TradeEvent t:
                Assert.Equal(t, Assert.IsType<TradeEvent>(actual));
                break;
        }
    }

    [Fact]
    public void Events_come_back_exactly_by_time_range()
    {
        var random = new Random(1);
        var buffer = new TickBuffer();
        var events = new List<MarketEvent>();
        for (var i = 0; i < 500; i++)
        {
            var at = T0.AddMilliseconds(i * 37);
            MarketEvent e = (i % 3) switch { 0 => Diff(at, 1_000 + i, random, random.Next(0, 60)), 1 => Trade(at, 5_000 + i, random), _ => Trade(at, 9_000 + i, random, aggregate: true) };
            events.Add(e);
            if (e is DepthDiff d) buffer.Add(d);
            else buffer.Add((TradeEvent)e);
        }
        var all = new List<MarketEvent>();
        Assert.Equal(500, buffer.Query(DateTime.MinValue, DateTime.MaxValue, all));
        for (var i = 0; i < 500; i++) AssertSame(events[i], all[i]);

        var some = new List<MarketEvent>();
        buffer.Query(T0.AddMilliseconds(37 * 100), T0.AddMilliseconds(37 * 110), some);
        Assert.Equal(10, some.Count);
        AssertSame(events[100], some[0]);
        Assert.Equal(0, buffer.Overflowed);
    }

    [Fact]
    public void Events_older_than_the_window_are_evicted_while_the_ring_wraps()
    {
        var random = new Random(2);
        var buffer = new TickBuffer(new TickBufferOptions { Window = TimeSpan.FromSeconds(10), InitialEntries = 64, InitialDataBytes = 64 * 1024 });
        var events = new List<MarketEvent>();
        for (var i = 0; i < 3_000; i++)
        {
            var at = T0.AddMilliseconds(i * 100);
            MarketEvent e = i % 2 == 0 ? Diff(at, i, random, random.Next(0, 30)) : Trade(at, i, random);
            events.Add(e);
            if (e is DepthDiff d) buffer.Add(d);
            else buffer.Add((TradeEvent)e);
        }
        // Kept: received within (newest - 10 s, newest] = the last 100.
        Assert.Equal(100, buffer.Count);
        Assert.Equal(2_900, buffer.Evicted);
        Assert.Equal(0, buffer.Overflowed);
        Assert.Equal(T0.AddMilliseconds(2_900 * 100), buffer.OldestReceivedAt);
        var held = new List<MarketEvent>();
        buffer.Query(DateTime.MinValue, DateTime.MaxValue, held);
        for (var i = 0; i < 100; i++) AssertSame(events[2_900 + i], held[i]);
    }

    [Fact]
    public void The_buffer_grows_with_the_rate_within_the_bound()
    {
        var random = new Random(3);
        var buffer = new TickBuffer(new TickBufferOptions { InitialEntries = 16, InitialDataBytes = 256 });
        var events = new List<MarketEvent>();
        for (var i = 0; i < 5_000; i++)
        {
            var e = i % 5 == 0 ? (MarketEvent)Diff(T0.AddMilliseconds(i), i, random, 40) : Trade(T0.AddMilliseconds(i), i, random);
            events.Add(e);
            if (e is DepthDiff d) buffer.Add(d);
            else buffer.Add((TradeEvent)e);
        }
        Assert.Equal(5_000, buffer.Count);
        Assert.Equal(0, buffer.Overflowed);
        Assert.True(buffer.AllocatedBytes > 16 * 12 + 256);
        var held = new List<MarketEvent>();
        buffer.Query(DateTime.MinValue, DateTime.MaxValue, held);
        for (var i = 0; i < held.Count; i++) AssertSame(events[i], held[i]);
    }

    [Fact]
    public void After_a_minute_the_buffer_grows_once_to_what_the_window_needs_at_the_rate_seen()
    {
        var random = new Random(6);
        var buffer = new TickBuffer(new TickBufferOptions { Window = TimeSpan.FromMinutes(30), InitialEntries = 16, InitialDataBytes = 256 });
        var grownAfterTheFirstMinute = 0;
        long size = 0;
        // Ten trades a second for the whole window: 18,000 events.
        for (var i = 0; i < 18_000; i++)
        {
            buffer.Add(Trade(T0.AddMilliseconds(i * 100), i, random));
            if (buffer.AllocatedBytes != size && i > 610) grownAfterTheFirstMinute++;
            size = buffer.AllocatedBytes;
        }
        Assert.Equal(18_000, buffer.Count);
        Assert.Equal(0, buffer.Overflowed);
        // Doubling during the first minute, then one step each for the index and the data to the window's need with
        // headroom (plain doubling would take about five more steps each, the last ones near minute 30).
        Assert.True(grownAfterTheFirstMinute <= 2, $"{grownAfterTheFirstMinute} growth steps after the first minute");
        Assert.True(size >= 18_000L * 12, $"{size} bytes cannot index 18,000 events");
        Assert.True(size <= 2 * 1.25 * 18_000 * (12 + 20), $"{size} bytes: grown far past the window's need");
    }

    [Fact]
    public void Hitting_the_bound_drops_the_oldest_and_counts_them()
    {
        var random = new Random(4);
        var options = new TickBufferOptions { InitialEntries = 16, InitialDataBytes = 256, MaxBytes = 64 * 1024 };
        var buffer = new TickBuffer(options);
        var events = new List<MarketEvent>();
        for (var i = 0; i < 20_000; i++)
        {
            var e = i % 4 == 0 ? (MarketEvent)Diff(T0.AddMilliseconds(i * 10), i, random, random.Next(0, 50)) : Trade(T0.AddMilliseconds(i * 10), i, random);
            events.Add(e);
            if (e is DepthDiff d) buffer.Add(d);
            else buffer.Add((TradeEvent)e);
            Assert.True(buffer.AllocatedBytes <= options.MaxBytes);
        }
        Assert.True(buffer.Overflowed > 0);
        Assert.Equal(0, buffer.Evicted); // all within 30 minutes: every drop is an overflow
        Assert.Equal(20_000, buffer.Count + buffer.Overflowed);
        var held = new List<MarketEvent>();
        buffer.Query(DateTime.MinValue, DateTime.MaxValue, held);
        var skip = 20_000 - held.Count;
        for (var i = 0; i < held.Count; i++) AssertSame(events[skip + i], held[i]); // the newest are kept
        Assert.Equal(events[skip].ReceivedAt, buffer.OldestReceivedAt);
    }

    [Fact]
    public void An_event_larger_than_the_bound_is_counted_not_stored()
    {
        var buffer = new TickBuffer(new TickBufferOptions { InitialEntries = 16, InitialDataBytes = 256, MaxBytes = 1024 });
        buffer.Add(Diff(T0, 1, new Random(5), 2_000));
        Assert.Equal(0, buffer.Count);
        Assert.Equal(1, buffer.Overflowed);
    }
}
