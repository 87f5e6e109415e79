using System.IO.Compression;
using System.Text;
using MarketData.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MarketData.Tests.Recording;

public sealed class FileFrameRecorderTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2024, 8, 8, 23, 54, 13, TimeSpan.Zero);
    private readonly RecordingTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Round_trip_keeps_times_sources_and_bytes_and_base64_encodes_line_breaks()
    {
        var time = new FakeTimeProvider(Start);
        var t0 = new DateTime(2024, 8, 8, 23, 54, 13, 937, DateTimeKind.Utc).AddTicks(851);
        var frames = new (DateTime At, string Source, byte[] Payload)[]
        {
            (t0, "ws", """{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT"}}"""u8.ToArray()),
            (t0.AddMilliseconds(5), "rest:depth:BTCUSDT", """{"lastUpdateId":5,"bids":[],"asks":[]}"""u8.ToArray()),
            (t0.AddMilliseconds(6), "ws", "{\"a\":\n1,\r\n\"b\":2}"u8.ToArray()),
            (t0.AddMilliseconds(7), "ws", Array.Empty<byte>()),
        };
        string path;
        await using (var recorder = new FileFrameRecorder(_files.Directory, "binance", time, NullLogger.Instance))
        {
            foreach (var f in frames) recorder.Record(f.At, f.Source, f.Payload);
            await recorder.DisposeAsync();
            Assert.Equal(4, recorder.WrittenRecords);
            Assert.Equal(0, recorder.DroppedRecords);
            path = Assert.Single(Directory.GetFiles(_files.Directory));
        }
        Assert.Equal("binance-20240808T235413Z.rec.gz", Path.GetFileName(path));

        var rawLines = ReadGzipLines(path);
        Assert.Equal(4, rawLines.Length);
        Assert.StartsWith($"{RecordingFormat.ToUnixNanoseconds(t0)} ws {{\"stream\"", rawLines[0], StringComparison.Ordinal);
        Assert.StartsWith("1723161253937085100 ws ", rawLines[0], StringComparison.Ordinal);
        Assert.Contains(" ws;b64 ", rawLines[2], StringComparison.Ordinal);

        var read = RecordingReader.ReadFile(path).ToList();
        Assert.Equal(frames.Length, read.Count);
        for (var i = 0; i < frames.Length; i++)
        {
            Assert.Equal(frames[i].At, read[i].ReceivedAtUtc);
            Assert.Equal(frames[i].Payload, read[i].Payload.ToArray());
        }
        Assert.Equal(FrameSource.WebSocket, read[0].Source);
        Assert.Null(read[0].Symbol);
        Assert.Equal(FrameSource.RestDepth, read[1].Source);
        Assert.Equal("BTCUSDT", read[1].Symbol);
        Assert.Equal(FrameSource.WebSocket, read[2].Source);
    }

    [Fact]
    public async Task Rolls_to_a_new_file_every_hour()
    {
        var time = new FakeTimeProvider(Start);
        var recorder = new FileFrameRecorder(_files.Directory, "binance", time, NullLogger.Instance);
        recorder.Record(Start.UtcDateTime, "ws", "{\"n\":1}"u8);
        await RecordingTestFiles.WaitUntil(() => recorder.WrittenRecords == 1, "the first record to be written");
        time.Advance(TimeSpan.FromMinutes(59));
        recorder.Record(time.GetUtcNow().UtcDateTime, "ws", "{\"n\":2}"u8);
        await RecordingTestFiles.WaitUntil(() => recorder.WrittenRecords == 2, "the second record to be written");
        time.Advance(TimeSpan.FromMinutes(1));
        recorder.Record(time.GetUtcNow().UtcDateTime, "ws", "{\"n\":3}"u8);
        await recorder.DisposeAsync();

        Assert.Equal(2, recorder.FilesOpened);
        var files = Directory.GetFiles(_files.Directory).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, files.Length);
        Assert.Equal("binance-20240808T235413Z.rec.gz", files[0]);
        Assert.Equal("binance-20240809T005413Z.rec.gz", files[1]);
        Assert.Equal(2, ReadGzipLines(_files.FilePath(files[0])).Length);
        Assert.Single(ReadGzipLines(_files.FilePath(files[1])));
        // Both files read back as one recording, in time order.
        var all = new RecordingReader(Directory.GetFiles(_files.Directory)).ReadFrames().Select(f => Encoding.UTF8.GetString(f.Payload.Span)).ToArray();
        Assert.Equal(["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"], all);
    }

    [Fact]
    public async Task Records_that_cannot_be_written_are_counted_as_dropped_not_thrown()
    {
        var time = new FakeTimeProvider(Start);
        // The "directory" is a file: opening a recording fails, every record is dropped and counted.
        var blocker = _files.Write("not-a-directory", ["x"], gzip: false);
        var recorder = new FileFrameRecorder(blocker, "binance", time, NullLogger.Instance);
        recorder.Record(Start.UtcDateTime, "ws", "{}"u8);
        recorder.Record(Start.UtcDateTime, "ws", "{}"u8);
        await recorder.DisposeAsync();
        Assert.Equal(2, recorder.DroppedRecords);
        Assert.Equal(0, recorder.WrittenRecords);

        // After disposal nothing is accepted, and that is counted too.
        recorder.Record(Start.UtcDateTime, "ws", "{}"u8);
        Assert.Equal(3, recorder.DroppedRecords);
    }

    [Fact]
    public async Task A_full_channel_drops_and_counts_instead_of_blocking()
    {
        var time = new FakeTimeProvider(Start);
        var recorder = new FileFrameRecorder(_files.Directory, "binance", time, NullLogger.Instance, capacity: 1);
        const int records = 20_000;
        var payload = new byte[256];
        for (var i = 0; i < records; i++) recorder.Record(Start.UtcDateTime, "ws", payload);
        await recorder.DisposeAsync();
        // Whatever the writer kept up with, every record is accounted for exactly once.
        Assert.Equal(records, recorder.WrittenRecords + recorder.DroppedRecords);
        Assert.Equal(recorder.WrittenRecords, ReadGzipLines(Assert.Single(Directory.GetFiles(_files.Directory))).Length);
    }

    [Fact]
    public async Task A_source_with_a_space_is_a_programming_error()
    {
        await using var recorder = new FileFrameRecorder(_files.Directory, "binance", new FakeTimeProvider(Start), NullLogger.Instance);
        Assert.Throws<ArgumentException>(() => recorder.Record(Start.UtcDateTime, "rest depth", "{}"u8));
    }

    private static string[] ReadGzipLines(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
