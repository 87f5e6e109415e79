using System.Runtime.InteropServices;
using MarketData.Streams;

namespace MarketData.Domain.Aggregation;

/// <summary>Sizing of a <see cref="TickBuffer"/>.</summary>
public sealed class TickBufferOptions
{
    /// <summary>How long raw events are kept (by receive time).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>Index entries allocated at the first event: the reference rate, 100 events/s × 1,800 s.</summary>
    public int InitialEntries { get; set; } = 180_000;
    /// <summary>Encoded bytes allocated at the first event (about 24 bytes an event: mostly trades, ~5 bytes a depth level).</summary>
    public int InitialDataBytes { get; set; } = 180_000 * 24;
    /// <summary>
    /// Upper bound of the buffer's arrays (index + data). Beyond it the oldest events are dropped early and counted.
    /// 13.5 MB + the 30-minute history (about 2.3 MB) stays within 16 MB per symbol.
    /// </summary>
    public long MaxBytes { get; set; } = 13_500_000;
}

/// <summary>
/// The raw depth diffs and trades of one symbol over the last <see cref="TickBufferOptions.Window"/> (30 minutes),
/// stored compactly: each event is encoded into a byte ring (varints; prices and quantities divided by their common
/// power of ten, depth levels as deltas), with a 12-byte index entry (receive time, offset) per event for time queries.
/// Both arrays start small and grow when the symbol's real rate needs more (doubling in the first minute, then straight
/// to what the window needs at the rate seen), up to
/// <see cref="TickBufferOptions.MaxBytes"/>; at the bound the oldest events are dropped before their time and counted in
/// <see cref="Overflowed"/> (and <see cref="OldestReceivedAt"/> tells how far back the buffer really goes).
/// Events are indexed by receive time (one earlier than the previous event's is indexed at the previous one's, and kept exact). Not thread-safe.
/// </summary>
public sealed class TickBuffer
{
    private const byte KindDepth = 1, KindTrade = 2, FlagAggregate = 4, FlagBuyerIsMaker = 8;
    private const int IndexEntryBytes = 12;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct IndexEntry
    {
        public long Ticks;
        public int Offset;
    }

    private readonly TickBufferOptions _options;
    private readonly long _windowTicks;
    private IndexEntry[] _index = [];
    private int _first, _count;
    private byte[] _data = [];
    private int _tail;     // end of the newest record
    private int _wrapEnd;  // while wrapped (tail <= head): end of the records before the wrap
    private byte[] _scratch = new byte[4096];
    private long _lastTicks = long.MinValue;

