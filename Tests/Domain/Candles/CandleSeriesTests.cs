using MarketData.Candles;
using MarketData.Domain.Candles;
using static MarketData.Tests.Domain.Candles.CandleTestData;

namespace MarketData.Tests.Domain.Candles;

public class CandleSeriesTests
{
    private static readonly Timeframe M1 = Timeframe.OneMinute;
    private const long T0 = 1_722_000_000_000 - 1_722_000_000_000 % 60_000; // an aligned minute
    private static long T(int minute) => T0 + minute * 60_000L;

    public static TheoryData<string, CandleRejectReason> BadCandles() => new()
    {
        { "high below low", CandleRejectReason.HighBelowLow },
        { "open above high", CandleRejectReason.OpenOutsideRange },
        { "open below low", CandleRejectReason.OpenOutsideRange },
        { "close above high", CandleRejectReason.CloseOutsideRange },
        { "zero low", CandleRejectReason.NonPositivePrice },
        { "negative volume", CandleRejectReason.NegativeVolume },
        { "negative quote volume", CandleRejectReason.NegativeVolume },
        { "negative taker volume", CandleRejectReason.NegativeVolume },
        { "taker above volume", CandleRejectReason.TakerBuyAboveVolume },
        { "negative count", CandleRejectReason.NegativeCount },
        { "misaligned open", CandleRejectReason.Misaligned },
        { "negative open", CandleRejectReason.Misaligned },
        { "close before open", CandleRejectReason.InvalidCloseTime },
        { "close beyond interval", CandleRejectReason.InvalidCloseTime },
        { "a 1h candle in a 1m series", CandleRejectReason.InvalidCloseTime },
    };

