using System.Text;
using MarketData.Candles;
using MarketData.Domain.Candles;
using MarketData.Exchanges.Binance;
using static MarketData.Tests.Domain.Candles.CandleTestData;

namespace MarketData.Tests.Domain.Candles;

public class BinanceKlineParserTests
{
    private const long Now = 1_723_161_630_000; // inside the third minute of the bodies below

    // Two closed minutes and the forming one, as Binance sends them (numbers as strings, times and count as ints).
    private const string BinanceBody =
        """[[1723161480000,"61837.63000000","61850.00000000","61800.01000000","61845.99000000","12.34567000",1723161539999,"763400.12345678",1234,"6.00000000","371000.50000000","0"],""" +
        """[1723161540000,"61845.99000000","61900.00000000","61845.99000000","61890.00000000","1.00000000",1723161599999,"61870.00000000",56,"0.50000000","30935.00000000","0"],""" +
        """[1723161600000,"61890.00000000","61890.00000000","61880.00000000","61885.00000000","0.10000000",1723161659999,"6188.50000000",3,"0.00000000","0.00000000","0"]]""";

    // MEXC: 8 columns, no count or taker volumes.
    private const string MexcBody =
        """[[1723161480000,"61837.63","61850","61800.01","61845.99","12.34567",1723161539999,"763400.12345678"],""" +
        """[1723161540000,"61845.99","61900","61845.99","61890","1",1723161599999,"61870"]]""";

    private const string StreamEvent =
        """{"e":"kline","E":1723161542136,"s":"BTCUSDT","k":{"t":1723161540000,"T":1723161599999,"s":"BTCUSDT","i":"1m","f":100,"L":200""" +
        ""","o":"61845.99000000","c":"61890.00000000","h":"61900.00000000","l":"61845.99000000","v":"1.00000000","n":101,"x":false""" +
        ""","q":"61870.00000000","V":"0.50000000","Q":"30935.00000000","B":"123456"}}""";

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Binance_rows_parse_with_every_column()
    {
        var output = new List<Candle>();
        Assert.True(BinanceKlineParser.ParseRestBody(U(BinanceBody), Timeframe.OneMinute, CandleSource.BinanceRest, Now, output, out var error), error);
        Assert.Equal(3, output.Count);
        var c = output[0];
        Assert.Equal(1723161480000, c.OpenTime);
        Assert.Equal(1723161539999, c.CloseTime);
        Assert.Equal((Px(61837.63m), Px(61850m), Px(61800.01m), Px(61845.99m)), (c.Open, c.High, c.Low, c.Close));
        Assert.Equal(Px(12.34567m), c.Volume);
        Assert.Equal(Px(763400.12345678m), c.QuoteVolume);
        Assert.Equal(1234, c.TradeCount);
        Assert.Equal(Px(6m), c.TakerBuyVolume);
        Assert.Equal(Px(371000.5m), c.TakerBuyQuoteVolume);
        Assert.Equal(CandleSource.BinanceRest, c.Source);
        Assert.True(output[0].IsClosed && output[1].IsClosed);
        Assert.False(output[2].IsClosed); // closes after "now": the forming bar

        var series = new CandleSeries(Timeframe.OneMinute);
        Assert.Equal(CandleApplyResult.Appended, series.Apply(output[0]).Result);
        Assert.Equal(CandleApplyResult.Appended, series.Apply(output[1]).Result);
        Assert.Equal(CandleApplyResult.UpdatedForming, series.Apply(output[2]).Result);
    }

    [Fact]
    public void Mexc_rows_parse_with_zero_count_and_taker_volumes()
    {
        var output = new List<Candle>();
        Assert.True(BinanceKlineParser.ParseRestBody(U(MexcBody), Timeframe.OneMinute, CandleSource.MexcRest, Now, output, out var error), error);
        Assert.Equal(2, output.Count);
        Assert.Equal(Px(61837.63m), output[0].Open);
        Assert.Equal(Px(763400.12345678m), output[0].QuoteVolume);
        Assert.Equal(0, output[0].TradeCount);
        Assert.Equal(0, output[0].TakerBuyVolume);
        Assert.Equal(CandleSource.MexcRest, output[1].Source);
        Assert.True(output[1].IsClosed);
    }

    [Fact]
    public void Empty_array_is_no_rows()
    {
        var output = new List<Candle>();
        Assert.True(BinanceKlineParser.ParseRestBody("[]"u8, Timeframe.OneHour, CandleSource.BinanceRest, Now, output, out _));
        Assert.Empty(output);
    }

    [Fact]
    public void Microsecond_times_become_milliseconds()
    {
        // data.binance.vision spot rows from 2025 on use microseconds.
        const string body = """[[1735689600000000,"4.15070000","4.15870000","4.15060000","4.15540000","539.23000000",1735693199999999,"2240.39860900",13,"401.82000000","1669.98121300","0"]]""";
        var output = new List<Candle>();
        Assert.True(BinanceKlineParser.ParseRestBody(U(body), Timeframe.OneHour, CandleSource.BinanceRest, long.MaxValue, output, out var error), error);
        Assert.Equal(1735689600000, output[0].OpenTime);
        Assert.Equal(1735693199999, output[0].CloseTime);
        Assert.Equal(CandleApplyResult.Appended, new CandleSeries(Timeframe.OneHour).Apply(output[0]).Result);

        var parser = new BinanceKlineParser();
        var micro = StreamEvent.Replace("\"t\":1723161540000", "\"t\":1723161540000000").Replace("\"T\":1723161599999", "\"T\":1723161599999999");
        Assert.True(parser.TryParseStreamKline(U(micro), out var candle, out _, out _, out error), error);
        Assert.Equal(1723161540000, candle.OpenTime);
        Assert.Equal(1723161599999, candle.CloseTime);
    }

