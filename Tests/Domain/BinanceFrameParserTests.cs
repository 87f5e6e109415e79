using System.Text;
using MarketData.Exchanges.Binance;
using MarketData.Streams;

namespace MarketData.Tests.Domain;

public class BinanceFrameParserTests
{
    private static readonly DateTime Now = new(2024, 8, 8, 23, 54, 13, DateTimeKind.Utc);
    private readonly BinanceFrameParser _parser = new();

    private BinanceFrameKind Parse(string json) => _parser.Parse(Encoding.UTF8.GetBytes(json));

    private const string DepthPayload =
        """{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17","1.5"]],"a":[["61837.64000000","1.54698000"]]}""";

    [Fact]
    public void Combined_depth_update()
    {
        Assert.Equal(BinanceFrameKind.DepthUpdate, Parse($$"""{"stream":"btcusdt@depth@100ms","data":{{DepthPayload}}}"""));
        Assert.Null(_parser.Error);
        Assert.Equal("BTCUSDT", _parser.Symbol);
        Assert.Equal(50093239189, _parser.FirstUpdateId);
        Assert.Equal(50093239202, _parser.FinalUpdateId);
        Assert.Equal(1723161255208, _parser.EventTime);
        Assert.Equal([new PriceLevel(6_173_763_000_000, 0), new PriceLevel(6_173_017_000_000, 150_000_000)], _parser.Bids.ToArray());
        Assert.Equal([new PriceLevel(6_183_764_000_000, 154_698_000)], _parser.Asks.ToArray());

        var diff = Assert.IsType<DepthDiff>(_parser.ToEvent(Now));
        Assert.Equal(Now, diff.ReceivedAt);
        Assert.Equal(50093239189, diff.FirstUpdateId);
        Assert.Equal(50093239202, diff.FinalUpdateId);
        Assert.Equal(1723161255208, diff.EventTime);
        Assert.Equal(2, diff.Bids.Length);
        Assert.Single(diff.Asks);
    }

    [Fact]
    public void Data_before_stream_and_raw_payload_give_the_same_result()
    {
        Assert.Equal(BinanceFrameKind.DepthUpdate, Parse($$"""{"data":{{DepthPayload}},"stream":"btcusdt@depth@100ms"}"""));
        Assert.Equal("BTCUSDT", _parser.Symbol);
        Assert.Equal(2, _parser.Bids.Length);

        Assert.Equal(BinanceFrameKind.DepthUpdate, Parse(DepthPayload));
        Assert.Equal("BTCUSDT", _parser.Symbol);
        Assert.Equal(50093239202, _parser.FinalUpdateId);
    }

    [Fact]
    public void Field_order_inside_payload_does_not_matter_and_unknown_fields_are_skipped()
    {
        var json = """{"a":[["2","1"]],"extra":{"nested":[1,2,{"x":null}]},"u":11,"b":[["1","1"]],"U":10,"s":"ETHUSDT","E":5,"pu":9,"e":"depthUpdate"}""";
        Assert.Equal(BinanceFrameKind.DepthUpdate, Parse(json));
        Assert.Equal("ETHUSDT", _parser.Symbol);
        Assert.Equal(10, _parser.FirstUpdateId);
        Assert.Equal(11, _parser.FinalUpdateId);
        Assert.Equal(new PriceLevel(200_000_000, 100_000_000), _parser.Asks[0]);
    }

    [Fact]
    public void Symbols_are_interned()
    {
        Parse(DepthPayload);
        var first = _parser.Symbol;
        Parse($$"""{"stream":"btcusdt@depth@100ms","data":{{DepthPayload}}}""");
        Assert.Same(first, _parser.Symbol);
    }

    [Fact]
    public void Symbol_comes_from_the_stream_name_when_the_payload_has_none()
    {
        Assert.Equal(BinanceFrameKind.DepthSnapshot, Parse("""{"stream":"ethusdt@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}}"""));
        Assert.Equal("ETHUSDT", _parser.Symbol);
        Assert.Equal(160, _parser.LastUpdateId);
    }

