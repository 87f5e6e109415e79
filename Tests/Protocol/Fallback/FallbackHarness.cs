using MarketData.Candles;
using MarketData.Exchanges.Binance;
using MarketData.Exchanges.Fallback;
using MarketData.Exchanges.Mexc;
using MarketData.Tests.Fakes;
using MarketData.Tests.Integration;
using Microsoft.Extensions.Time.Testing;

namespace MarketData.Tests.Protocol.Fallback;

/// <summary>Fake Binance + fake MEXC + the real clients, policy and fetcher, all on one fake clock.</summary>
internal sealed class FallbackHarness : IAsyncDisposable
{
    /// <summary>Not aligned to a minute, so the forming candle matters.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 12, 0, 30, 500, TimeSpan.Zero);

    private FallbackHarness(FakeTimeProvider time, FakeBinanceServer binanceServer, FakeMexcServer mexcServer, TimeSpan binanceTimeout, FallbackOptions options)
    {
        Time = time;
        BinanceServer = binanceServer;
        MexcServer = mexcServer;
        Budget = new RestWeightBudget(6000, time);
        Binance = new BinanceRestClient(binanceServer.RestBaseUrl, Budget, timeout: binanceTimeout);
        Mexc = new MexcRestClient(new MexcOptions { RestBaseUrl = mexcServer.RestBaseUrl.ToString() }, time);
        Policy = new ExchangeFallbackPolicy(options, time, ExchangeFallbackPolicy.BinanceProbe(Binance));
        Fetcher = new KlineFetcher(Binance, Mexc, Policy, time);
    }

    public FakeTimeProvider Time { get; }
    public FakeBinanceServer BinanceServer { get; }
    public FakeMexcServer MexcServer { get; }
    public RestWeightBudget Budget { get; }
    public BinanceRestClient Binance { get; }
    public MexcRestClient Mexc { get; }
    public ExchangeFallbackPolicy Policy { get; }
    public KlineFetcher Fetcher { get; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public static async Task<FallbackHarness> StartAsync(TimeSpan? binanceTimeout = null, Action<FallbackOptions>? configure = null)
    {
        var time = new FakeTimeProvider(Start);
        var binance = await FakeBinanceServer.StartAsync(time, 1, "BTCUSDT");
        var mexc = await FakeMexcServer.StartAsync(time);
        var options = new FallbackOptions { RetryDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        return new FallbackHarness(time, binance, mexc, binanceTimeout ?? TimeSpan.FromSeconds(20), options);
    }

    /// <summary>Advances the clock one probe interval and waits (bounded, real time) until that probe has been reported.</summary>
    public async Task AdvanceToNextProbeAsync()
    {
        var before = Policy.ProbesRun;
        Time.Advance(Policy.Options.ProbeInterval);
        await WaitUntilAsync(() => Policy.ProbesRun > before, "a Binance probe to complete");
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
        => Eventually.UntilAsync(condition, what, timeout, TimeSpan.FromMilliseconds(10));

    /// <summary>Open times strictly contiguous (no gap, no duplicate) and values equal to the synthetic series.</summary>
    public static void AssertContiguous(IReadOnlyList<Candle> candles, Timeframe timeframe, long firstOpenTime, string symbol = "BTCUSDT")
    {
        Assert.NotEmpty(candles);
        Assert.Equal(firstOpenTime, candles[0].OpenTime);
        for (var i = 0; i < candles.Count; i++)
        {
            var c = candles[i];
            Assert.Equal(firstOpenTime + i * timeframe.Milliseconds, c.OpenTime);
            Assert.True(c.IsClosed);
            var expected = SyntheticCandles.At(symbol, timeframe.Milliseconds, c.OpenTime);
            Assert.Equal(expected.CloseTime, c.CloseTime);
            Assert.Equal((expected.Open, expected.High, expected.Low, expected.Close, expected.Volume, expected.QuoteVolume),
                         (c.Open, c.High, c.Low, c.Close, c.Volume, c.QuoteVolume));
            if (c.Source == CandleSource.BinanceRest)
                Assert.Equal((expected.TradeCount, expected.TakerBuyVolume), (c.TradeCount, c.TakerBuyVolume));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Policy.Dispose();
        Binance.Dispose();
        Mexc.Dispose();
        await BinanceServer.DisposeAsync();
        await MexcServer.DisposeAsync();
    }
}
