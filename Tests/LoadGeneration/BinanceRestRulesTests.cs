using MarketData.LoadGeneration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace MarketData.Tests.LoadGeneration;

public class BinanceRestRulesTests
{
    private static QueryCollection Query(params (string Key, string Value)[] pairs)
        => new(pairs.ToDictionary(p => p.Key, p => new StringValues(p.Value)));

    [Fact]
    public void Stream_names_are_checked_and_limited_to_1024_a_connection()
    {
        Assert.True(BinanceRestRules.TryParseStreams("btcusdt@depth@100ms/btcusdt@trade/ethusdt@kline_1m", out var streams, out _));
        Assert.Equal(3, streams.Length);

        Assert.False(BinanceRestRules.TryParseStreams("btcusdt@depth@100ms/BTCUSDT@trade", out _, out var error));
        Assert.Equal("Invalid stream name 'BTCUSDT@trade'.", error);
        Assert.False(BinanceRestRules.TryParseStreams("btcusdt@kline_5m", out _, out error));
        Assert.Contains("kline_5m", error);
        Assert.False(BinanceRestRules.TryParseStreams("", out _, out error));
        Assert.Equal("Invalid stream name ''.", error);

        var many = string.Join('/', Enumerable.Range(0, 1025).Select(i => $"s{i}usdt@trade"));
        Assert.False(BinanceRestRules.TryParseStreams(many, out _, out error));
        Assert.Equal("Too many streams: 1025 (at most 1024).", error);
        var most = string.Join('/', Enumerable.Range(0, 1024).Select(i => $"s{i}usdt@trade"));
        Assert.True(BinanceRestRules.TryParseStreams(most, out _, out _));
    }

    [Theory]
    [InlineData("", 100, 5)]
    [InlineData("0", 1, 5)]
    [InlineData("100", 100, 5)]
    [InlineData("101", 101, 25)]
    [InlineData("1000", 1000, 50)]
    [InlineData("99999", 5000, 250)]
    public void Depth_limits_default_clamp_and_weigh_as_Binance_does(string text, int limit, int weight)
    {
        Assert.True(BinanceRestRules.TryParseDepthLimit(text, out var parsed));
        Assert.Equal(limit, parsed);
        Assert.Equal(weight, BinanceRestRules.DepthWeight(parsed));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("1e3")]
    public void A_depth_limit_that_is_not_a_number_is_refused(string text) => Assert.False(BinanceRestRules.TryParseDepthLimit(text, out _));

    [Fact]
    public void Kline_ranges_are_optional_but_must_be_ordered_numbers_within_the_limit()
    {
        Assert.True(BinanceRestRules.TryParseKlineRange(Query(), out var start, out var end, out var limit));
        Assert.Equal((null, null, null), (start, end, limit));
        Assert.True(BinanceRestRules.TryParseKlineRange(Query(("startTime", "1000"), ("endTime", "2000"), ("limit", "1000")), out start, out end, out limit));
        Assert.Equal((1000L, 2000L, 1000), (start, end, limit));

        Assert.False(BinanceRestRules.TryParseKlineRange(Query(("startTime", "2000"), ("endTime", "1000")), out _, out _, out _));
        Assert.False(BinanceRestRules.TryParseKlineRange(Query(("limit", "0")), out _, out _, out _));
        Assert.False(BinanceRestRules.TryParseKlineRange(Query(("limit", "1001")), out _, out _, out _));
        Assert.False(BinanceRestRules.TryParseKlineRange(Query(("startTime", "yesterday")), out _, out _, out _));
    }

    [Fact]
    public void The_candle_intervals_are_known()
    {
        foreach (var (name, ms) in new[] { ("1s", 1_000L), ("1m", 60_000L), ("1h", 3_600_000L), ("1d", 86_400_000L) })
            Assert.Equal(ms, BinanceRestRules.Intervals[name]);
        Assert.False(BinanceRestRules.Intervals.ContainsKey("2m"));
    }
}
