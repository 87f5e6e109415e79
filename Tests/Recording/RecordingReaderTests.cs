using System.IO.Compression;
using System.Text;
using MarketData.Recording;
using Xunit.Abstractions;

namespace MarketData.Tests.Recording;

public sealed class RecordingReaderTests(ITestOutputHelper output) : IDisposable
{
    private readonly RecordingTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string Depth(string symbol, long u) =>
        $$$"""{"stream":"{{{symbol.ToLowerInvariant()}}}@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"{{{symbol}}}","U":{{{u}}},"u":{{{u}}},"b":[],"a":[]}}""";

    private static string Snapshot(long lastUpdateId) => $$"""{"lastUpdateId":{{lastUpdateId}},"bids":[["1.0","1.0"]],"asks":[["2.0","1.0"]]}""";

    private static string Text(RecordedFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [SkippableTheory]
    [InlineData(true, "looks-plain.rec")]
    [InlineData(false, "looks-compressed.rec.gz")]
    public void Detects_gzip_by_magic_bytes_not_by_name(bool gzip, string name)
    {
        var path = _files.Write(name, ["100 ws {\"a\":1}", "200 rest:depth:ETHUSDT " + Snapshot(7)], gzip);
        var frames = RecordingReader.ReadFile(path).ToList();
        Assert.Equal(2, frames.Count);
        Assert.Equal((100L, FrameSource.WebSocket, (string?)null, "{\"a\":1}"), (frames[0].ReceivedAtNs, frames[0].Source, frames[0].Symbol, Text(frames[0])));
        Assert.Equal((200L, FrameSource.RestDepth, "ETHUSDT", Snapshot(7)), (frames[1].ReceivedAtNs, frames[1].Source, frames[1].Symbol, Text(frames[1])));
    }

    [SkippableFact]
    public void Handles_crlf_line_ends_and_skips_an_unterminated_last_line()
    {
        var path = _files.FilePath("crlf.rec");
        File.WriteAllText(path, "1 ws {\"a\":1}\r\n2 ws {\"a\":2}\r\n3 ws {\"a\":");
        var reader = new RecordingReader([path]);
        Assert.Equal(["{\"a\":1}", "{\"a\":2}"], reader.ReadFrames().Select(Text).ToArray());
        Assert.Equal(3, reader.LinesRead);
        Assert.Contains("crlf.rec:3: last line has no newline", Assert.Single(reader.Problems), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Hftbacktest_snapshot_line_gets_the_symbol_of_the_files_streams_even_when_it_comes_first()
    {
        var path = _files.Write("btc.gz", ["10 " + Snapshot(99), "20 " + Depth("BTCUSDT", 100), "30 " + Depth("BTCUSDT", 101)], gzip: true);
        var reader = new RecordingReader([path]);
        var session = Assert.Single(reader.Plan());
        Assert.Equal(RecordingFileFormat.Hftbacktest, session.Format);
        Assert.Equal("BTCUSDT", session.Symbol);
        var frames = reader.ReadFrames().ToList();
        Assert.Equal(3, frames.Count);
        Assert.Equal(FrameSource.RestDepth, frames[0].Source);
        Assert.Equal("BTCUSDT", frames[0].Symbol);
        Assert.Equal(Snapshot(99), Text(frames[0]));
        Assert.All(frames.Skip(1), f => Assert.Equal(FrameSource.WebSocket, f.Source));
    }

    [SkippableFact]
    public void Files_of_one_symbol_play_in_time_order_as_one_session_whatever_order_they_are_given_in()
    {
        var day2 = _files.Write("btcusdt_20240809.gz", ["300 " + Depth("BTCUSDT", 3), "400 " + Depth("BTCUSDT", 4)], gzip: true);
        var day1 = _files.Write("btcusdt_20240808.gz", ["100 " + Depth("BTCUSDT", 1), "150 " + Snapshot(1), "200 " + Depth("BTCUSDT", 2)], gzip: true);
        var reader = new RecordingReader([day2, day1]);
        var session = Assert.Single(reader.Plan());
        Assert.Equal([day1, day2], session.Files);
        Assert.Equal([100L, 150, 200, 300, 400], reader.ReadFrames().Select(f => f.ReceivedAtNs).ToArray());
        Assert.Equal(5, reader.LinesRead);
    }

    [SkippableFact]
    public void Sessions_of_different_symbols_are_merged_by_receive_time()
    {
        var btc = _files.Write("btc.gz", ["100 " + Depth("BTCUSDT", 1), "130 " + Snapshot(1), "160 " + Depth("BTCUSDT", 2), "400 " + Depth("BTCUSDT", 3)], gzip: true);
        var eth = _files.Write("eth.gz", ["90 " + Depth("ETHUSDT", 1), "130 " + Depth("ETHUSDT", 2), "150 " + Snapshot(2), "500 " + Depth("ETHUSDT", 3)], gzip: true);
        // A native file is a session of its own, also merged.
        var native = _files.Write("native.rec", ["120 ws {\"n\":1}", "450 ws {\"n\":2}"], gzip: false);
        var reader = new RecordingReader([btc, eth, native]);
        Assert.Equal("BTCUSDT|ETHUSDT|", string.Join('|', reader.Plan().Select(s => s.Symbol)));
        var frames = reader.ReadFrames().ToList();
        Assert.Equal([90L, 100, 120, 130, 130, 150, 160, 400, 450, 500], frames.Select(f => f.ReceivedAtNs).ToArray());
        // Equal times keep session order (BTCUSDT's session came first).
        Assert.Equal(FrameSource.RestDepth, frames[3].Source);
        Assert.Equal("BTCUSDT", frames[3].Symbol);
        Assert.Equal("ETHUSDT", frames[5].Symbol);
    }

    [SkippableFact]
    public void Malformed_lines_are_counted_and_skipped_with_their_line_numbers()
    {
        var problems = new List<string>();
        var path = _files.Write("bad.rec",
        [
            "100 ws {\"ok\":1}",
            "{\"no\":\"timestamp\"}",
            "12a ws {}",
            "",
            "99999999999999999999999 ws {}",
            "200",
            "300 udp {}",
            "400 ws;b64 ***not base64***",
            "500 rest:depth: {}",
            "600 ws",
            "700 ws {\"ok\":2}",
        ], gzip: true);
        var reader = new RecordingReader([path], problems.Add);
        var frames = reader.ReadFrames().ToList();
        Assert.Equal(["{\"ok\":1}", "{\"ok\":2}"], frames.Select(Text).ToArray());
        Assert.Equal(11, reader.LinesRead);
        Assert.Equal(9, reader.MalformedLines);
        Assert.Equal(9, problems.Count);
        Assert.Equal(problems, reader.Problems);
        foreach (var p in problems) output.WriteLine(p);
        Assert.Contains(problems, p => p.EndsWith("bad.rec:2: no timestamp at the start of the line", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("bad.rec:3: bad timestamp '12a'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("bad.rec:4: empty line", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("bad.rec:7: unknown source 'udp'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("bad.rec:8: bad base64", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_file_that_breaks_off_mid_gzip_plays_up_to_the_break()
    {
        var lines = Enumerable.Range(1, 20_000).Select(i => $"{i} ws {{\"n\":{i},\"pad\":\"{Guid.NewGuid()}\"}}").ToArray();
        var whole = _files.Write("whole.rec.gz", lines, gzip: true);
        var bytes = File.ReadAllBytes(whole);
        var cut = _files.FilePath("cut.rec.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var reader = new RecordingReader([cut]);
        var frames = reader.ReadFrames().ToList();
        output.WriteLine($"{frames.Count} frames, problems: {string.Join("; ", reader.Problems)}");
        Assert.InRange(frames.Count, 1, lines.Length - 1);
        // Frames before the break are intact and in order; the break is reported, not thrown.
        Assert.Equal(Enumerable.Range(1, frames.Count).Select(i => (long)i), frames.Select(f => f.ReceivedAtNs));
        // .NET's GZipStream ends a cut-off stream without an error, so the sign is the unfinished last line,
        // unless the cut happens to fall on a line end (then the file looks complete).
        Assert.InRange(reader.Problems.Count, 0, 1);
        Assert.All(reader.Problems, p => Assert.Contains($"cut.rec.gz:{frames.Count + 1}: last line has no newline", p, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_missing_or_undecodable_file_throws_a_recording_exception()
    {
        Assert.Throws<RecordingException>(() => new RecordingReader([_files.FilePath("missing.rec.gz")]).Plan());
        var garbage = _files.FilePath("garbage.gz");
        File.WriteAllBytes(garbage, [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x03, 0xff, 0xff, 0xff, 0xff]);
        var ex = Assert.Throws<RecordingException>(() => new RecordingReader([garbage]).ReadFrames().ToList());
        output.WriteLine(ex.Message);
    }

    [SkippableFact]
    public void Reads_the_hftbacktest_spot_files_as_two_merged_sessions()
    {
        string?[] paths =
        [
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_ethusdt_20240809.gz"),
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_btcusdt_20240809.gz"),
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_btcusdt_20240808.gz"),
            RecordingTestFiles.SharedData("hftbacktest/binance-spot_ethusdt_20240808.gz"),
        ];
        if (paths.Any(p => p is null)) throw new SkipException("../shared/data/hftbacktest absent");

        var reader = new RecordingReader(paths!);
        var sessions = reader.Plan();
        Assert.Equal(2, sessions.Count);
        Assert.Equal("ETHUSDT|BTCUSDT", string.Join('|', sessions.Select(s => s.Symbol)));
        Assert.All(sessions, s => Assert.EndsWith("20240808.gz", s.Files[0], StringComparison.Ordinal));

        long previous = 0, count = 0, outOfOrder = 0;
        var snapshots = new List<string?>();
        foreach (var frame in reader.ReadFrames())
        {
            if (frame.ReceivedAtNs < previous) outOfOrder++;
            previous = frame.ReceivedAtNs;
            count++;
            if (frame.Source == FrameSource.RestDepth) snapshots.Add(frame.Symbol);
        }
        // Line counts measured in ../shared/data/README.md: 41,249 + 58,325 + 33,618 + 46,126.
        Assert.Equal(179_318, count);
        Assert.Equal(179_318, reader.LinesRead);
        Assert.Equal(0, reader.MalformedLines);
        Assert.Equal(0, outOfOrder);
        Assert.Equal("BTCUSDT|ETHUSDT", string.Join('|', snapshots.Order(StringComparer.Ordinal)));
    }
}