    public TickBuffer(TickBufferOptions? options = null)
    {
        _options = options ?? new TickBufferOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.InitialEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.InitialDataBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBytes, 1024);
        _windowTicks = _options.Window.Ticks;
    }

    public int Count => _count;
    /// <summary>Events ever added (including those later evicted or dropped).</summary>
    public long Added { get; private set; }
    /// <summary>Events removed because they became older than the window: normal.</summary>
    public long Evicted { get; private set; }
    /// <summary>Events dropped before their time because the memory bound was hit: the buffer covers less than the window.</summary>
    public long Overflowed { get; private set; }
    /// <summary>Bytes of the arrays held (index + data), the figure bounded by <see cref="TickBufferOptions.MaxBytes"/>.</summary>
    public long AllocatedBytes => (long)_index.Length * IndexEntryBytes + _data.Length;
    /// <summary>Encoded bytes of the events held.</summary>
    public long UsedDataBytes => _count == 0 ? 0 : _tail > Head ? _tail - Head : _wrapEnd - Head + _tail;
    public DateTime? OldestReceivedAt => _count == 0 ? null : new DateTime(_index[_first].Ticks, DateTimeKind.Utc);
    public DateTime? NewestReceivedAt => _count == 0 ? null : new DateTime(_index[Slot(_count - 1)].Ticks, DateTimeKind.Utc);

    private int Head => _index[_first].Offset;
    private int Slot(int i) => (_first + i) % _index.Length;

    public void Add(DepthDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        AddDepth(diff.ReceivedAt, diff.FirstUpdateId, diff.FinalUpdateId, diff.EventTime, diff.Bids, diff.Asks);
    }

    /// <summary>Adds a depth diff without an event object (the parser's spans).</summary>
    public void AddDepth(DateTime receivedAt, long firstUpdateId, long finalUpdateId, long eventTime, ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks)
    {
        var ticks = receivedAt.Ticks;
        var receivedMs = ToUnixMs(ticks);
        var maxSize = 64 + (bids.Length + asks.Length) * 20;
        if (_scratch.Length < maxSize) _scratch = new byte[Math.Max(maxSize, _scratch.Length * 2)];
        var w = new Writer(_scratch);
        w.Byte(KindDepth);
        var key = Key(ticks, ref w);
        w.Unsigned((ulong)firstUpdateId);
        w.Signed(finalUpdateId - firstUpdateId);
        w.Signed(eventTime - receivedMs);
        w.Unsigned((ulong)bids.Length);
        w.Unsigned((ulong)asks.Length);
        int priceExp = 8, quantityExp = 8;
        foreach (var l in bids) { priceExp = Math.Min(priceExp, TrailingZeros(l.Price)); quantityExp = Math.Min(quantityExp, TrailingZeros(l.Quantity)); }
        foreach (var l in asks) { priceExp = Math.Min(priceExp, TrailingZeros(l.Price)); quantityExp = Math.Min(quantityExp, TrailingZeros(l.Quantity)); }
        w.Byte((byte)(priceExp | quantityExp << 4));
        long priceScale = Pow10[priceExp], quantityScale = Pow10[quantityExp], previous = 0;
        foreach (var l in bids) WriteLevel(ref w, l, priceScale, quantityScale, ref previous);
        foreach (var l in asks) WriteLevel(ref w, l, priceScale, quantityScale, ref previous);
        Append(key, _scratch.AsSpan(0, w.Position));
    }

    public void Add(TradeEvent trade)
    {
        ArgumentNullException.ThrowIfNull(trade);
        var ticks = trade.ReceivedAt.Ticks;
        var w = new Writer(_scratch);
        w.Byte((byte)(KindTrade | (trade.IsAggregate ? FlagAggregate : 0) | (trade.BuyerIsMaker ? FlagBuyerIsMaker : 0)));
        var key = Key(ticks, ref w);
        w.Unsigned((ulong)trade.TradeId);
        // Plain trades carry first = last = their id, aggregates a range: one byte each in the usual cases.
        w.Signed(trade.FirstTradeId - trade.TradeId);
        w.Signed(trade.LastTradeId - trade.TradeId);
        var priceExp = TrailingZeros(trade.Price);
        var quantityExp = TrailingZeros(trade.Quantity);
        w.Byte((byte)(priceExp | quantityExp << 4));
        w.Signed(trade.Price / Pow10[priceExp]);
        w.Signed(trade.Quantity / Pow10[quantityExp]);
        w.Signed(trade.TradeTime - ToUnixMs(ticks));
        w.Signed(trade.EventTime - trade.TradeTime);
        Append(key, _scratch.AsSpan(0, w.Position));
    }

    /// <summary>
    /// Decodes the events received in [<paramref name="from"/>, <paramref name="to"/>) into <paramref name="into"/>
    /// (as <see cref="DepthDiff"/> and <see cref="TradeEvent"/>, oldest first); returns how many.
    /// </summary>
    public int Query(DateTime from, DateTime to, ICollection<MarketEvent> into) => Query(from, to, into, int.MaxValue);

    /// <summary>As <see cref="Query(DateTime, DateTime, ICollection{MarketEvent})"/>, decoding at most <paramref name="max"/> events; returns how many matched in all.</summary>
    public int Query(DateTime from, DateTime to, ICollection<MarketEvent> into, int max)
    {
        ArgumentNullException.ThrowIfNull(into);
        var first = LowerBound(from.Ticks);
        var end = LowerBound(to.Ticks);
        for (var i = first; i < end && i - first < max; i++)
        {
            var entry = _index[Slot(i)];
            into.Add(Decode(entry.Ticks, _data.AsSpan(entry.Offset)));
        }
        return Math.Max(0, end - first);
    }

    /// <summary>
    /// The index key: the receive time, or the previous key when the clock went back (frames of different streams
    /// can arrive slightly out of order), so the index stays sorted. The record keeps the difference, so the exact
    /// receive time comes back.
    /// </summary>
    private long Key(long ticks, ref Writer w)
    {
        var key = Math.Max(ticks, _lastTicks);
        w.Unsigned((ulong)(key - ticks));
        return key;
    }

    private void Append(long ticks, ReadOnlySpan<byte> record)
    {
        Added++;
        _lastTicks = ticks;
        if (_index.Length == 0)
        {
            var entries = (int)Math.Min(_options.InitialEntries, _options.MaxBytes / 2 / IndexEntryBytes);
            _index = new IndexEntry[Math.Max(entries, 16)];
            _data = new byte[(int)Math.Min(_options.InitialDataBytes, _options.MaxBytes - AllocatedBytes)];
        }
        while (_count > 0 && _index[_first].Ticks <= ticks - _windowTicks)
        {
            RemoveOldest();
            Evicted++;
        }
        if (_count == _index.Length && !GrowIndex())
        {
            RemoveOldest();
            Overflowed++;
        }
        int offset;
        while ((offset = Place(record.Length)) < 0)
        {
            if (GrowData(record.Length)) continue;
            if (_count == 0)
            {
                Overflowed++; // a single event larger than the bound allows
                return;
            }
            RemoveOldest();
            Overflowed++;
        }
        if (offset == 0 && _count > 0) _wrapEnd = _tail;
        record.CopyTo(_data.AsSpan(offset));
        _index[Slot(_count)] = new IndexEntry { Ticks = ticks, Offset = offset };
        _count++;
        _tail = offset + record.Length;
    }

    /// <summary>Where a record of this length fits contiguously, or -1.</summary>
    private int Place(int length)
    {
        if (_count == 0) return length <= _data.Length ? 0 : -1;
        var head = Head;
        if (_tail > head)
        {
            if (_tail + length <= _data.Length) return _tail;
            return length <= head ? 0 : -1;
        }
        return _tail + length <= head ? _tail : -1;
    }

    private void RemoveOldest()
    {
        _first = (_first + 1) % _index.Length;
        if (--_count == 0) _first = _tail = 0;
    }

    private bool GrowIndex()
    {
        var allowed = (_options.MaxBytes - _data.Length) / IndexEntryBytes;
        var length = (int)Math.Min(Math.Max((long)_index.Length * 2, ProjectedForWindow(_count)), allowed);
        if (length <= _index.Length) return false;
        var grown = new IndexEntry[length];
        grown.AsSpan().Clear(); // resident now (see ProjectedForWindow)
        for (var i = 0; i < _count; i++) grown[i] = _index[Slot(i)];
        _index = grown;
        _first = 0;
        return true;
    }

    /// <summary>Doubles the data ring (within the bound) and lays the records out from offset 0.</summary>
    private bool GrowData(int length)
    {
        var used = UsedDataBytes;
        var allowed = _options.MaxBytes - (long)_index.Length * IndexEntryBytes;
        var size = Math.Min(Math.Max(Math.Max((long)_data.Length * 2, used + length), ProjectedForWindow(used)), Math.Min(allowed, int.MaxValue));
        if (size <= _data.Length || size < used + length) return false;
        var grown = new byte[size];
        grown.AsSpan().Clear(); // resident now (see ProjectedForWindow)
        if (_count > 0)
        {
            var head = Head;
            var wrapped = _tail <= head;
            var firstPart = (wrapped ? _wrapEnd : _tail) - head;
            _data.AsSpan(head, firstPart).CopyTo(grown);
            if (wrapped) _data.AsSpan(0, _tail).CopyTo(grown.AsSpan(firstPart));
            for (var i = 0; i < _count; i++)
            {
                ref var e = ref _index[Slot(i)];
                e.Offset = e.Offset >= head ? e.Offset - head : e.Offset + firstPart;
            }
            _tail = (int)used;
        }
        _data = grown;
        return true;
    }

    /// <summary>
    /// What <paramref name="used"/> (entries or bytes) extrapolates to over the whole window at the rate seen so far, with
    /// a quarter of headroom; 0 until a minute is covered. Growing straight to it (and writing the new array through, so it
    /// is resident at once) sizes a symbol's buffer in one step in its second minute, instead of doubling at unpredictable
    /// times over half an hour: the process's memory is flat early, and a leak is not hidden behind buffers still filling.
    /// </summary>
    private long ProjectedForWindow(long used)
    {
        if (_count < 2) return 0;
        var covered = _lastTicks - _index[_first].Ticks;
        if (covered < TimeSpan.TicksPerMinute) return 0;
        return (long)(used * ((double)_windowTicks / covered) * 1.25);
    }

    private int LowerBound(long ticks)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_index[Slot(mid)].Ticks < ticks) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static MarketEvent Decode(long ticks, ReadOnlySpan<byte> data)
    {
        var r = new Reader(data);
        var kind = r.Byte();
        ticks -= (long)r.Unsigned();
        var receivedAt = new DateTime(ticks, DateTimeKind.Utc);
        var receivedMs = ToUnixMs(ticks);
        if ((kind & 3) == KindDepth)
        {
            var firstId = (long)r.Unsigned();
            var finalId = firstId + r.Signed();
            var eventTime = receivedMs + r.Signed();
            var bids = new PriceLevel[(int)r.Unsigned()];
            var asks = new PriceLevel[(int)r.Unsigned()];
            var exps = r.Byte();
            long priceScale = Pow10[exps & 15], quantityScale = Pow10[exps >> 4], previous = 0;
            for (var i = 0; i < bids.Length; i++) bids[i] = ReadLevel(ref r, priceScale, quantityScale, ref previous);
            for (var i = 0; i < asks.Length; i++) asks[i] = ReadLevel(ref r, priceScale, quantityScale, ref previous);
            return new DepthDiff { ReceivedAt = receivedAt, FirstUpdateId = firstId, FinalUpdateId = finalId, EventTime = eventTime, Bids = bids, Asks = asks };
        }
        var tradeId = (long)r.Unsigned();
        var aggregate = (kind & FlagAggregate) != 0;
        var firstTradeId = tradeId + r.Signed();
        var lastTradeId = tradeId + r.Signed();
        var e = r.Byte();
        var price = r.Signed() * Pow10[e & 15];
        var quantity = r.Signed() * Pow10[e >> 4];
        var tradeTime = receivedMs + r.Signed();
        var eventTimeOfTrade = tradeTime + r.Signed();
        return new TradeEvent
        {
            ReceivedAt = receivedAt, TradeId = tradeId, Price = price, Quantity = quantity, TradeTime = tradeTime,
            EventTime = eventTimeOfTrade, BuyerIsMaker = (kind & FlagBuyerIsMaker) != 0, IsAggregate = aggregate,
            FirstTradeId = firstTradeId, LastTradeId = lastTradeId,
        };
    }

    private static void WriteLevel(ref Writer w, PriceLevel level, long priceScale, long quantityScale, ref long previous)
    {
        var price = level.Price / priceScale;
        w.Signed(price - previous);
        previous = price;
        w.Signed(level.Quantity / quantityScale);
    }

    private static PriceLevel ReadLevel(ref Reader r, long priceScale, long quantityScale, ref long previous)
    {
        previous += r.Signed();
        return new PriceLevel(previous * priceScale, r.Signed() * quantityScale);
    }

    private static readonly long[] Pow10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    /// <summary>Decimal trailing zeros of a fixed-point value, at most 8 (0 counts as 8: it divides by anything).</summary>
    private static int TrailingZeros(long value)
    {
        if (value == 0) return 8;
        var n = 0;
        while (n < 8 && value % 10 == 0)
        {
            value /= 10;
            n++;
        }
        return n;
    }

    private static long ToUnixMs(long ticks) => (ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        public int Position;

        public void Byte(byte value) => _buffer[Position++] = value;

        public void Unsigned(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer[Position++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _buffer[Position++] = (byte)value;
        }

        public void Signed(long value) => Unsigned((ulong)((value << 1) ^ (value >> 63)));
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public byte Byte() => _data[_position++];

        public ulong Unsigned()
        {
            ulong value = 0;
            var shift = 0;
            byte b;
            do
            {
                b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            } while (b >= 0x80);
            return value;
        }

        public long Signed()
        {
            var raw = Unsigned();
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }
    }
}
