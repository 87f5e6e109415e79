using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics;
using MarketData.Pivots;

namespace MarketData.Domain.Pivots;

/// <summary>
/// A compact binary form of a <see cref="PivotEngineSnapshot"/> for grain storage. The snapshot is mostly sorted
/// arrays of times, prices, confirmation times and candle indexes of every level-1 point (a third of all candles on
/// short timeframes). Written as zigzag varints of the difference to the previous element, a point costs about a
/// third of its Orleans binary size: a 30-day 1s window is about 12 MB instead of 33 MB. That is what a silo writes
/// to PostgreSQL per symbol at every pivot save, and keeps in memory with memory storage.
/// </summary>
/// <remarks>
/// Layout: the magic <c>WPS</c>, a format byte, every field in declaration order, and a CRC-32 of all that (4 bytes
/// little-endian). Integers are zigzag varints, doubles 8 bytes little-endian, arrays a varint length then delta-coded
/// elements. The checksum catches what storage damaged (every single-bit error, every burst up to 32 bits): the engine
/// trusts a snapshot's content once it is consistent, so damage must never reach it. Decoding also checks the framing
/// (lengths, varint overflow, trailing bytes); <see cref="WilliamsPivotEngine.TryImport"/> checks the content.
/// </remarks>
public static class PivotSnapshotCodec
{
    private const byte Format = 1;
    private const int ChecksumBytes = 4;
    private static ReadOnlySpan<byte> Magic => "WPS"u8;

    public static byte[] Encode(PivotEngineSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // Two passes: the first only measures, so the blob is allocated once at its exact size (a 30-day engine's is
        // 12 MB; a working buffer and a sealed copy of it were two such objects per save).
        var size = new Writer(null);
        Write(size, snapshot);
        var w = new Writer(new byte[size.Length + ChecksumBytes]);
        Write(w, snapshot);
        return w.Seal();

        static void Write(Writer w, PivotEngineSnapshot snapshot)
        {
            w.Bytes(Magic);
            w.Byte(Format);
            w.Long(snapshot.Version);
            w.Long(snapshot.Levels);
            w.Long(snapshot.Strength);
            w.Byte(snapshot.SkipInsideCandles ? (byte)1 : (byte)0);
            w.Long(snapshot.WindowMs);
            w.Double(snapshot.MergeTolerance);
            w.Long(snapshot.SupportResistanceMinLevel);
            w.Long(snapshot.TotalCandles);
            w.Long(snapshot.LastOpenTime);
            w.Long(snapshot.LastCloseTime);
            w.Long(snapshot.Cutoff);
            w.Array(snapshot.TailOpenTimes);
            w.Array(snapshot.TailCloseTimes);
            w.Array(snapshot.TailHighs);
            w.Array(snapshot.TailLows);
            w.Array(snapshot.TailIndexes);
            w.Array(snapshot.RunFirst);
            w.Array(snapshot.RunStep);
            w.Array(snapshot.RunCount);
            Deque(w, snapshot.HighMax);
            Deque(w, snapshot.LowMin);
            Deque(w, snapshot.VolumeMax);
            Deque(w, snapshot.VolumeMin);
            Series(w, snapshot.Highs);
            Series(w, snapshot.Lows);
        }

        static void Deque(Writer w, SlidingDequeSnapshot d)
        {
            w.Array(d.Times);
            w.Array(d.Values);
        }

        static void Series(Writer w, SwingSeriesSnapshot s)
        {
            w.Long(s.FirstSeq);
            w.Array(s.Times);
            w.Array(s.Prices);
            w.Array(s.ConfirmedAt);
            w.Array(s.CandleIndexes);
            w.Long(s.Upper.Length);
            foreach (var level in s.Upper)
            {
                w.Array(level.Seqs);
                w.Array(level.ConfirmedAt);
            }
            w.Array(s.TailLevels);
            w.Array(s.TailTimes);
            w.Array(s.TailPrices);
            w.Array(s.TailConfirmedAt);
            w.Array(s.TailCandleIndexes);
            w.Array(s.TailSeqs);
        }
    }

