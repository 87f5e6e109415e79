using System.IO.Compression;
using System.Text;
using MarketData.Exchanges.Binance;
using MarketData.Streams;
using MarketData.Tests.Replay;
using Xunit.Abstractions;

namespace MarketData.Tests.Domain;

/// <summary>
/// The depth fast path must be invisible: for every input, a parser using it gives exactly what the general
/// Utf8JsonReader path gives (kind, error text, symbol, ids, levels). These tests compare the two on
/// hand-made variants, every truncation and random byte mutations of real frames, and the whole recording.
/// </summary>
public class BinanceDepthFastPathTests(ITestOutputHelper output)
{
    private const string Canonical =
        """{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17000000","1.25000000"],["56854.58000000","0.00000000"]],"a":[["61837.64000000","1.54698000"],["61839.85000000","0.00000000"]]}}""";

    private const string RawCanonical =
        """{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[["61837.64","1.5"],["61839.85000000","0"]]}""";

    private readonly BinanceFrameParser _fast = new();
    private readonly BinanceFrameParser _general = new() { FastDepthPathEnabled = false };

    private sealed record Outcome(BinanceFrameKind Kind, string? Error, string? Symbol, long First, long Final, long EventTime, long LastUpdateId, string Bids, string Asks);

    private static Outcome Capture(BinanceFrameParser parser, ReadOnlySpan<byte> frame)
    {
        var kind = parser.Parse(frame);
        return new Outcome(kind, parser.Error, parser.Symbol, parser.FirstUpdateId, parser.FinalUpdateId, parser.EventTime, parser.LastUpdateId,
            string.Join(";", parser.Bids.ToArray()), string.Join(";", parser.Asks.ToArray()));
    }

    /// <summary>Asserts both parsers agree on <paramref name="frame"/>; returns whether the fast path took it.</summary>
    private bool AssertSame(ReadOnlySpan<byte> frame)
    {
        var before = _fast.FastDepthFrames;
        var fast = Capture(_fast, frame);
        var general = Capture(_general, frame);
        Assert.Equal(general, fast);
        return _fast.FastDepthFrames != before;
    }

    private bool AssertSame(string frame) => AssertSame(Encoding.UTF8.GetBytes(frame));

    [SkippableFact]
    public void Canonical_layouts_take_the_fast_path_with_the_same_result()
    {
        Assert.True(AssertSame(Canonical));
        Assert.Equal(BinanceFrameKind.DepthUpdate, _fast.Kind);
        Assert.Equal("BTCUSDT", _fast.Symbol);
        Assert.Equal(new PriceLevel(6_173_017_000_000, 125_000_000), _fast.Bids[1]);
        Assert.True(AssertSame(RawCanonical));
        Assert.Equal(new PriceLevel(6_183_764_000_000, 150_000_000), _fast.Asks[0]);
        Assert.True(AssertSame("""{"e":"depthUpdate","E":0,"s":"ethusdt","U":7,"u":7,"b":[],"a":[]}"""));
        Assert.Equal("ETHUSDT", _fast.Symbol);
        Assert.True(AssertSame("""{"stream":"!odd","data":{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["0.00000001","9999999999.99999999"]],"a":[]}}"""));

        // The fast path result is complete: the stream event is built from it.
        _fast.Parse(Encoding.UTF8.GetBytes(Canonical));
        var diff = Assert.IsType<DepthDiff>(_fast.ToEvent(DateTime.UnixEpoch));
        Assert.Equal(3, diff.Bids.Length);
        Assert.Equal(2, diff.Asks.Length);
    }