    private static Candle Corrupt(string what, Candle c) => what switch
    {
        "high below low" => c with { High = c.Low - 1 },
        "open above high" => c with { Open = c.High + 1 },
        "open below low" => c with { Open = c.Low - 1 },
        "close above high" => c with { Close = c.High + 1 },
        "zero low" => c with { Low = 0, Open = 0 },
        "negative volume" => c with { Volume = -1 },
        "negative quote volume" => c with { QuoteVolume = -1 },
        "negative taker volume" => c with { TakerBuyVolume = -1 },
        "taker above volume" => c with { TakerBuyVolume = c.Volume + 1 },
        "negative count" => c with { TradeCount = -1 },
        "misaligned open" => c with { OpenTime = c.OpenTime + 1, CloseTime = c.CloseTime + 1 },
        "negative open" => c with { OpenTime = -60_000, CloseTime = -1 },
        "close before open" => c with { CloseTime = c.OpenTime - 1 },
        "close beyond interval" => c with { CloseTime = c.OpenTime + 60_000 },
        "a 1h candle in a 1m series" => c with { CloseTime = c.OpenTime + 3_600_000 - 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    [Theory]
    [MemberData(nameof(BadCandles))]
    public void Bad_candles_are_rejected_counted_and_leave_the_last_good_state(string what, CandleRejectReason expected)
    {
        var series = new CandleSeries(M1);
        series.Apply(Make(M1, T(0)));
        series.Apply(Make(M1, T(1), closed: false));
        var before = series.ToArray();

        foreach (var closed in new[] { true, false })
        {
            var bad = Corrupt(what, Make(M1, T(1), price: 200, closed: closed));
            var outcome = series.Apply(bad);
            Assert.Equal(CandleApplyResult.Rejected, outcome.Result);
            Assert.Equal(expected, outcome.Reason);
            Assert.False(outcome.Changed);
        }
        Assert.Equal(before, series.ToArray());
        Assert.Equal(2, series.Counters.Rejected);
        Assert.Equal(2, series.Counters.RejectedBy(expected));
        Assert.Empty(series.Gaps);
    }

    [Fact]
    public void Closed_candles_append_and_a_forming_candle_closes()
    {
        var series = new CandleSeries(M1);
        Assert.Equal(CandleApplyResult.Appended, series.Apply(Make(M1, T(0))).Result);
        Assert.Equal(CandleApplyResult.UpdatedForming, series.Apply(Make(M1, T(1), volume: 1, closed: false)).Result);
        Assert.Equal(CandleApplyResult.UpdatedForming, series.Apply(Make(M1, T(1), volume: 2, closed: false)).Result);
        Assert.Equal(1, series.Count);
        Assert.Equal(Px(2), series.Forming!.Value.Volume);
        Assert.False(series.Forming.Value.IsClosed);

        Assert.Equal(CandleApplyResult.Closed, series.Apply(Make(M1, T(1), volume: 3)).Result);
        Assert.Null(series.Forming);
        Assert.Equal(2, series.Count);
        Assert.Equal(Px(3), series.LastClosed!.Value.Volume);
        Assert.Equal(CandleFlags.Closed, series.LastClosed.Value.Flags);
    }

    [Fact]
    public void Forming_updates_that_go_backwards_or_behind_are_rejected()
    {
        var series = new CandleSeries(M1);
        series.Apply(Make(M1, T(0)));
        series.Apply(Make(M1, T(1), volume: 5, trades: 50, closed: false));
        Assert.Equal(CandleRejectReason.FormingWentBackwards, series.Apply(Make(M1, T(1), volume: 4, trades: 50, closed: false)).Reason);
        Assert.Equal(CandleRejectReason.FormingWentBackwards, series.Apply(Make(M1, T(1), volume: 5, trades: 49, closed: false)).Reason);
        Assert.Equal(CandleRejectReason.StaleForming, series.Apply(Make(M1, T(0), closed: false)).Reason);
        Assert.Equal(CandleApplyResult.Duplicate, series.Apply(Make(M1, T(1), volume: 5, trades: 50, closed: false)).Result);
        // A forming candle of a later interval replaces one that never closed; then an earlier forming one is stale.
        Assert.Equal(CandleApplyResult.UpdatedForming, series.Apply(Make(M1, T(2), closed: false)).Result);
        Assert.Equal(1, series.Counters.FormingAbandoned);
        Assert.Equal(CandleRejectReason.StaleForming, series.Apply(Make(M1, T(1), volume: 9, trades: 99, closed: false)).Reason);
        Assert.Equal(T(2), series.Forming!.Value.OpenTime);
    }

    [Fact]
    public void Cut_short_candles_are_accepted_and_flagged()
    {
        var series = new CandleSeries(Timeframe.OneHour);
        var open = 1_515_038_400_000 - 3_600_000; // 2018-01-04 03:00: the real bar closed 14,839 ms after its open
        var cut = Make(Timeframe.OneHour, open) with { CloseTime = open + 14_839 };
        Assert.Equal(CandleApplyResult.Appended, series.Apply(cut).Result);
        Assert.Equal(CandleFlags.Closed | CandleFlags.CutShort, series.LastClosed!.Value.Flags);
        Assert.Equal(1, series.Counters.CutShort);
        // The shortest possible: closed at its open millisecond.
        var shortest = Make(Timeframe.OneHour, open + 3_600_000) with { CloseTime = open + 3_600_000 };
        Assert.Equal(CandleApplyResult.Appended, series.Apply(shortest).Result);
        Assert.Equal(2, series.Counters.CutShort);
    }

    [Fact]
    public void Duplicate_closed_candles_change_nothing_and_conflicts_are_rejected()
    {
        var series = new CandleSeries(M1);
        var a = Make(M1, T(0));
        series.Apply(a);
        series.Apply(Make(M1, T(1)));
        var before = series.ToArray();
        Assert.Equal(CandleApplyResult.Duplicate, series.Apply(a).Result);
        Assert.Equal(CandleApplyResult.Duplicate, series.Apply(a with { Source = CandleSource.BinanceStream }).Result); // same numbers from another path
        Assert.Equal(CandleApplyResult.Duplicate, series.Apply(Make(M1, T(1))).Result);
        Assert.Equal(CandleRejectReason.ConflictingDuplicate, series.Apply(a with { Close = a.High }).Reason);
        Assert.Equal(before, series.ToArray());
        Assert.Equal(3, series.Counters.Duplicates);
    }

    [Fact]
    public void Exchange_candle_replaces_a_trade_built_one_as_a_repair()
    {
        var series = new CandleSeries(M1);
        series.Apply(Make(M1, T(0), volume: 1, source: CandleSource.Trades));
        series.Apply(Make(M1, T(1), source: CandleSource.Trades));
        var outcome = series.Apply(Make(M1, T(0), volume: 2, source: CandleSource.BinanceRest));
        Assert.Equal(CandleApplyResult.Repaired, outcome.Result);
        Assert.Equal(Px(2), series[0].Volume);
        Assert.Equal(CandleSource.BinanceRest, series[0].Source);
        Assert.True((series[0].Flags & CandleFlags.Repaired) != 0);
        // The reverse is not a repair.
        Assert.Equal(CandleRejectReason.ConflictingDuplicate, series.Apply(Make(M1, T(0), volume: 3, source: CandleSource.Trades)).Reason);
    }

    [Fact]
    public void Out_of_order_candles_outside_any_gap_are_rejected()
    {
        var series = new CandleSeries(M1);
        series.Apply(Make(M1, T(5)));
        series.Apply(Make(M1, T(6)));
        var outcome = series.Apply(Make(M1, T(4)));
        Assert.Equal(CandleApplyResult.Rejected, outcome.Result);
        Assert.Equal(CandleRejectReason.OutOfOrder, outcome.Reason);
        Assert.Equal(2, series.Count);
    }

    [Fact]
    public void Gaps_are_detected_and_repaired_in_place()
    {
        var series = new CandleSeries(M1);
        series.Apply(Make(M1, T(0)));
        series.Apply(Make(M1, T(1)));
        series.Apply(Make(M1, T(5))); // 2, 3, 4 missing
        series.Apply(Make(M1, T(7))); // 6 missing
        Assert.Equal([new CandleGap(T(2), T(4)), new CandleGap(T(6), T(6))], series.Gaps);
        Assert.Equal(4, series.MissingCount);
        Assert.Equal(2, series.Counters.GapsDetected);

        Assert.Equal(CandleApplyResult.Repaired, series.Apply(Make(M1, T(3))).Result); // splits 2..4
        Assert.Equal([new CandleGap(T(2), T(2)), new CandleGap(T(4), T(4)), new CandleGap(T(6), T(6))], series.Gaps);
        Assert.Equal(CandleApplyResult.Repaired, series.Apply(Make(M1, T(6))).Result);
        Assert.Equal(CandleApplyResult.Repaired, series.Apply(Make(M1, T(2))).Result);
        Assert.Equal(CandleApplyResult.Repaired, series.Apply(Make(M1, T(4))).Result);
        Assert.Empty(series.Gaps);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => T(i)), series.Latest(100).Select(c => c.OpenTime));
        Assert.All(series.Range(T(2), T(4)), c => Assert.True((c.Flags & CandleFlags.Repaired) != 0));
        Assert.Equal(CandleFlags.Closed, series[0].Flags);
        Assert.Equal(CandleApplyResult.Duplicate, series.Apply(Make(M1, T(3))).Result);
        Assert.Equal(4, series.Counters.Repaired);
    }