    /// <summary>Reads what <see cref="Encode"/> wrote; false with the reason when the bytes are not such a snapshot.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out PivotEngineSnapshot? snapshot, out string? error)
    {
        snapshot = null;
        if (data.Length < Magic.Length + 1 + ChecksumBytes || !data[..Magic.Length].SequenceEqual(Magic))
        {
            error = "not a pivot snapshot (no WPS header)";
            return false;
        }
        var body = data[..^ChecksumBytes];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[^ChecksumBytes..]))
        {
            error = "pivot snapshot damaged: checksum mismatch";
            return false;
        }
        var r = new Reader(body);
        r.Skip(Magic.Length);
        var format = r.Byte();
        if (format != Format)
        {
            error = $"pivot snapshot format {format} is not supported (this build reads {Format})";
            return false;
        }
        try
        {
            snapshot = new PivotEngineSnapshot
            {
                Version = r.Int(),
                Levels = r.Int(),
                Strength = r.Int(),
                SkipInsideCandles = r.Byte() switch { 0 => false, 1 => true, var b => throw new FormatException($"flag byte {b}") },
                WindowMs = r.Long(),
                MergeTolerance = r.Double(),
                SupportResistanceMinLevel = r.Int(),
                TotalCandles = r.Long(),
                LastOpenTime = r.Long(),
                LastCloseTime = r.Long(),
                Cutoff = r.Long(),
                TailOpenTimes = r.Longs(),
                TailCloseTimes = r.Longs(),
                TailHighs = r.Longs(),
                TailLows = r.Longs(),
                TailIndexes = r.Longs(),
                RunFirst = r.Longs(),
                RunStep = r.Longs(),
                RunCount = r.Longs(),
                HighMax = Deque(ref r),
                LowMin = Deque(ref r),
                VolumeMax = Deque(ref r),
                VolumeMin = Deque(ref r),
                Highs = Series(ref r),
                Lows = Series(ref r),
            };
            if (r.Remaining != 0) throw new FormatException($"{r.Remaining} bytes after the end");
            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            snapshot = null;
            error = $"pivot snapshot damaged at byte {r.Position}: {ex.Message}";
            return false;
        }

        static SlidingDequeSnapshot Deque(ref Reader r) => new() { Times = r.Longs(), Values = r.Longs() };

        static SwingSeriesSnapshot Series(ref Reader r)
        {
            var firstSeq = r.Long();
            var times = r.Longs();
            var prices = r.Longs();
            var confirmedAt = r.Longs();
            var candleIndexes = r.Longs();
            var upper = new UpperLevelSnapshot[r.Length()];
            for (var i = 0; i < upper.Length; i++) upper[i] = new UpperLevelSnapshot { Seqs = r.Longs(), ConfirmedAt = r.Longs() };
            return new SwingSeriesSnapshot
            {
                FirstSeq = firstSeq, Times = times, Prices = prices, ConfirmedAt = confirmedAt, CandleIndexes = candleIndexes, Upper = upper,
                TailLevels = r.Ints(), TailTimes = r.Longs(), TailPrices = r.Longs(), TailConfirmedAt = r.Longs(),
                TailCandleIndexes = r.Longs(), TailSeqs = r.Longs(),
            };
        }
    }

    /// <summary>
    /// Writes zigzag varints into an exact-size buffer, or (with no buffer) only counts the bytes they take.
    /// </summary>
    private sealed class Writer(byte[]? buffer)
    {
        private readonly byte[]? _buffer = buffer;
        private int _length;

        /// <summary>Bytes written (or counted) so far.</summary>
        public int Length => _length;

        public void Byte(byte value)
        {
            if (_buffer is not null) _buffer[_length] = value;
            _length++;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            if (_buffer is not null) value.CopyTo(_buffer.AsSpan(_length));
            _length += value.Length;
        }

        public void Double(double value)
        {
            if (_buffer is not null) BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_length), value);
            _length += 8;
        }

        public void Long(long value)
        {
            var v = (ulong)((value << 1) ^ (value >> 63));
            if (_buffer is null)
            {
                // 7 bits a byte; zero still takes one.
                _length += (70 - BitOperations.LeadingZeroCount(v | 1)) / 7;
                return;
            }
            while (v >= 0x80)
            {
                _buffer[_length++] = (byte)(v | 0x80);
                v >>= 7;
            }
            _buffer[_length++] = (byte)v;
        }

        public void Array(long[] values)
        {
            Long(values.Length);
            long previous = 0;
            foreach (var value in values)
            {
                Long(unchecked(value - previous));
                previous = value;
            }
        }

        public void Array(int[] values)
        {
            Long(values.Length);
            long previous = 0;
            foreach (var value in values)
            {
                Long(value - previous);
                previous = value;
            }
        }

        /// <summary>The buffer, its last bytes set to the CRC-32 of all before them.</summary>
        public byte[] Seal()
        {
            if (_buffer is null || _length != _buffer.Length - ChecksumBytes)
                throw new InvalidOperationException($"The snapshot wrote {_length} bytes where {(_buffer?.Length ?? 0) - ChecksumBytes} were measured.");
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), Crc32.HashToUInt32(_buffer.AsSpan(0, _length)));
            return _buffer;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position { get; private set; }
        public readonly int Remaining => _data.Length - Position;

        public void Skip(int count) => Position += count;

        public byte Byte()
        {
            if (Remaining < 1) throw new FormatException("truncated");
            return _data[Position++];
        }

        public double Double()
        {
            if (Remaining < 8) throw new FormatException("truncated");
            var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(Position, 8));
            Position += 8;
            return value;
        }

        public long Long()
        {
            ulong v = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                var b = Byte();
                if (shift == 63 && b > 1) throw new FormatException("varint overflow");
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return (long)(v >> 1) ^ -(long)(v & 1);
            }
            throw new FormatException("varint longer than 10 bytes");
        }

        public int Int()
        {
            var value = Long();
            return value is < int.MinValue or > int.MaxValue ? throw new FormatException($"{value} does not fit an int") : (int)value;
        }

        /// <summary>An array length: each element takes at least a byte, so a length beyond the bytes left is damage, not a reason to allocate.</summary>
        public int Length()
        {
            var length = Long();
            if (length < 0 || length > Remaining) throw new FormatException($"array length {length} with {Remaining} bytes left");
            return (int)length;
        }

        public long[] Longs()
        {
            var values = new long[Length()];
            long previous = 0;
            for (var i = 0; i < values.Length; i++) values[i] = previous = unchecked(previous + Long());
            return values;
        }

        public int[] Ints()
        {
            var values = new int[Length()];
            long previous = 0;
            for (var i = 0; i < values.Length; i++)
            {
                previous += Long();
                values[i] = previous is < int.MinValue or > int.MaxValue ? throw new FormatException($"{previous} does not fit an int") : (int)previous;
            }
            return values;
        }
    }
}
