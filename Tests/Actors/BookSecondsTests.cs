using MarketData.Actors;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace MarketData.Tests.Actors;

public class BookSecondsTests
{
    private sealed class FixedOptions(CobOptions value) : IOptionsMonitor<CobOptions>
    {
        public CobOptions CurrentValue { get; set; } = value;
        public CobOptions Get(string? name) => CurrentValue;
        public IDisposable? OnChange(Action<CobOptions, string?> listener) => null;
    }

    private static PriceLevel L(decimal price, decimal qty) => new(FixedPoint.FromDecimal(price), FixedPoint.FromDecimal(qty));

    private static DepthDiff Diff(long id, long eventTime) => new()
    {
        FirstUpdateId = id, FinalUpdateId = id, EventTime = eventTime, ReceivedAt = DateTime.UnixEpoch.AddMilliseconds(eventTime),
        Bids = [L(100, 1)], Asks = [L(101, 1)],
    };

    private static TradeEvent Trade(long id, long time) => new()
    {
        TradeId = id, Price = FixedPoint.FromDecimal(100.5m), Quantity = FixedPoint.FromDecimal(2), TradeTime = time, EventTime = time,
        ReceivedAt = DateTime.UnixEpoch.AddMilliseconds(time),
    };

    private static (BookSeconds Seconds, OrderBookSynchronizer Sync, FixedOptions Options) Synced()
    {
        var sync = new OrderBookSynchronizer();
        sync.OnDiff(Diff(10, 9_000));
        sync.OnSnapshot(new DepthSnapshot { LastUpdateId = 10, Limit = 1000, Bids = [L(100, 1)], Asks = [L(101, 1)] });
        var options = new FixedOptions(new CobOptions());
        return (new BookSeconds("BTCUSDT", sync, options, new FakeTimeProvider()), sync, options);
    }

    [Fact]
    public void A_trade_arriving_just_after_the_next_seconds_first_diff_still_counts_in_its_own_second()
    {
        var (seconds, sync, _) = Synced();
        seconds.BeforeDiff(Diff(11, 9_100)); sync.OnDiff(Diff(11, 9_100));
        seconds.OnTrade(Trade(1, 9_500));
        seconds.BeforeDiff(Diff(12, 10_050)); sync.OnDiff(Diff(12, 10_050));  // second 9 closes on the book...
        seconds.OnTrade(Trade(2, 9_980));                                     // ...and this trade of second 9 comes after
        Assert.Null(seconds.Latest);                                          // second 9 waits for its grace
        seconds.BeforeDiff(Diff(13, 10_400)); sync.OnDiff(Diff(13, 10_400));  // past 9 s + 1 s + 250 ms
        var second9 = Assert.IsType<MarketData.Aggregation.CobSecond>(seconds.Latest);
        Assert.Equal(9_000, second9.Time);
        Assert.False(second9.IsGap);
        Assert.Equal(2, second9.Flow.TradeCount);
        Assert.Equal(0, seconds.LateTrades);
    }

    [Fact]
    public void A_bad_bucket_setting_is_refused_with_a_reason_and_the_previous_one_stays()
    {
        var (seconds, sync, options) = Synced();
        options.CurrentValue = new CobOptions { Buckets = { ["BTCUSDT"] = new CobOptions.BucketSetting { Size = 0, Range = 50 } } };
        seconds.BeforeDiff(Diff(11, 9_100)); sync.OnDiff(Diff(11, 9_100));
        seconds.BeforeDiff(Diff(12, 11_500)); sync.OnDiff(Diff(12, 11_500));
        Assert.NotNull(seconds.ConfigError);
        Assert.Contains("Cob:Buckets", seconds.ConfigError, StringComparison.Ordinal);
        var latest = seconds.Latest;
        Assert.NotNull(latest);
        Assert.False(latest.IsGap);               // aggregated with the default BTC settings
        Assert.Equal(10 * FixedPoint.Scale, latest.BucketSize);
    }

    [Fact]
    public void Seconds_while_the_book_is_not_synced_are_gaps_with_the_reason()
    {
        var sync = new OrderBookSynchronizer();
        var seconds = new BookSeconds("BTCUSDT", sync, new FixedOptions(new CobOptions()), new FakeTimeProvider());
        seconds.BeforeDiff(Diff(5, 1_000)); sync.OnDiff(Diff(5, 1_000));
        seconds.BeforeDiff(Diff(6, 3_500)); sync.OnDiff(Diff(6, 3_500));
        var history = seconds.History(0, 10_000);
        Assert.Equal([1_000L, 2_000L], history.Select(c => c.Time));
        Assert.All(history, c => { Assert.True(c.IsGap); Assert.StartsWith("book syncing", c.GapReason, StringComparison.Ordinal); });
    }

    [Fact]
    public void The_input_view_picks_the_latest_second_ended_by_as_of_and_sums_the_minute_up_to_it()
    {
        var (seconds, sync, _) = Synced();
        long id = 11;
        // Seconds 9 to 20 with one trade each; each diff closes the seconds before it.
        for (var t = 9_100L; t <= 21_100; t += 1_000)
        {
            seconds.OnTrade(Trade(id, t + 100));
            seconds.BeforeDiff(Diff(id, t)); sync.OnDiff(Diff(id, t));
            id++;
        }
        seconds.BeforeDiff(Diff(id, 23_000)); sync.OnDiff(Diff(id, 23_000)); // commits up to second 21

        var latest = seconds.InputView(null, 5, MarketData.Aggregation.HeatmapMetric.Total);
        Assert.True(latest.IsLatest);
        MarketData.Tests.Domain.Aggregation.CobHistoryTests.AssertSameSeconds([seconds.Latest!], [latest.Aggregate!]);

        // As of 15.5 s: second 14 is the last that ended (second 15 is still open then).
        var past = seconds.InputView(15_500, 3, MarketData.Aggregation.HeatmapMetric.Total);
        Assert.False(past.IsLatest);
        Assert.Equal(14_000, past.Aggregate!.Time);
        Assert.Equal([12_000L, 13_000, 14_000], past.Heatmap!.Times);
        // Seconds 9..14 hold one trade of 2 each (the first trade arrived before second 9 opened: second 9 has it too).
        var expectedTrades = seconds.History(0, 14_000).Sum(s => s.Flow.TradeCount);
        Assert.Equal(expectedTrades, past.RecentFlow.TradeCount);
        Assert.Equal(expectedTrades * FixedPoint.FromDecimal(2), past.RecentFlow.BuyVolume + past.RecentFlow.SellVolume);
        Assert.Equal(FixedPoint.FromDecimal(100.5m), past.RecentFlow.Vwap);

        // Before the first second ended there is nothing.
        var before = seconds.InputView(9_999, 3, MarketData.Aggregation.HeatmapMetric.Total);
        Assert.Null(before.Aggregate);
        Assert.Null(before.Heatmap);
    }
}