    [Fact]
    public void A_gap_longer_than_the_capacity_is_truncated_and_old_candles_are_evicted()
    {
        var series = new CandleSeries(M1, capacity: 10);
        for (var i = 0; i < 10; i++) series.Apply(Make(M1, T(i)));
        series.Apply(Make(M1, T(100))); // 10..99 missing, but only 91..99 fit in the last 10 slots
        Assert.Equal([new CandleGap(T(91), T(99))], series.Gaps);
        Assert.Equal(9, series.Counters.MissingDetected);
        Assert.Equal(10, series.Count);
        Assert.Equal(T(1), series[0].OpenTime);
        Assert.Equal(1, series.Counters.Evicted);

        // Repairing evicts the older candles that lie before the window.
        Assert.Equal(CandleRejectReason.OutOfOrder, series.Apply(Make(M1, T(50))).Reason);
        for (var i = 91; i < 100; i++) Assert.Equal(CandleApplyResult.Repaired, series.Apply(Make(M1, T(i))).Result);
        Assert.Empty(series.Gaps);
        Assert.Equal(Enumerable.Range(91, 10).Select(i => T(i)), series.Latest(10).Select(c => c.OpenTime));
        Assert.Equal(10, series.Counters.Evicted);
    }

    [Fact]
    public void Ring_buffer_keeps_the_latest_capacity_candles()
    {
        var series = new CandleSeries(M1, capacity: 5);
        for (var i = 0; i < 12; i++) series.Apply(Make(M1, T(i), price: 100 + i));
        Assert.Equal(5, series.Count);
        Assert.Equal(7, series.Counters.Evicted);
        Assert.Equal([T(7), T(8), T(9), T(10), T(11)], series.Latest(99).Select(c => c.OpenTime));
        Assert.Equal([T(10), T(11)], series.Latest(2).Select(c => c.OpenTime));
        Assert.Empty(series.Latest(0));
        Assert.Equal([T(8), T(9)], series.Range(T(8), T(9)).Select(c => c.OpenTime));
        Assert.Equal([T(7), T(8)], series.Range(T(0), T(8)).Select(c => c.OpenTime));
        Assert.Empty(series.Range(T(20), T(30)));
        Span<Candle> buffer = stackalloc Candle[3];
        Assert.Equal(3, series.CopyLatest(buffer));
        Assert.Equal(T(9), buffer[0].OpenTime);
        Assert.Equal(CandleRejectReason.OutOfOrder, series.Apply(Make(M1, T(3))).Reason); // evicted long ago
    }