    [SkippableTheory]
    // Layout variations the fast path declines; the general path accepts them.
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]} }""")]
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}  """)]
    [InlineData("""{ "e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[ ["1","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1", "1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","u":2,"U":1,"b":[],"a":[]}""")]
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]},"x":1}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.000000000","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["00000000001","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["12345678901","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","-0"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":-5,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1234567890123456789,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"stream":"btc\u0075sdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}""")]
    [InlineData("""{"stream":"bt\u00e9@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}""")]
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]},"stream":"ethusdt@depth"}""")]
    // Malformed: the general path's error must come out unchanged.
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":3,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":01,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1.5,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1e3,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":99999999999999999999,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTC USDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTC\"USDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["0","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["0.00000000","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["-1","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","-1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1.123456789"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["99999999999999999999","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1e5","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"],],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1","2"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[[1,"1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"]]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["\u0031","1"]],"a":[]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"]]}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}""")]
    [InlineData("""{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}x""")]
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}""")]
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}}""")]
    [InlineData("""{"stream":"btcusdt@depth","data":{"e":"depthUpdatex","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}""")]
    public void Variants_give_the_general_result(string frame) => AssertSame(frame);

    [SkippableFact]
    public void Control_characters_and_invalid_utf8_give_the_general_result()
    {
        var frame = Encoding.UTF8.GetBytes(Canonical);
        var stream = Canonical.IndexOf("btcusdt", StringComparison.Ordinal);
        var symbol = Canonical.IndexOf("BTCUSDT", StringComparison.Ordinal);
        foreach (var at in new[] { stream, stream + 3, symbol, symbol + 6 })
        {
            foreach (var b in new byte[] { 0x00, 0x09, 0x1F, 0x7F, 0x80, 0xC3, 0xFF, (byte)'\\', (byte)'"' })
            {
                var copy = (byte[])frame.Clone();
                copy[at] = b;
                AssertSame(copy);
            }
        }
    }

    [SkippableFact]
    public void Every_truncation_gives_the_general_result()
    {
        foreach (var text in new[] { Canonical, RawCanonical })
        {
            var frame = Encoding.UTF8.GetBytes(text);
            for (var length = 0; length <= frame.Length; length++)
            {
                var took = AssertSame(frame.AsSpan(0, length));
                Assert.Equal(length == frame.Length, took);
            }
        }
    }

    [SkippableFact]
    public void Random_byte_mutations_give_the_general_result()
    {
        var random = new Random(20240808);
        var alphabet = "0123456789.,-+eE\"[]{}: \\u/@abxzBTC\u00e9"u8.ToArray();
        foreach (var text in new[] { Canonical, RawCanonical })
        {
            var frame = Encoding.UTF8.GetBytes(text);
            for (var round = 0; round < 4000; round++)
            {
                var copy = (byte[])frame.Clone();
                var edits = 1 + random.Next(3);
                for (var e = 0; e < edits; e++)
                {
                    copy[random.Next(copy.Length)] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
                }
                AssertSame(copy);
            }
        }
    }

    [SkippableFact]
    public void Many_levels_grow_the_arrays_and_the_side_limit_is_kept()
    {
        static string Frame(int levels) =>
            """{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[""" +
            string.Join(",", Enumerable.Range(1, levels).Select(i => $"[\"{i}.5\",\"0.1\"]")) + """],"a":[]}""";

        Assert.True(AssertSame(Frame(300)));
        Assert.Equal(300, _fast.Bids.Length);
        Assert.True(AssertSame(Frame(BinanceFrameParser.MaxLevelsPerSide)));
        Assert.False(AssertSame(Frame(BinanceFrameParser.MaxLevelsPerSide + 1)));
        Assert.Equal(BinanceFrameKind.Malformed, _fast.Kind);
    }

    [SkippableFact]
    public void Whole_recording_takes_the_fast_path_with_the_general_result()
    {
        var folder = HftbacktestBookReplayTests.FindHftbacktestFolder();
        if (folder is null)
            throw new SkipException("../shared/data/hftbacktest absent");

        var depthFrames = 0;
        var fastFrames = 0;
        foreach (var file in new[] { "binance-spot_btcusdt_20240808.gz", "binance-spot_btcusdt_20240809.gz", "binance-spot_ethusdt_20240808.gz" })
        {
            using var stream = new GZipStream(File.OpenRead(Path.Combine(folder, file)), CompressionMode.Decompress);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (reader.ReadLine() is { } line)
            {
                var frame = Encoding.UTF8.GetBytes(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
                if (AssertSame(frame)) fastFrames++;
                if (_general.Kind == BinanceFrameKind.DepthUpdate) depthFrames++;
            }
        }
        output.WriteLine($"{fastFrames} of {depthFrames} depth frames took the fast path");
        Assert.True(depthFrames > 5000);
        Assert.Equal(depthFrames, fastFrames);
    }
}