    [Fact]
    public void Rest_depth_snapshot()
    {
        Assert.Equal(BinanceFrameKind.DepthSnapshot, Parse("""{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"],["4.1","1"]]}"""));
        Assert.Null(_parser.Symbol);
        Assert.Equal(1027024, _parser.LastUpdateId);
        var snapshot = Assert.IsType<DepthSnapshot>(_parser.ToEvent(Now));
        Assert.Equal(1027024, snapshot.LastUpdateId);
        Assert.Equal(new PriceLevel(400_000_000, 43_100_000_000), snapshot.Bids[0]);
        Assert.Equal(2, snapshot.Asks.Length);
    }

    [Fact]
    public void Trade()
    {
        Assert.Equal(BinanceFrameKind.Trade, Parse("""{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"""));
        var trade = Assert.IsType<TradeEvent>(_parser.ToEvent(Now));
        Assert.Equal(3735683259, trade.TradeId);
        Assert.Equal(6_183_763_000_000, trade.Price);
        Assert.Equal(2_000_000, trade.Quantity);
        Assert.Equal(1723161255342, trade.TradeTime);
        Assert.Equal(1723161255343, trade.EventTime);
        Assert.True(trade.BuyerIsMaker);
        Assert.False(trade.IsAggregate);
        Assert.Equal(3735683259, trade.FirstTradeId);
        Assert.Equal(3735683259, trade.LastTradeId);
    }

    [Fact]
    public void Aggregate_trade()
    {
        Assert.Equal(BinanceFrameKind.AggTrade, Parse("""{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":false,"M":true}"""));
        var trade = Assert.IsType<TradeEvent>(_parser.ToEvent(Now));
        Assert.True(trade.IsAggregate);
        Assert.Equal(12345, trade.TradeId);
        Assert.Equal(100, trade.FirstTradeId);
        Assert.Equal(105, trade.LastTradeId);
        Assert.Equal(100_000, trade.Price);
        Assert.Equal(10_000_000_000, trade.Quantity);
        Assert.False(trade.BuyerIsMaker);
        Assert.Equal("BNBBTC", _parser.Symbol);
    }

    [Fact]
    public void Book_ticker_without_event_type()
    {
        Assert.Equal(BinanceFrameKind.BookTicker, Parse("""{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"""));
        Assert.Equal(50093239212, _parser.FinalUpdateId);
        var ticker = Assert.IsType<BookTickerEvent>(_parser.ToEvent(Now));
        Assert.Equal(50093239212, ticker.UpdateId);
        Assert.Equal(6_183_763_000_000, ticker.BidPrice);
        Assert.Equal(378_826_000, ticker.BidQuantity);
        Assert.Equal(6_183_764_000_000, ticker.AskPrice);
        Assert.Equal(154_698_000, ticker.AskQuantity);
    }

    [Fact]
    public void Ticker_24h()
    {
        var json = """{"e":"24hrTicker","E":1672515782136,"s":"BNBBTC","p":"-0.0015","P":"-250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024","B":"10","a":"0.0026","A":"100","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}""";
        Assert.Equal(BinanceFrameKind.Ticker, Parse(json));
        var ticker = Assert.IsType<TickerEvent>(_parser.ToEvent(Now));
        Assert.Equal(1672515782136, ticker.EventTime);
        Assert.Equal(250_000, ticker.LastPrice);
        Assert.Equal(100_000, ticker.OpenPrice);
        Assert.Equal(250_000, ticker.HighPrice);
        Assert.Equal(100_000, ticker.LowPrice);
        Assert.Equal(1_000_000_000_000, ticker.Volume);
        Assert.Equal(1_800_000_000, ticker.QuoteVolume);
        Assert.Equal(18151, ticker.TradeCount);
        Assert.Equal(240_000, ticker.BestBid);
        Assert.Equal(260_000, ticker.BestAsk);
    }

    [Fact]
    public void Replies()
    {
        Assert.Equal(BinanceFrameKind.Reply, Parse("""{"result":null,"id":1}"""));
        Assert.Null(_parser.Error);
        Assert.Null(_parser.Symbol);
        Assert.Equal(BinanceFrameKind.Reply, Parse("""{"result":["btcusdt@aggTrade"],"id":3}"""));
        Assert.Equal(BinanceFrameKind.Reply, Parse("""{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":2}"""));
        Assert.Contains("code 2", _parser.Error);
        Assert.Contains("Invalid request: invalid stream", _parser.Error);
        Assert.Throws<InvalidOperationException>(() => _parser.ToEvent(Now));
    }

