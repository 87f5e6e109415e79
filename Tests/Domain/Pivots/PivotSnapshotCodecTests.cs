using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using MarketData.Domain.Pivots;
using MarketData.Pivots;
using static MarketData.Tests.Domain.Pivots.PivotTestData;

namespace MarketData.Tests.Domain.Pivots;

public class PivotSnapshotCodecTests
{
    private static PivotEngineSnapshot Snapshot(int candles = 3_000, bool skipInside = false) =>
        WilliamsPivotEngine.Compute(RandomWalk(candles, 7, gapEvery: 97), new PivotOptions { Strength = 2, SkipInsideCandles = skipInside, WindowMs = 1_000 * Step }).Export();

    private static string Json(PivotEngineSnapshot snapshot) => JsonSerializer.Serialize(snapshot);

    /// <summary>Appends a valid checksum, so a test reaches the framing checks behind it.</summary>
    private static byte[] Sealed(byte[] body)
    {
        var bytes = new byte[body.Length + 4];
        body.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Crc32.HashToUInt32(body));
        return bytes;
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(3_000, false)]
    [InlineData(3_000, true)]
    public void A_snapshot_reads_back_field_for_field(int candles, bool skipInside)
    {
        var snapshot = Snapshot(candles, skipInside);
        Assert.True(PivotSnapshotCodec.TryDecode(PivotSnapshotCodec.Encode(snapshot), out var decoded, out var error), error);
        Assert.Equal(Json(snapshot), Json(decoded!));
    }

    [Fact]
    public void Extreme_values_survive_the_delta_coding()
    {
        var snapshot = Snapshot(50) with
        {
            MergeTolerance = double.Epsilon,
            Cutoff = long.MinValue,
            TailHighs = [long.MaxValue, long.MinValue, 0, -1, long.MaxValue],
            RunStep = [long.MinValue, long.MaxValue],
        };
        Assert.True(PivotSnapshotCodec.TryDecode(PivotSnapshotCodec.Encode(snapshot), out var decoded, out var error), error);
        Assert.Equal(Json(snapshot), Json(decoded!));
    }

    [Fact]
    public void Deltas_of_every_varint_length_are_measured_exactly()
    {
        // The first pass counts bytes without writing; a miscount at any 7-bit boundary would make Encode throw.
        var values = new List<long> { 0 };
        for (var bit = 0; bit < 63; bit++)
            foreach (var delta in new[] { (1L << bit) - 1, 1L << bit, -(1L << bit), -(1L << bit) - 1 })
                values.Add(unchecked(values[^1] + delta));
        var snapshot = Snapshot(50) with { RunFirst = [.. values] };
        Assert.True(PivotSnapshotCodec.TryDecode(PivotSnapshotCodec.Encode(snapshot), out var decoded, out var error), error);
        Assert.Equal(Json(snapshot), Json(decoded!));
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_reason()
    {
        var bytes = PivotSnapshotCodec.Encode(Snapshot(400));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(PivotSnapshotCodec.TryDecode(bytes.AsSpan(0, length), out var snapshot, out var error), $"length {length}");
            Assert.Null(snapshot);
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Fact]
    public void Foreign_bytes_an_unknown_format_and_trailing_bytes_are_refused()
    {
        var bytes = PivotSnapshotCodec.Encode(Snapshot(100));
        Assert.False(PivotSnapshotCodec.TryDecode("{\"Version\":1}"u8, out _, out var error));
        Assert.Contains("WPS", error);

        var future = bytes[..^4];
        future[3] = 2;
        Assert.False(PivotSnapshotCodec.TryDecode(Sealed(future), out _, out error));
        Assert.Contains("format 2", error);

        Assert.False(PivotSnapshotCodec.TryDecode([.. bytes, 0], out _, out error));
        Assert.Contains("checksum", error);
        Assert.False(PivotSnapshotCodec.TryDecode(Sealed([.. bytes.AsSpan(0, bytes.Length - 4), 0]), out _, out error));
        Assert.Contains("1 bytes after the end", error);
    }

    [Fact]
    public void A_length_larger_than_the_data_is_damage_not_an_allocation()
    {
        // Header, then scalars up to Cutoff, then a TailOpenTimes length of 2^40 with nothing behind it.
        byte[] bytes = [.. "WPS"u8, 1, 2, 10, 4, 0, 20, .. new byte[8], 2, 2, 2, 2, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        Assert.False(PivotSnapshotCodec.TryDecode(Sealed(bytes), out _, out var error));
        Assert.Contains("array length", error);

        byte[] overflow = [.. "WPS"u8, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        Assert.False(PivotSnapshotCodec.TryDecode(Sealed(overflow), out _, out error));
        Assert.Contains("varint", error);
    }

    [Fact]
    public void Every_single_bit_flip_is_caught_by_the_checksum()
    {
        var bytes = PivotSnapshotCodec.Encode(Snapshot(200));
        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(PivotSnapshotCodec.TryDecode(damaged, out var snapshot, out var error), $"bit {bit}");
            Assert.Null(snapshot);
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Fact]
    public void A_consistent_frame_with_inconsistent_tails_is_refused_by_the_engine_not_thrown()
    {
        var snapshot = Snapshot(600);
        var damaged = snapshot with { Highs = snapshot.Highs with { TailTimes = [.. snapshot.Highs.TailTimes, 1] } };
        Assert.True(PivotSnapshotCodec.TryDecode(PivotSnapshotCodec.Encode(damaged), out var decoded, out _));
        Assert.False(WilliamsPivotEngine.TryImport(decoded!, null, out _, out var error));
        Assert.Contains("tail arrays differ", error);
    }

    [Fact]
    public void The_encoded_form_is_far_smaller_than_the_arrays()
    {
        var snapshot = WilliamsPivotEngine.Compute(WilliamsPivotEngineTests.SyntheticSeconds(100_000, seed: 3)).Export();
        var raw = 8L * (snapshot.Highs.Times.Length + snapshot.Lows.Times.Length) * 4;
        var encoded = PivotSnapshotCodec.Encode(snapshot).Length;
        // About 8 bytes a level-1 point against 32 for its four longs (and about 30 as Orleans fields).
        Assert.True(encoded < raw * 0.4, $"encoded {encoded} B, the level-1 arrays alone {raw} B");
    }
}
