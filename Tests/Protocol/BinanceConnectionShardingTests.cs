using System.Globalization;
using MarketData.Exchanges.Binance;

namespace MarketData.Tests.Protocol;

/// <summary>How symbols are packed into combined-stream connections: stream count and URL length both bound a connection.</summary>
public class BinanceConnectionShardingTests
{
    private static string[] Names(int count) =>
        Enumerable.Range(1, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"L{i:0000}USDT")).ToArray();

    [Fact]
    public void The_whole_market_is_packed_under_the_url_limit_in_order()
    {
        var symbols = Names(1_500);
        var options = new BinanceFeedOptions { Symbols = [.. symbols], WebSocketBaseUrl = "wss://stream.binance.com:9443" };
        options.Streams.AddRange(["kline_1s", "kline_1m"]);

        var shards = options.ShardSymbols(symbols);

        Assert.Equal(symbols, shards.SelectMany(s => s));
        Assert.All(shards, s => Assert.True(options.StreamUrl(s).Length <= options.MaxUrlLength, $"{options.StreamUrl(s).Length} characters"));
        Assert.All(shards, s => Assert.True(s.Length * options.Streams.Count <= BinanceFeedOptions.MaxStreamsPerConnectionLimit));
        // Packed, not one symbol a connection: every shard but the last is within one symbol of the limit.
        Assert.All(shards.SkipLast(1), s => Assert.True(options.StreamUrl(s).Length > options.MaxUrlLength - 7 * 20));
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void The_stream_count_still_bounds_a_connection()
    {
        var options = new BinanceFeedOptions { Symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT"], MaxStreamsPerConnection = 10, MaxUrlLength = 65_536 };
        var shards = options.ShardSymbols(options.Symbols);
        Assert.Equal([["BTCUSDT", "ETHUSDT"], ["BNBUSDT"]], shards);
    }

    [Theory]
    [InlineData(100, "MaxUrlLength 100 is out of range 256-65536.")]
    [InlineData(256, "MaxUrlLength 256 is shorter than the")]
    public void A_url_limit_that_cannot_hold_one_symbol_is_refused(int limit, string expected)
    {
        var options = new BinanceFeedOptions { Symbols = ["BTCUSDT", "LONGSYMBOLNAMEUSDT"], MaxUrlLength = limit };
        options.Streams.AddRange(["kline_1s", "kline_1m", "kline_1h", "kline_1d"]);
        var error = Assert.Single(options.Validate());
        Assert.StartsWith(expected, error);
        if (limit == 256) Assert.Contains("LONGSYMBOLNAMEUSDT", error);
    }
}
