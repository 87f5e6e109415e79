using System.Net;
using System.Text;
using MarketData.Candles;
using MarketData.Exchanges;
using MarketData.Exchanges.Fallback;
using MarketData.Exchanges.Mexc;
using MarketData.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace MarketData.Tests.Protocol.Fallback;

/// <summary>The MEXC REST client against the fake MEXC server, and MEXC's kline row format.</summary>
public sealed class MexcRestClientTests : IAsyncLifetime, IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 12, 0, 30, TimeSpan.Zero));
    private FakeMexcServer _server = null!;
    private MexcRestClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeMexcServer.StartAsync(_time);
        _client = new MexcRestClient(new MexcOptions { RestBaseUrl = _server.RestBaseUrl.ToString() }, _time);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _client.Dispose();

    [Fact]
    public void Interval_names_follow_mexc_and_1s_is_a_clear_error()
    {
        Assert.Equal("1m", MexcRestClient.IntervalName(Timeframe.OneMinute));
        Assert.Equal("60m", MexcRestClient.IntervalName(Timeframe.OneHour));
        Assert.Equal("1d", MexcRestClient.IntervalName(Timeframe.OneDay));
        var ex = Assert.Throws<NotSupportedException>(() => MexcRestClient.IntervalName(Timeframe.OneSecond));
        Assert.Contains("MEXC has no '1s' klines", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_second_klines_fail_before_any_request()
    {
        await Assert.ThrowsAsync<NotSupportedException>(() => _client.GetKlinesAsync("BTCUSDT", Timeframe.OneSecond, null, null, 10, CancellationToken.None));
        Assert.Equal(0, _server.RestRequests);
    }

    [Theory]
    [InlineData("1h")]
    [InlineData("1s")]
    public async Task Fake_rejects_binance_interval_names_exactly_like_mexc(string interval)
    {
        using var http = new HttpClient { BaseAddress = _server.RestBaseUrl };
        using var response = await http.GetAsync(new Uri($"api/v3/klines?symbol=BTCUSDT&interval={interval}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("{\"msg\":\"Invalid interval.\",\"code\":-1121,\"_extend\":null}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Klines_are_8_column_rows_oldest_first_with_the_shared_synthetic_values()
    {
        var h1 = Timeframe.OneHour;
        var start = h1.OpenTimeOf(_time.GetUtcNow().ToUnixTimeMilliseconds()) - 5 * h1.Milliseconds;
        var body = await _client.GetKlinesAsync("ETHUSDT", h1, start, null, 1000, CancellationToken.None);
        Assert.Contains("interval=60m", _server.Requests.Last(), StringComparison.Ordinal);
        var candles = new List<Candle>();
        var rejected = new List<string>();
        Assert.True(KlineRowReader.TryRead(body, KlineRowFormat.Mexc8, h1, CandleSource.MexcRest, candles, rejected, out var error), error);
        Assert.Empty(rejected);
        Assert.Equal(6, candles.Count); // 5 closed + the forming one (the fetcher drops it)
        for (var i = 0; i < candles.Count; i++)
        {
            var expected = SyntheticCandles.At("ETHUSDT", h1.Milliseconds, start + i * h1.Milliseconds);
            Assert.Equal(expected.OpenTime, candles[i].OpenTime);
            Assert.Equal(expected.CloseTime, candles[i].CloseTime); // MEXC's open + interval normalised to open + interval - 1
            Assert.Equal(expected.Close, candles[i].Close);
            Assert.Equal(CandleFlags.None, candles[i].Flags);
        }
    }

    [Fact]
    public async Task Depth_ticker_and_24h_ticker_have_the_binance_shapes()
    {
        var depth = Encoding.UTF8.GetString(await _client.GetDepthSnapshotAsync("BTCUSDT", 5, CancellationToken.None));
        Assert.StartsWith("{\"lastUpdateId\":", depth, StringComparison.Ordinal);
        Assert.Contains("\"bids\":[[", depth, StringComparison.Ordinal);
        var price = await _client.GetTickerPriceAsync("BTCUSDT", CancellationToken.None);
        Assert.Equal(new TickerPrice("BTCUSDT", SyntheticCandles.LastPrice("BTCUSDT", _time.GetUtcNow().ToUnixTimeMilliseconds())), price);
        var ticker = Encoding.UTF8.GetString(await _client.GetTicker24hAsync("BTCUSDT", CancellationToken.None));
        Assert.Contains("\"lastPrice\":", ticker, StringComparison.Ordinal);
        await _client.PingAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Exchange_errors_are_surfaced_with_code_and_message()
    {
        _server.InvalidSymbols.Add("NOPEUSDT");
        var ex = await Assert.ThrowsAsync<MexcRestException>(() => _client.GetTickerPriceAsync("NOPEUSDT", CancellationToken.None));
        Assert.Equal((HttpStatusCode.BadRequest, -1121, ExchangeFailure.BadRequest), (ex.Status!.Value, ex.Code!.Value, ex.Failure));
        Assert.Contains("code -1121: Invalid symbol.", ex.Message, StringComparison.Ordinal);
        Assert.Equal("mexc", ex.Exchange);
    }

    [Fact]
    public async Task Rate_limit_blocks_the_client_until_retry_after()
    {
        _server.EnqueueRestFault(HttpStatusCode.TooManyRequests, 7);
        var ex = await Assert.ThrowsAsync<MexcRestException>(() => _client.GetTickerPriceAsync("BTCUSDT", CancellationToken.None));
        Assert.Equal(ExchangeFailure.RateLimited, ex.Failure);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal(_time.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(7), _client.Budget.BlockedUntil);

        var requests = _server.RestRequests;
        var next = _client.GetTickerPriceAsync("BTCUSDT", CancellationToken.None);
        Assert.False(next.IsCompleted);
        Assert.Equal(requests, _server.RestRequests); // waits in the budget, no request
        _time.Advance(TimeSpan.FromSeconds(7));
        await next.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(requests + 1, _server.RestRequests);
    }

    [Fact]
    public void Budget_counts_requests_per_endpoint_per_window()
    {
        var budget = new MexcRequestBudget(2, TimeSpan.FromSeconds(10), _time);
        Assert.True(budget.TryReserve("klines", out _));
        Assert.True(budget.TryReserve("klines", out _));
        Assert.False(budget.TryReserve("klines", out var wait));
        Assert.True(wait > TimeSpan.Zero && wait <= TimeSpan.FromSeconds(10));
        Assert.True(budget.TryReserve("depth", out _)); // other endpoints have their own count
        _time.Advance(wait);
        Assert.True(budget.TryReserve("klines", out _));
    }

    [Fact]
    public void Row_reader_rejects_bad_rows_and_bad_bodies()
    {
        var m1 = Timeframe.OneMinute;
        const string good = "[1767614400000,\"10.5\",\"11\",\"10\",\"10.7\",\"1.123456789123\",1767614460000,\"12.000000001\"]";
        var body = "[" + good
            + ",[1767614460000,\"10.5\",\"9\",\"10\",\"10.7\",\"1\",1767614520000,\"1\"]"    // high below low
            + ",[1767614520000,\"10.5\",\"11\",\"10\",\"10.7\",\"-1\",1767614580000,\"1\"]"  // negative volume
            + ",[1767614580001,\"10.5\",\"11\",\"10\",\"10.7\",\"1\",1767614640000,\"1\"]"  // unaligned open time
            + ",[1767614640000,\"10.5\",\"11\",\"10\",\"10.7\",\"1\",1767614670000,\"1\"]"  // cut short by an outage: kept, flagged
            + "]";
        var candles = new List<Candle>();
        var rejected = new List<string>();
        Assert.True(KlineRowReader.TryRead(Encoding.UTF8.GetBytes(body), KlineRowFormat.Mexc8, m1, CandleSource.MexcRest, candles, rejected, out _));
        Assert.Equal(2, candles.Count);
        Assert.Equal(112_345_678, candles[0].Volume); // MEXC's 9th+ decimals truncated
        Assert.Equal(1767614459999, candles[0].CloseTime);
        Assert.Equal(CandleFlags.CutShort, candles[1].Flags);
        Assert.Equal(3, rejected.Count);
        Assert.Contains("high", rejected[0], StringComparison.Ordinal);
        Assert.Contains("negative", rejected[1], StringComparison.Ordinal);
        Assert.Contains("not aligned", rejected[2], StringComparison.Ordinal);

        Assert.False(KlineRowReader.TryRead(Encoding.UTF8.GetBytes("[" + good + ",[1767614460000,\"10"), KlineRowFormat.Mexc8, m1, CandleSource.MexcRest, candles, rejected, out var error));
        Assert.Contains("invalid JSON", error, StringComparison.Ordinal);
        Assert.False(KlineRowReader.TryRead("{\"code\":-1121,\"msg\":\"Invalid interval.\"}"u8, KlineRowFormat.Mexc8, m1, CandleSource.MexcRest, candles, rejected, out error));
        // Binance's 12-column format does not accept more than 8 decimals anywhere, and needs 11+ columns.
        candles.Clear();
        rejected.Clear();
        Assert.True(KlineRowReader.TryRead(Encoding.UTF8.GetBytes("[" + good + "]"), KlineRowFormat.Binance12, m1, CandleSource.BinanceRest, candles, rejected, out _));
        Assert.Empty(candles);
        Assert.Single(rejected);
    }
}
