using System.Net;
using MarketData.Candles;
using MarketData.Exchanges;
using MarketData.Exchanges.Fallback;
using MarketData.Tests.Fakes;

namespace MarketData.Tests.Protocol.Fallback;

/// <summary>
/// Binance fails in each way the fallback policy knows; candles continue from the fake MEXC server with open times
/// contiguous across the switch, the switch and its reason are visible, and after the fault clears the policy's
/// probes bring the source back to Binance.
/// </summary>
public sealed class KlineFallbackTests
{
    private const string Symbol = "BTCUSDT";
    private static readonly Timeframe M1 = Timeframe.OneMinute;

    [Theory]
    [InlineData(FakeRestFault.GeoBlocked451, ExchangeFailure.GeoBlocked)]
    [InlineData(FakeRestFault.Forbidden403, ExchangeFailure.GeoBlocked)]
    [InlineData(FakeRestFault.ServerError5xx, ExchangeFailure.ServerError)]
    [InlineData(FakeRestFault.DropConnection, ExchangeFailure.ConnectionLost)]
    [InlineData(FakeRestFault.Hang, ExchangeFailure.Timeout)]
    public async Task Failure_in_the_middle_of_a_range_continues_from_mexc_then_returns_to_binance(FakeRestFault fault, ExchangeFailure expected)
    {
        // A hang is only detected by the client's (real-time) timeout. It also bounds every healthy request, so it is
        // kept well above a starved test host's stalls: a healthy page that timed out would be a second switch.
        await using var h = await FallbackHarness.StartAsync(fault == FakeRestFault.Hang ? TimeSpan.FromSeconds(5) : null);
        var from = M1.OpenTimeOf(h.NowMs) - 5000 * M1.Milliseconds;

        var first = await h.Fetcher.FetchAsync(Symbol, M1, from, from + 1199 * M1.Milliseconds, CancellationToken.None);
        Assert.Equal(1200, first.Count);
        Assert.True(first.Complete);
        Assert.All(first, c => Assert.Equal(CandleSource.BinanceRest, c.Source));
        Assert.Equal(ExchangeSource.Binance, h.Policy.Current);

        // Binance serves one more page of the next range, then fails.
        h.BinanceServer.ArmRestFault(fault, afterRequests: 1);
        var second = await h.Fetcher.FetchAsync(Symbol, M1, first.NextOpenTime, first.NextOpenTime + 2499 * M1.Milliseconds, CancellationToken.None);
        Assert.Equal(2500, second.Count);
        Assert.True(second.Complete);
        Assert.Equal(1, second.Switches);
        Assert.Equal((1, 2), (second.BinancePages, second.MexcPages));
        Assert.All(second.Take(1000), c => Assert.Equal(CandleSource.BinanceRest, c.Source));
        Assert.All(second.Skip(1000), c => Assert.Equal(CandleSource.MexcRest, c.Source));
        FallbackHarness.AssertContiguous([.. first, .. second], M1, from);

        Assert.Equal(ExchangeSource.Mexc, h.Policy.Current);
        var change = Assert.Single(h.Policy.History);
        Assert.Equal((ExchangeSource.Binance, ExchangeSource.Mexc, expected), (change.From, change.To, change.Failure));
        Assert.False(string.IsNullOrEmpty(h.Policy.Reason));
        Assert.Equal(h.Time.GetUtcNow(), h.Policy.SwitchedAt);

        // Still failing: the probe fails and the data keeps coming from MEXC.
        await h.AdvanceToNextProbeAsync();
        Assert.Equal((ExchangeSource.Mexc, 0), (h.Policy.Current, h.Policy.ConsecutiveProbeSuccesses));
        var third = await h.Fetcher.FetchAsync(Symbol, M1, second.NextOpenTime, second.NextOpenTime + 99 * M1.Milliseconds, CancellationToken.None);
        Assert.All(third, c => Assert.Equal(CandleSource.MexcRest, c.Source));

        // Healthy again: back after ProbesToReturn (3) successful probes, not before.
        h.BinanceServer.RestFault = FakeRestFault.None;
        await h.AdvanceToNextProbeAsync();
        await h.AdvanceToNextProbeAsync();
        Assert.Equal(ExchangeSource.Mexc, h.Policy.Current);
        await h.AdvanceToNextProbeAsync();
        Assert.Equal(ExchangeSource.Binance, h.Policy.Current);
        Assert.Equal(2, h.Policy.History.Count);
        Assert.Equal(ExchangeSource.Binance, h.Policy.History[^1].To);
        Assert.Contains("3 consecutive successful probes", h.Policy.Reason, StringComparison.Ordinal);

        var fourth = await h.Fetcher.FetchAsync(Symbol, M1, third.NextOpenTime, third.NextOpenTime + 99 * M1.Milliseconds, CancellationToken.None);
        Assert.All(fourth, c => Assert.Equal(CandleSource.BinanceRest, c.Source));
        FallbackHarness.AssertContiguous([.. first, .. second, .. third, .. fourth], M1, from);
    }

