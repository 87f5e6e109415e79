using MarketData.Exchanges.Binance;

namespace MarketData.Tests.Protocol;

/// <summary>The silence rule (which limit a connection gets, and its backoff) and the settings that configure it.</summary>
public class ConnectionSilenceTests
{
    private static readonly TimeSpan Scheduled = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EventOnly = TimeSpan.FromSeconds(120);

    [Fact]
    public void Defaults_are_valid_and_well_under_a_minute_for_connections_with_a_scheduled_stream()
    {
        var options = new BinanceFeedOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(Scheduled, options.SilenceTimeout);
        Assert.Equal(EventOnly, options.EventOnlySilenceTimeout);
        Assert.Equal(Scheduled, ConnectionSilence.BaseTimeoutFor(options.Streams, options.SilenceTimeout, options.EventOnlySilenceTimeout));
    }

    [Fact]
    public void The_quietest_stream_decides_a_ticker_or_kline_means_the_short_limit_event_streams_alone_the_long_one()
    {
        Assert.Equal(Scheduled, ConnectionSilence.BaseTimeoutFor(["depth@100ms", "ticker"], Scheduled, EventOnly));
        Assert.Equal(Scheduled, ConnectionSilence.BaseTimeoutFor(["depth@100ms", "kline_1m"], Scheduled, EventOnly));
        Assert.Equal(EventOnly, ConnectionSilence.BaseTimeoutFor(["depth@100ms", "trade", "aggTrade", "bookTicker"], Scheduled, EventOnly));
        Assert.Equal(EventOnly, ConnectionSilence.BaseTimeoutFor(["depth@1000ms"], Scheduled, EventOnly));
    }

    [Fact]
    public void A_connection_is_silent_only_once_its_quiet_time_reaches_the_limit()
    {
        var rule = new ConnectionSilence(Scheduled);
        var quiet = rule.Judge(TimeSpan.FromSeconds(29.999), receivedAnyFrame: true);
        Assert.False(quiet.Silent);
        Assert.Equal(TimeSpan.FromMilliseconds(1), quiet.TimeLeft);
        Assert.Equal(0, rule.ConsecutiveSilent);

        var silent = rule.Judge(Scheduled, receivedAnyFrame: true);
        Assert.True(silent.Silent);
        Assert.Equal(Scheduled, silent.Limit);
        Assert.Equal(1, rule.ConsecutiveSilent);
        Assert.Equal("no frame for 30 s", ConnectionSilence.Describe(silent.Limit));
    }

    [Fact]
    public void Replacements_that_stay_silent_double_the_limit_up_to_eight_times_and_a_frame_resets_it()
    {
        var rule = new ConnectionSilence(TimeSpan.FromSeconds(10));
        Assert.True(rule.Judge(TimeSpan.FromSeconds(10), receivedAnyFrame: true).Silent); // the first connection had data
        var limits = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var limit = rule.LimitFor(receivedAnyFrame: false); // each replacement is as silent as its predecessor
            limits.Add(limit.TotalSeconds);
            Assert.False(rule.Judge(limit - TimeSpan.FromMilliseconds(1), receivedAnyFrame: false).Silent);
            Assert.True(rule.Judge(limit, receivedAnyFrame: false).Silent);
        }
        double[] expected = [20, 40, 80, 80, 80];
        Assert.Equal(expected, limits);
        Assert.Equal(6, rule.ConsecutiveSilent);

        // A replacement that delivered a frame is judged by the plain limit, and its silence starts a new series.
        Assert.Equal(TimeSpan.FromSeconds(10), rule.LimitFor(receivedAnyFrame: true));
        Assert.True(rule.Judge(TimeSpan.FromSeconds(10), receivedAnyFrame: true).Silent);
        Assert.Equal(1, rule.ConsecutiveSilent);
        Assert.Equal(TimeSpan.FromSeconds(20), rule.LimitFor(receivedAnyFrame: false));
    }

    [Fact]
    public void A_zero_limit_turns_the_watchdog_off()
    {
        var rule = new ConnectionSilence(TimeSpan.Zero);
        Assert.False(rule.Enabled);
        var verdict = rule.Judge(TimeSpan.FromDays(3), receivedAnyFrame: false);
        Assert.False(verdict.Silent);
        Assert.Equal(Timeout.InfiniteTimeSpan, verdict.TimeLeft);

        var options = new BinanceFeedOptions { SilenceTimeout = TimeSpan.Zero, EventOnlySilenceTimeout = TimeSpan.Zero };
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("-00:00:01", "00:02:00", "SilenceTimeout -00:00:01 is negative: use 00:00:00 to turn the silence watchdog off.")]
    [InlineData("00:00:02", "00:02:00", "SilenceTimeout 00:00:02 is below 5 s: scheduled streams are 1-2 s apart, so a healthy connection would be replaced; use 00:00:00 to turn the watchdog off.")]
    [InlineData("00:00:30", "-00:00:01", "EventOnlySilenceTimeout -00:00:01 is negative: use 00:00:00 to turn the silence watchdog off.")]
    [InlineData("00:00:30", "00:00:04", "EventOnlySilenceTimeout 00:00:04 is below 5 s: scheduled streams are 1-2 s apart, so a healthy connection would be replaced; use 00:00:00 to turn the watchdog off.")]
    [InlineData("1.00:00:01", "00:00:00", "SilenceTimeout 1.00:00:01 is above one day, longer than a connection lives; use 00:00:00 to turn the silence watchdog off.")]
    [InlineData("00:01:00", "00:00:30", "EventOnlySilenceTimeout 00:00:30 is below SilenceTimeout 00:01:00: a connection of event-driven streams only may be quiet legitimately, so it gets at least as long.")]
    public void Invalid_silence_timeouts_are_refused_with_one_sentence_each(string silence, string eventOnly, string error)
    {
        var options = new BinanceFeedOptions
        {
            SilenceTimeout = TimeSpan.Parse(silence, System.Globalization.CultureInfo.InvariantCulture),
            EventOnlySilenceTimeout = TimeSpan.Parse(eventOnly, System.Globalization.CultureInfo.InvariantCulture),
        };
        Assert.Equal(error, Assert.Single(options.Validate()));
        Assert.Throws<ArgumentException>(options.ThrowIfInvalid);
    }
}