    [Fact]
    public void AsOf_returns_only_candles_closed_by_then()
    {
        var series = new CandleSeries(M1);
        for (var i = 0; i < 5; i++) series.Apply(Make(M1, T(i)));
        series.Apply(Make(M1, T(5), closed: false));
        Assert.Empty(series.AsOf(T(0)));
        Assert.Empty(series.AsOf(T(1) - 2));
        Assert.Equal([T(0)], series.AsOf(T(1) - 1).Select(c => c.OpenTime)); // closed at its last millisecond
        Assert.Equal([T(0), T(1), T(2)], series.AsOf(T(3)).Select(c => c.OpenTime));
        Assert.Equal([T(1), T(2)], series.AsOf(T(3), limit: 2).Select(c => c.OpenTime));
        // Long after: all closed candles, never the forming one.
        var all = series.AsOf(long.MaxValue);
        Assert.Equal(5, all.Length);
        Assert.All(all, c => Assert.True(c.IsClosed));
    }

    [Fact]
    public void Snapshot_and_restore_round_trip()
    {
        var series = new CandleSeries(M1, capacity: 8);
        for (var i = 0; i < 6; i++) series.Apply(Make(M1, T(i)));
        series.Apply(Make(M1, T(9)));                       // gap 6..8
        series.Apply(Make(M1, T(7)));                       // repaired
        series.Apply(Make(M1, T(10)) with { CloseTime = T(10) + 5 }); // cut short
        series.Apply(Make(M1, T(11), closed: false));
        var state = series.ToArray();

        var restored = new CandleSeries(M1, capacity: 8);
        Assert.Equal(0, restored.Restore(state));
        Assert.Equal(state, restored.ToArray());
        Assert.Equal(series.Gaps, restored.Gaps);
        Assert.Equal(series.Forming, restored.Forming);
        Assert.Equal(0, restored.Counters.Appended); // counters describe live traffic only
        Assert.Equal(CandleApplyResult.Repaired, restored.Apply(Make(M1, T(6))).Result);
        Assert.Equal(CandleApplyResult.Repaired, restored.Apply(Make(M1, T(8))).Result);
        Assert.Empty(restored.Gaps);
    }
}
