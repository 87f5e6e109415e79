using System.Text;
using MarketData.Candles;
using MarketData.Exchanges;
using MarketData.Exchanges.Binance;
using MarketData.Exchanges.Fallback;
using MarketData.Tests.Fakes;

namespace MarketData.Tests.Protocol.Fallback;

/// <summary>Binance REST klines, ping and ticker through the real client against the fake server.</summary>
public sealed class BinanceRestKlinesTests
{
    [Fact]
    public async Task Klines_follow_binance_start_end_limit_semantics_and_cost_weight_2()
    {
        await using var h = await FallbackHarness.StartAsync();
        var m1 = Timeframe.OneMinute;
        var current = m1.OpenTimeOf(h.NowMs);

        // Only endTime: the newest rows up to it, oldest first.
        var rows = Read(await h.Binance.GetKlinesAsync("BTCUSDT", m1, null, current - 10 * m1.Milliseconds, 3, CancellationToken.None), m1);
        Assert.Equal([current - 12 * m1.Milliseconds, current - 11 * m1.Milliseconds, current - 10 * m1.Milliseconds], rows.Select(c => c.OpenTime));
        // An unaligned startTime starts at the next open time; without endTime it runs up to the forming candle.
        rows = Read(await h.Binance.GetKlinesAsync("BTCUSDT", m1, current - 3 * m1.Milliseconds + 1, null, 1000, CancellationToken.None), m1);
        Assert.Equal([current - 2 * m1.Milliseconds, current - m1.Milliseconds, current], rows.Select(c => c.OpenTime));
        Assert.Equal(4, h.Budget.Used);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Binance.GetKlinesAsync("BTCUSDT", m1, null, null, 1001, CancellationToken.None));
        await h.Binance.PingAsync(CancellationToken.None);
        Assert.Equal(5, h.Budget.Used);
        var price = await h.Binance.GetTickerPriceAsync("BTCUSDT", CancellationToken.None);
        Assert.Equal(SyntheticCandles.LastPrice("BTCUSDT", h.NowMs), price.Price);
        Assert.Equal(7, h.Budget.Used);
    }

    [Fact]
    public async Task Fetcher_rounds_an_unaligned_start_up_and_pages_long_ranges()
    {
        await using var h = await FallbackHarness.StartAsync();
        var m1 = Timeframe.OneMinute;
        var from = m1.OpenTimeOf(h.NowMs) - 2500 * m1.Milliseconds;
        var result = await h.Fetcher.FetchAsync("BTCUSDT", m1, from - 59_999, from + 2100 * m1.Milliseconds, CancellationToken.None);
        Assert.Equal(2101, result.Count);
        Assert.Equal(3, result.BinancePages);
        Assert.Equal(0, result.Switches);
        FallbackHarness.AssertContiguous(result, m1, from);
    }

    [Fact]
    public async Task Refused_connection_is_classified_as_connection_refused()
    {
        await using var h = await FallbackHarness.StartAsync();
        await h.BinanceServer.RefuseConnectionsAsync();
        var ex = await Assert.ThrowsAsync<BinanceRestException>(() => h.Binance.PingAsync(CancellationToken.None));
        Assert.Equal(ExchangeFailure.ConnectionRefused, ex.Failure);
        Assert.Null(ex.Status);
    }

    private static List<Candle> Read(byte[] body, Timeframe timeframe)
    {
        var candles = new List<Candle>();
        var rejected = new List<string>();
        Assert.True(KlineRowReader.TryRead(body, KlineRowFormat.Binance12, timeframe, CandleSource.BinanceRest, candles, rejected, out var error), error ?? Encoding.UTF8.GetString(body));
        Assert.Empty(rejected);
        return candles;
    }
}