    [Fact]
    public void Error_reply_with_unusual_shapes_is_still_a_reply()
    {
        Assert.Equal(BinanceFrameKind.Reply, Parse("""{"error":"boom","id":null}"""));
        Assert.Contains("boom", _parser.Error);
        Assert.Equal(BinanceFrameKind.Reply, Parse("""{"id":"abc","error":{"msg":"Invalid JSON"}}"""));
        Assert.Contains("Invalid JSON", _parser.Error);
    }

    [Fact]
    public void Depth_level_with_object_in_b_is_malformed_not_a_crash()
    {
        // "b" holding an object is skipped as an unknown shape, leaving the depthUpdate without bids.
        Assert.Equal(BinanceFrameKind.Malformed, Parse("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":{"x":[1]},"a":[]}"""));
    }

    [Fact]
    public void Server_shutdown_raw_and_combined()
    {
        Assert.Equal(BinanceFrameKind.ServerShutdown, Parse("""{"e":"serverShutdown","E":1770123456789}"""));
        Assert.Equal(1770123456789, _parser.EventTime);
        Assert.Equal(BinanceFrameKind.ServerShutdown, Parse("""{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}"""));
        Assert.Null(_parser.Symbol);
    }

    [Fact]
    public void Unknown_event_type()
    {
        Assert.Equal(BinanceFrameKind.Unknown, Parse("""{"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT","c":"1"}}"""));
        Assert.Contains("24hrMiniTicker", _parser.Error);
        Assert.Equal("BTCUSDT", _parser.Symbol);
        Assert.Throws<InvalidOperationException>(() => _parser.ToEvent(Now));

        Assert.Equal(BinanceFrameKind.Unknown, Parse("""{"hello":"world"}"""));
        Assert.NotNull(_parser.Error);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not json", "invalid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"e\":\"depthUpdate\",", "invalid JSON")]
    [InlineData("{\"e\":\"depthUpdate\"} trailing", "invalid JSON")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[]}""", "missing asks")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":3,"u":2,"b":[],"a":[]}""", "U 3 > u 2")]
    [InlineData("""{"e":"depthUpdate","E":1,"U":1,"u":2,"b":[],"a":[]}""", "without a symbol")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":"1","u":2,"b":[],"a":[]}""", "'U' is not a 64-bit integer")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"],["2","1"],["3","1"],["4","-1.0"]],"a":[]}""", "bids[3]: negative quantity '-1.00000000'")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["abc","1"]]}""", "asks[0]: non-numeric price 'abc'")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["1","1.123456789"]]}""", "asks[0]: more than 8 decimals quantity '1.123456789'")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["0","1"]],"a":[]}""", "bids[0]: non-positive price")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[[1,1]],"a":[]}""", "bids[0]: price is not a decimal string")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1","x"]],"a":[]}""", "bids[0]: expected exactly [price, quantity]")]
    [InlineData("""{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.5","q":"-2","T":1,"m":true}""", "trade: negative quantity")]
    [InlineData("""{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"x","q":"2","T":1,"m":true}""", "trade: 'p': non-numeric 'x'")]
    [InlineData("""{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2"}""", "bookTicker: missing 'A'")]
    [InlineData("""{"stream":"btcusdt@depth"}""", "without 'data'")]
    [InlineData("""{"e":"trade","s":"BTC USDT","t":1}""", "invalid symbol")]
    [InlineData("""{"stream":"btcusdt@depth","data":[1]}""", "'data' is not an object")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["\u0031","1"]],"a":[]}""", "bids[0]: price is not a decimal string")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":{"p":"1"},"a":[]}""", "missing bids")]
    [InlineData("""{"e":"24hrTicker","E":1,"s":"BNBBTC","c":"1","o":"1","h":"1","l":"1","v":"1"}""", "24hrTicker: missing 'q'")]
    [InlineData("""{"e":"24hrTicker","E":1,"s":"BNBBTC","c":"1","o":"1","h":"1","l":"1","v":"-1","q":"1"}""", "24hrTicker: negative 'v'")]
    [InlineData("""{"e":"aggTrade","E":1,"s":"BNBBTC","a":1,"p":"1","q":"1","f":1,"T":1,"m":true}""", "missing l")]
    [InlineData("""{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"-3"}""", "bookTicker: negative 'A'")]
    [InlineData("""{"e":"depthUpdate","E":1.5,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""", "'E' is not a 64-bit integer")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["99999999999999999999","1"]],"a":[]}""", "bids[0]: number too large price")]
    public void Malformed_frames_say_why(string json, string expected)
    {
        Assert.Equal(BinanceFrameKind.Malformed, Parse(json));
        Assert.NotNull(_parser.Error);
        Assert.Contains(expected, _parser.Error);
        Assert.Throws<InvalidOperationException>(() => _parser.ToEvent(Now));
    }

    [Fact]
    public void Malformed_frame_keeps_the_symbol_from_the_stream_name()
    {
        Assert.Equal(BinanceFrameKind.Malformed, Parse("""{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"U":1,"u":2,"b":[["1","x"]],"a":[]}}"""));
        Assert.Equal("ETHUSDT", _parser.Symbol);
        Assert.Contains("bids[0]", _parser.Error);
    }

    [Fact]
    public void Malformed_data_before_the_stream_name_still_reports_the_symbol()
    {
        Assert.Equal(BinanceFrameKind.Malformed, Parse("""{"data":{"e":"depthUpdate","E":1,"U":1,"u":2,"b":[["1","-1"]],"a":[]},"stream":"ethusdt@depth@100ms"}"""));
        Assert.Equal("ETHUSDT", _parser.Symbol);
        Assert.Equal(BinanceFrameKind.Malformed, Parse("""{"stream":"solusdt@depth@100ms","data":{"e":"depthUpdate","b":[["1" """));
        Assert.Equal("SOLUSDT", _parser.Symbol);
        Assert.Equal(BinanceFrameKind.Malformed, Parse("""{"data":{"e":"depthUpdate","b":[["1" """));
        Assert.Null(_parser.Symbol);
    }

    [Fact]
    public void Truncated_frame_is_malformed_at_every_cut()
    {
        var full = Encoding.UTF8.GetBytes($$"""{"stream":"btcusdt@depth@100ms","data":{{DepthPayload}}}""");
        for (var length = 0; length < full.Length; length++)
        {
            Assert.Equal(BinanceFrameKind.Malformed, _parser.Parse(full.AsSpan(0, length)));
            Assert.NotNull(_parser.Error);
        }
        Assert.Equal(BinanceFrameKind.DepthUpdate, _parser.Parse(full));
    }

    [Fact]
    public void Huge_level_counts_are_rejected_but_5000_levels_are_fine()
    {
        Assert.Equal(BinanceFrameKind.DepthSnapshot, Parse(Snapshot(5000)));
        Assert.Equal(5000, _parser.Bids.Length);
        Assert.Equal(BinanceFrameKind.Malformed, Parse(Snapshot(5001)));
        Assert.Contains("more than 5000 levels", _parser.Error);

        static string Snapshot(int levels)
        {
            var sb = new StringBuilder("""{"lastUpdateId":1,"bids":[""");
            for (var i = 0; i < levels; i++) sb.Append(i == 0 ? "" : ",").Append("[\"").Append(i + 1).Append(".5\",\"1\"]");
            sb.Append("""],"asks":[]}""");
            return sb.ToString();
        }
    }

    [Fact]
    public void Oversized_frame_is_rejected_before_parsing()
    {
        var bytes = new byte[BinanceFrameParser.MaxFrameBytes + 1];
        Assert.Equal(BinanceFrameKind.Malformed, _parser.Parse(bytes));
        Assert.Contains("exceeds", _parser.Error);
    }

    [Fact]
    public void State_does_not_leak_between_frames()
    {
        Parse(DepthPayload);
        Assert.Equal(BinanceFrameKind.Reply, Parse("""{"result":null,"id":7}"""));
        Assert.Equal(0, _parser.Bids.Length);
        Assert.Equal(0, _parser.FinalUpdateId);
        Assert.Null(_parser.Symbol);
    }

    [Fact]
    public void Intern_table_is_capped()
    {
        var parser = new BinanceFrameParser(maxInternedSymbols: 2);
        string Sym(string s)
        {
            parser.Parse(Encoding.UTF8.GetBytes($$"""{"e":"trade","E":1,"s":"{{s}}","t":1,"p":"1","q":"1","T":1,"m":true}"""));
            return parser.Symbol!;
        }
        Assert.Same(Sym("AAA"), Sym("AAA"));
        Sym("BBB");
        var c1 = Sym("CCC");
        var c2 = Sym("CCC");
        Assert.Equal(c1, c2);
        Assert.NotSame(c1, c2); // beyond the cap: allocated, not stored
    }

    [Fact]
    public void Depth_parsing_does_not_allocate_after_warm_up()
    {
        var frame = Encoding.UTF8.GetBytes($$"""{"stream":"btcusdt@depth@100ms","data":{{DepthPayload}}}""");
        for (var i = 0; i < 100; i++) _parser.Parse(frame);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) _parser.Parse(frame);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Invalid_utf8_in_a_reported_string_is_malformed_not_an_exception()
    {
        // Utf8JsonReader does not check UTF-8 while reading; quoting the bad symbol must not throw.
        var frame = Encoding.UTF8.GetBytes("""{"e":"trade","E":1,"s":"BTC#USDT","t":1,"p":"1","q":"1","T":1,"m":true}""");
        frame[Array.IndexOf(frame, (byte)'#')] = 0x80;
        Assert.Equal(BinanceFrameKind.Malformed, _parser.Parse(frame));
        Assert.Contains("invalid symbol", _parser.Error, StringComparison.Ordinal);

        var unknown = Encoding.UTF8.GetBytes("""{"e":"kl#ne","E":1}""");
        unknown[Array.IndexOf(unknown, (byte)'#')] = 0xFF;
        Assert.Equal(BinanceFrameKind.Unknown, _parser.Parse(unknown));
    }
}

public class BinanceFrameParserKlineTests
{
    [Fact]
    public void Kline_frames_become_kline_events_with_their_timeframe_and_closed_flag()
    {
        var parser = new MarketData.Exchanges.Binance.BinanceFrameParser();
        var frame = """
            {"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1723161300123,"s":"BTCUSDT","k":{"t":1723161240000,"T":1723161299999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"61800.00000000","c":"61810.50000000","h":"61820.00000000","l":"61790.00000000","v":"12.50000000","n":101,"x":true,"q":"772600.00000000","V":"6.00000000","Q":"370800.00000000","B":"0"}}}
            """u8;
        Assert.Equal(MarketData.Exchanges.Binance.BinanceFrameKind.Kline, parser.Parse(frame));
        Assert.Equal("BTCUSDT", parser.Symbol);
        var e = Assert.IsType<MarketData.Streams.KlineEvent>(parser.ToEvent(DateTime.UnixEpoch));
        Assert.Equal(MarketData.Candles.Timeframe.OneMinute, e.Timeframe);
        Assert.True(e.Candle.IsClosed);
        Assert.Equal(1723161240000, e.Candle.OpenTime);
        Assert.Equal(MarketData.Instruments.FixedPoint.FromDecimal(61810.5m), e.Candle.Close);
        Assert.Equal(101, e.Candle.TradeCount);
        Assert.Equal(1723161300123, e.EventTime);
    }

    [Fact]
    public void A_broken_kline_is_malformed_with_its_symbol_so_the_feed_can_say_which()
    {
        var parser = new MarketData.Exchanges.Binance.BinanceFrameParser();
        var frame = """
            {"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1723161240000,"T":1723161299999,"s":"BTCUSDT","i":"1m","o":"x","c":"1","h":"1","l":"1","v":"1","n":1,"x":false,"q":"1","V":"0","Q":"0"}}}
            """u8;
        Assert.Equal(MarketData.Exchanges.Binance.BinanceFrameKind.Malformed, parser.Parse(frame));
        Assert.StartsWith("kline:", parser.Error, StringComparison.Ordinal);
        Assert.Equal("BTCUSDT", parser.Symbol);
    }
}