    [Fact]
    public async Task Connection_refused_switches_to_mexc_and_back_when_binance_listens_again()
    {
        await using var h = await FallbackHarness.StartAsync();
        var from = M1.OpenTimeOf(h.NowMs) - 3000 * M1.Milliseconds;
        var first = await h.Fetcher.FetchAsync(Symbol, M1, from, from + 1499 * M1.Milliseconds, CancellationToken.None);
        Assert.All(first, c => Assert.Equal(CandleSource.BinanceRest, c.Source));

        await h.BinanceServer.RefuseConnectionsAsync();
        var second = await h.Fetcher.FetchAsync(Symbol, M1, first.NextOpenTime, first.NextOpenTime + 999 * M1.Milliseconds, CancellationToken.None);
        Assert.All(second, c => Assert.Equal(CandleSource.MexcRest, c.Source));
        FallbackHarness.AssertContiguous([.. first, .. second], M1, from);
        Assert.Equal(ExchangeSource.Mexc, h.Policy.Current);
        Assert.Equal(ExchangeFailure.ConnectionRefused, Assert.Single(h.Policy.History).Failure);
        Assert.Contains("refused", h.Policy.Reason, StringComparison.OrdinalIgnoreCase);

        await h.AdvanceToNextProbeAsync();
        Assert.Equal(0, h.Policy.ConsecutiveProbeSuccesses);

        await h.BinanceServer.AcceptConnectionsAsync();
        for (var i = 0; i < 3; i++) await h.AdvanceToNextProbeAsync();
        Assert.Equal(ExchangeSource.Binance, h.Policy.Current);

        var third = await h.Fetcher.FetchAsync(Symbol, M1, second.NextOpenTime, second.NextOpenTime + 499 * M1.Milliseconds, CancellationToken.None);
        Assert.All(third, c => Assert.Equal(CandleSource.BinanceRest, c.Source));
        FallbackHarness.AssertContiguous([.. first, .. second, .. third], M1, from);
    }

    [Fact]
    public async Task Ban_418_switches_at_once_and_probes_do_not_call_binance_until_the_ban_ends()
    {
        await using var h = await FallbackHarness.StartAsync();
        var from = M1.OpenTimeOf(h.NowMs) - 3000 * M1.Milliseconds;
        h.BinanceServer.EnqueueRestFault((HttpStatusCode)418, 120);
        var result = await h.Fetcher.FetchAsync(Symbol, M1, from, from + 1999 * M1.Milliseconds, CancellationToken.None);
        Assert.Equal(2000, result.Count);
        Assert.All(result, c => Assert.Equal(CandleSource.MexcRest, c.Source));
        FallbackHarness.AssertContiguous(result, M1, from);
        Assert.Equal(ExchangeFailure.Banned, Assert.Single(h.Policy.History).Failure);

        // During the 120 s ban the probes fail without a request to Binance (calling would extend the ban).
        var pings = h.BinanceServer.PingRequests;
        await h.AdvanceToNextProbeAsync();
        await h.AdvanceToNextProbeAsync();
        await h.AdvanceToNextProbeAsync();
        Assert.Equal(pings, h.BinanceServer.PingRequests);
        Assert.Equal(ExchangeSource.Mexc, h.Policy.Current);

        // At 120, 150 and 180 s (the ban is over): three successful pings bring Binance back.
        for (var i = 0; i < 3; i++) await h.AdvanceToNextProbeAsync();
        Assert.Equal(ExchangeSource.Binance, h.Policy.Current);
        Assert.Equal(pings + 3, h.BinanceServer.PingRequests);
    }

