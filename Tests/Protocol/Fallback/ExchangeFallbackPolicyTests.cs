using MarketData.Exchanges;
using MarketData.Exchanges.Fallback;
using Microsoft.Extensions.Time.Testing;

namespace MarketData.Tests.Protocol.Fallback;

/// <summary>The policy's thresholds on its own, driven by reported outcomes and a fake clock.</summary>
public sealed class ExchangeFallbackPolicyTests
{
    private static (ExchangeFallbackPolicy Policy, FakeTimeProvider Time) Create(Action<FallbackOptions>? configure = null, Func<CancellationToken, Task>? probe = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new FallbackOptions();
        configure?.Invoke(options);
        return (new ExchangeFallbackPolicy(options, time, probe), time);
    }

    [Theory]
    [InlineData(ExchangeFailure.ConnectionRefused)]
    [InlineData(ExchangeFailure.GeoBlocked)]
    [InlineData(ExchangeFailure.Banned)]
    public void Hard_failures_switch_at_once(ExchangeFailure failure)
    {
        var (policy, time) = Create();
        Assert.True(policy.ReportBinanceFailure(failure, "detail text"));
        Assert.Equal(ExchangeSource.Mexc, policy.Current);
        Assert.Equal(time.GetUtcNow(), policy.SwitchedAt);
        Assert.Contains("detail text", policy.Reason, StringComparison.Ordinal);
        var status = policy.Status();
        Assert.Equal(failure, status.LastBinanceFailure);
        Assert.Null(status.NextProbeAt); // no probe delegate given
    }

    [Theory]
    [InlineData(ExchangeFailure.RateLimited)]
    [InlineData(ExchangeFailure.BadRequest)]
    public void Rate_limits_and_bad_requests_never_switch(ExchangeFailure failure)
    {
        var (policy, _) = Create();
        for (var i = 0; i < 20; i++) Assert.False(policy.ReportBinanceFailure(failure, "x"));
        Assert.Equal(ExchangeSource.Binance, policy.Current);
    }

    [Fact]
    public void Server_errors_switch_only_when_enough_fall_within_the_window()
    {
        var (policy, time) = Create(o => { o.ServerErrorThreshold = 3; o.ServerErrorWindow = TimeSpan.FromSeconds(60); });
        Assert.False(policy.ReportBinanceFailure(ExchangeFailure.ServerError, "500"));
        Assert.False(policy.ReportBinanceFailure(ExchangeFailure.ConnectionLost, "reset"));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(policy.ReportBinanceFailure(ExchangeFailure.ServerError, "502")); // the first two fell out of the window
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(policy.ReportBinanceFailure(ExchangeFailure.BadResponse, "truncated"));
        Assert.True(policy.ReportBinanceFailure(ExchangeFailure.ServerError, "503"));
        Assert.Equal(ExchangeFailure.ServerError, policy.History[0].Failure);
        Assert.Contains("3 Binance server errors within 60 s", policy.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeouts_must_be_consecutive()
    {
        var (policy, _) = Create(o => o.TimeoutThreshold = 3);
        policy.ReportBinanceFailure(ExchangeFailure.Timeout, "t");
        policy.ReportBinanceFailure(ExchangeFailure.Timeout, "t");
        policy.ReportBinanceSuccess();
        policy.ReportBinanceFailure(ExchangeFailure.Timeout, "t");
        Assert.False(policy.ReportBinanceFailure(ExchangeFailure.Timeout, "t"));
        Assert.True(policy.ReportBinanceFailure(ExchangeFailure.Timeout, "t"));
        Assert.Equal(ExchangeSource.Mexc, policy.Current);
    }

    [Fact]
    public void Disabled_policy_tracks_failures_but_never_switches()
    {
        var (policy, _) = Create(o => o.Enabled = false);
        Assert.False(policy.ReportBinanceFailure(ExchangeFailure.GeoBlocked, "451"));
        Assert.Equal(ExchangeSource.Binance, policy.Current);
        Assert.Equal(ExchangeFailure.GeoBlocked, policy.Status().LastBinanceFailure);
    }

    [Fact]
    public void A_failed_probe_or_failure_report_restarts_the_probe_streak_and_history_is_bounded()
    {
        var (policy, _) = Create(o => { o.ProbesToReturn = 2; o.HistoryCapacity = 3; });
        for (var round = 0; round < 3; round++)
        {
            policy.ReportBinanceFailure(ExchangeFailure.GeoBlocked, "451");
            Assert.False(policy.ReportProbe(true));
            Assert.False(policy.ReportProbe(false, "still 451"));
            Assert.False(policy.ReportProbe(true));
            policy.ReportBinanceFailure(ExchangeFailure.ServerError, "500 seen elsewhere");
            Assert.Equal(0, policy.ConsecutiveProbeSuccesses);
            Assert.False(policy.ReportProbe(true));
            Assert.True(policy.ReportProbe(true));
            Assert.Equal(ExchangeSource.Binance, policy.Current);
        }
        // 6 switches (to MEXC, back, three times); the last 3 are kept.
        Assert.Equal([ExchangeSource.Binance, ExchangeSource.Mexc, ExchangeSource.Binance], policy.History.Select(h => h.To));
    }

    [Fact]
    public async Task Probe_timer_runs_on_the_injected_clock_and_stops_after_returning()
    {
        var calls = 0;
        var healthy = false;
        var (policy, time) = Create(o => { o.ProbeInterval = TimeSpan.FromSeconds(30); o.ProbesToReturn = 2; },
            _ => { Interlocked.Increment(ref calls); return healthy ? Task.CompletedTask : throw new HttpRequestException("refused"); });
        var switched = new List<FallbackSwitch>();
        policy.Switched += switched.Add;

        policy.ReportBinanceFailure(ExchangeFailure.ConnectionRefused, "refused");
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(30), policy.Status().NextProbeAt);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, calls);
        time.Advance(TimeSpan.FromSeconds(1));
        await FallbackHarness.WaitUntilAsync(() => policy.ProbesRun == 1, "probe 1");
        Assert.Equal(1, calls);
        healthy = true;
        time.Advance(TimeSpan.FromSeconds(30));
        await FallbackHarness.WaitUntilAsync(() => policy.ProbesRun == 2, "probe 2");
        time.Advance(TimeSpan.FromSeconds(30));
        await FallbackHarness.WaitUntilAsync(() => policy.ProbesRun == 3, "probe 3");
        Assert.Equal(ExchangeSource.Binance, policy.Current);
        Assert.Equal(2, switched.Count);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(3, calls); // no probing while on Binance
        policy.Dispose();
    }

    [Fact]
    public void Options_are_validated()
    {
        var options = new FallbackOptions { ServerErrorThreshold = 0, ProbeInterval = TimeSpan.Zero };
        Assert.Equal(2, options.Validate().Count);
        Assert.Throws<ArgumentException>(() => new ExchangeFallbackPolicy(options, TimeProvider.System));
    }
}
