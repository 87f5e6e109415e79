using MarketData.Candles;
using MarketData.Instruments;
using MarketData.Pivots;
using MarketData.Tests.Fakes;
using Orleans.TestingHost;

namespace MarketData.Tests.Integration;

/// <summary>
/// How long pivot grains live, on a cluster of their own: forcing an idle collection deactivates every idle grain of the
/// cluster, which a shared fixture's feed must not suffer.
/// </summary>
public sealed class PivotGrainLifetimeTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
        => _cluster = await TestClusters.StartAsync(new Dictionary<string, string?> { ["Feeds:Mexc:Enabled"] = "false" });

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Idle_collection_spares_slow_timeframe_pivot_grains_between_closes()
    {
        // An instrument nothing feeds, so the only calls its grains get are this test's: a closed candle each, as
        // their candle grains would send, and a query of a third that no candle reaches.
        var idle = new Instrument("binance", "IDLEUSDT");
        var management = _cluster.Client.GetGrain<IManagementGrain>(0);
        var hour = _cluster.Client.GetGrain<IPivotGrain>(new CandleSeriesKey(idle, Timeframe.OneHour).Key);
        var second = _cluster.Client.GetGrain<IPivotGrain>(new CandleSeriesKey(idle, Timeframe.OneSecond).Key);
        var queried = _cluster.Client.GetGrain<IPivotGrain>(new CandleSeriesKey(idle, Timeframe.OneDay).Key);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await hour.OnClosedCandlesAsync([Closed(Timeframe.OneHour, now)]);
        await second.OnClosedCandlesAsync([Closed(Timeframe.OneSecond, now)]);
        await queried.GetBoundsAsync();
        Assert.Equal(1, await management.GetGrainActivationCount((GrainReference)hour));

        // All idle for longer than the collection age used below, and than the 1s grain's keep-alive (2 s).
        await Task.Delay(TimeSpan.FromSeconds(4));
        await Eventually.WaitAsync(async () =>
            {
                await management.ForceActivationCollection(TimeSpan.FromSeconds(3));
                return (await management.GetGrainActivationCount((GrainReference)second), await management.GetGrainActivationCount((GrainReference)queried));
            },
            counts => counts == (0, 0), "the idle 1s pivot grain and the merely queried 1d one collected");
        Assert.Equal(1, await management.GetGrainActivationCount((GrainReference)hour));

        static Candle Closed(Timeframe timeframe, long nowMs)
        {
            var open = timeframe.OpenTimeOf(nowMs) - timeframe.Milliseconds;
            return SyntheticCandles.At("IDLEUSDT", timeframe.Milliseconds, open) with { Flags = CandleFlags.Closed };
        }
    }
}