    [Fact]
    public async Task Rate_limit_429_waits_for_retry_after_and_stays_on_binance()
    {
        await using var h = await FallbackHarness.StartAsync();
        var from = M1.OpenTimeOf(h.NowMs) - 3000 * M1.Milliseconds;
        var started = h.Time.GetUtcNow();
        h.BinanceServer.EnqueueRestFault(HttpStatusCode.TooManyRequests, 5);
        var fetch = h.Fetcher.FetchAsync(Symbol, M1, from, from + 1499 * M1.Milliseconds, CancellationToken.None);

        await FallbackHarness.WaitUntilAsync(() => h.Budget.IsBlocked, "the 429 to block the budget");
        var klineRequests = h.BinanceServer.KlineRequests;
        Assert.False(fetch.IsCompleted);
        // Advance the fake clock a second at a time until the fetch resumes by itself (bounded in real time, not in
        // steps: on a starved host the fetch may start its wait only after several steps).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!fetch.IsCompleted && DateTime.UtcNow < deadline)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(fetch, Task.Delay(50));
        }
        var result = await fetch.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(h.Time.GetUtcNow() - started >= TimeSpan.FromSeconds(5), "the fetch resumed before Retry-After");
        Assert.True(h.BinanceServer.KlineRequests > klineRequests);
        Assert.Equal(1500, result.Count);
        Assert.All(result, c => Assert.Equal(CandleSource.BinanceRest, c.Source));
        FallbackHarness.AssertContiguous(result, M1, from);
        Assert.Equal(ExchangeSource.Binance, h.Policy.Current);
        Assert.Empty(h.Policy.History);
        Assert.Equal(0, h.MexcServer.KlineRequests);
    }

    [Fact]
    public async Task One_second_candles_stop_with_a_clear_warning_during_fallback()
    {
        await using var h = await FallbackHarness.StartAsync();
        var s1 = Timeframe.OneSecond;
        var from = s1.OpenTimeOf(h.NowMs) - 5000 * s1.Milliseconds;
        h.BinanceServer.ArmRestFault(FakeRestFault.GeoBlocked451, afterRequests: 1);
        var result = await h.Fetcher.FetchAsync(Symbol, s1, from, from + 2999 * s1.Milliseconds, CancellationToken.None);

        Assert.Equal(1000, result.Count);
        Assert.False(result.Complete);
        Assert.Equal(from + 1000 * s1.Milliseconds, result.NextOpenTime);
        Assert.Contains(result.Warnings, w => w.Contains("1s unavailable during fallback", StringComparison.Ordinal));
        FallbackHarness.AssertContiguous(result, s1, from);
        Assert.Equal(0, h.MexcServer.KlineRequests);

        // Other timeframes still come from MEXC meanwhile.
        var hours = await h.Fetcher.FetchAsync(Symbol, Timeframe.OneHour, from - 10 * 3_600_000, from, CancellationToken.None);
        Assert.True(hours.Complete);
        Assert.All(hours, c => Assert.Equal(CandleSource.MexcRest, c.Source));
    }

    [Fact]
    public async Task Only_closed_candles_are_returned_and_the_range_end_is_clamped_to_now()
    {
        await using var h = await FallbackHarness.StartAsync();
        var now = h.NowMs;
        var result = await h.Fetcher.FetchAsync(Symbol, M1, M1.OpenTimeOf(now) - 10 * M1.Milliseconds, now + 3_600_000, CancellationToken.None);
        Assert.Equal(10, result.Count); // the forming minute is left out
        Assert.Equal(M1.OpenTimeOf(now) - M1.Milliseconds, result[^1].OpenTime);
        Assert.True(result.Complete);
        Assert.Equal(M1.OpenTimeOf(now), result.NextOpenTime);
    }

    [Fact]
    public async Task Mexc_one_hour_candles_use_60m_and_match_binance_values()
    {
        await using var h = await FallbackHarness.StartAsync();
        h.Policy.ReportBinanceFailure(ExchangeFailure.ConnectionRefused, "test");
        var h1 = Timeframe.OneHour;
        var from = h1.OpenTimeOf(h.NowMs) - 1200 * h1.Milliseconds;
        var result = await h.Fetcher.FetchAsync(Symbol, h1, from, from + 1199 * h1.Milliseconds, CancellationToken.None);
        Assert.Equal(1200, result.Count);
        Assert.Equal(2, result.MexcPages);
        FallbackHarness.AssertContiguous(result, h1, from);
        Assert.All(h.MexcServer.Requests.Where(r => r.StartsWith("/api/v3/klines", StringComparison.Ordinal)),
            r => Assert.Contains("interval=60m", r, StringComparison.Ordinal));
        Assert.All(result, c => Assert.Equal(0, c.TradeCount)); // MEXC rows carry no trade count
    }

    [Fact]
    public async Task Bad_request_is_not_retried_and_does_not_switch()
    {
        await using var h = await FallbackHarness.StartAsync();
        h.MexcServer.InvalidSymbols.Add("NOPEUSDT");
        h.Policy.ReportBinanceFailure(ExchangeFailure.GeoBlocked, "test");
        var ex = await Assert.ThrowsAsync<Exchanges.Mexc.MexcRestException>(() =>
            h.Fetcher.FetchAsync("NOPEUSDT", M1, h.NowMs - 600_000, h.NowMs, CancellationToken.None));
        Assert.Equal(ExchangeFailure.BadRequest, ex.Failure);
        Assert.Equal(-1121, ex.Code);
        Assert.Contains("Invalid symbol.", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, h.MexcServer.KlineRequests);
    }
}