    public static TheoryData<string, string> MalformedBodies() => new()
    {
        { "", "empty" },
        { "{\"code\":-1121,\"msg\":\"Invalid interval.\"}", "object" },
        { "[[1723161480000,\"1\",\"1\",\"1\",\"1\",\"1\",1723161539999]]", "columns" },
        { "[[1723161480000,\"1\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\",5,\"1\"]]", "columns" },
        { "[[1723161480000,\"x\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "non-numeric" },
        { "[[1723161480000,\"1.123456789\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "more than 8 decimals" },
        { "[[1723161480000,\"1e5\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "non-numeric" },
        { "[[\"abc\",\"1\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "integer" },
        { "[[1723161480000.5,\"1\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "integer" },
        { "[[1723161480000,null,\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "decimal" },
        { "[[1723161480000,[\"1\"],\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\"]]", "decimal" },
        { "[1723161480000]", "expected an array" },
        { "[[1,\"1\",\"1\",\"1\",\"1\",\"1\",2,\"1\"]] x", "JSON" },
        { "[[1723161480000,\"1\",\"1\",\"1\",\"1\",\"1\",1723161539999,\"1\",5,\"1\",\"1\",{}]]", "nested" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void Malformed_bodies_give_an_error_and_no_rows(string body, string expected)
    {
        var output = new List<Candle> { Make(Timeframe.OneMinute, 0) }; // earlier content stays
        Assert.False(BinanceKlineParser.ParseRestBody(U(body), Timeframe.OneMinute, CandleSource.BinanceRest, Now, output, out var error));
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
        Assert.Single(output);
    }

    [Fact]
    public void A_body_truncated_at_every_byte_is_an_error()
    {
        foreach (var body in new[] { BinanceBody, MexcBody })
        {
            var bytes = U(body);
            for (var cut = 0; cut < bytes.Length; cut++)
            {
                var output = new List<Candle>();
                Assert.False(BinanceKlineParser.ParseRestBody(bytes.AsSpan(0, cut), Timeframe.OneMinute, CandleSource.BinanceRest, Now, output, out var error), $"cut at {cut}");
                Assert.NotNull(error);
                Assert.Empty(output);
            }
        }
    }

    [Fact]
    public void Stream_kline_parses_forming_and_closed()
    {
        var parser = new BinanceKlineParser();
        Assert.True(parser.TryParseStreamKline(U(StreamEvent), out var candle, out var closed, out var symbol, out var timeframe, out var error), error);
        Assert.False(closed);
        Assert.Equal("BTCUSDT", symbol);
        Assert.Equal(Timeframe.OneMinute, timeframe);
        Assert.Equal(1723161540000, candle.OpenTime);
        Assert.Equal(1723161599999, candle.CloseTime);
        Assert.Equal((Px(61845.99m), Px(61900m), Px(61845.99m), Px(61890m)), (candle.Open, candle.High, candle.Low, candle.Close));
        Assert.Equal(Px(1m), candle.Volume);
        Assert.Equal(Px(61870m), candle.QuoteVolume);
        Assert.Equal(101, candle.TradeCount);
        Assert.Equal(Px(0.5m), candle.TakerBuyVolume);
        Assert.Equal(Px(30935m), candle.TakerBuyQuoteVolume);
        Assert.Equal(CandleSource.BinanceStream, candle.Source);
        Assert.Equal(CandleFlags.None, candle.Flags);

        Assert.True(parser.TryParseStreamKline(U(StreamEvent.Replace("\"x\":false", "\"x\":true")), out candle, out closed, out _, out error), error);
        Assert.True(closed);
        Assert.True(candle.IsClosed);

        // The whole combined-stream frame works too.
        var frame = "{\"stream\":\"btcusdt@kline_1m\",\"data\":" + StreamEvent + "}";
        Assert.True(parser.TryParseStreamKline(U(frame), out var fromFrame, out _, out symbol, out error), error);
        Assert.Equal("BTCUSDT", symbol);
        Assert.Equal(candle with { Flags = CandleFlags.None }, fromFrame);
    }

    [Theory]
    [InlineData("\"i\":\"1m\"", "\"i\":\"3m\"", "unknown interval")]
    [InlineData("\"e\":\"kline\"", "\"e\":\"trade\"", "not a kline")]
    [InlineData("\"o\":\"61845.99000000\",", "", "misses")]
    [InlineData("\"n\":101", "\"n\":\"x\"", "integer")]
    [InlineData("\"x\":false", "\"x\":\"no\"", "true or false")]
    [InlineData("\"v\":\"1.00000000\"", "\"v\":\"1.0.0\"", "non-numeric")]
    [InlineData("\"k\":{", "\"k\":[{", "expected an object")]
    public void Malformed_stream_klines_give_an_error(string from, string to, string expected)
    {
        var parser = new BinanceKlineParser();
        var text = StreamEvent.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(StreamEvent, text);
        Assert.False(parser.TryParseStreamKline(U(text), out _, out var closed, out _, out var error));
        Assert.False(closed);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_stream_kline_truncated_at_every_byte_is_an_error()
    {
        var parser = new BinanceKlineParser();
        var bytes = U(StreamEvent);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            Assert.False(parser.TryParseStreamKline(bytes.AsSpan(0, cut), out _, out _, out _, out var error), $"cut at {cut}");
            Assert.NotNull(error);
        }
    }
}
