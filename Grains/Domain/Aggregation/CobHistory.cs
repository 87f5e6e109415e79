using MarketData.Aggregation;

namespace MarketData.Domain.Aggregation;

/// <summary>
/// The last <see cref="Capacity"/> seconds (default 1,800 = 30 minutes) of <see cref="CobSecond"/>s of one symbol,
/// gaps included, in a ring. Seconds must be added in increasing time order; a second older than
/// <see cref="Window"/> before the newest is dropped even if there is room. Not thread-safe.
/// </summary>
/// <remarks>
/// Stored column-wise in arrays allocated for the whole window at the first second (scalars per second, buckets and
/// bucket averages in fixed-width rows) and written through once, so the resident memory of a symbol's 30 minutes is
/// committed at once instead of growing for half an hour: a silo's footprint is flat from its first minutes, which is
/// what makes a memory leak visible in a soak, and the GC never has 1,800 objects per symbol to trace. Reads
/// materialise <see cref="CobSecond"/>s; the hot scalar reads (<see cref="TimeAt"/>, <see cref="FlowAt"/>,
/// <see cref="IsGapAt"/>) do not.
/// </remarks>
public sealed class CobHistory
{
    public const int DefaultCapacity = 1_800;

    /// <summary>Extra bucket columns beyond the first second's count: the count moves by one or two with the mid.</summary>
    private const int WidthHeadroom = 2;

    /// <summary>
    /// <see cref="ImbalanceAverages"/> in 32 bytes instead of 64 (four nullable doubles pad to 16 bytes each): null is
    /// stored as NaN, which an average of finite imbalances never is. At 1,800 seconds of ~20 buckets this halves the
    /// largest array of a symbol (1.5 MB to 0.75 MB).
    /// </summary>
    private struct PackedAverages
    {
        public double S1, S5, S15, S60;

        public static PackedAverages Pack(in ImbalanceAverages a) =>
            new() { S1 = a.S1 ?? double.NaN, S5 = a.S5 ?? double.NaN, S15 = a.S15 ?? double.NaN, S60 = a.S60 ?? double.NaN };

        public readonly ImbalanceAverages Unpack() => new(Value(S1), Value(S5), Value(S15), Value(S60));

        private static double? Value(double stored) => double.IsNaN(stored) ? null : stored;
    }

    private struct Slot
    {
        public long Time;
        public long BookUpdateId;
        public long Mid;
        public long BucketSize;
        public long RangeLow;
        public long RangeHigh;
        public double Imbalance;
        public long BidVwap;
        public long AskVwap;
        public long Spread;
        public long BidDepth;
        public long AskDepth;
        public TradeFlow Flow;
        public PackedAverages Averages;
        public string? GapReason;
        public int BucketCount;
        public int AverageCount;
        public bool IsGap;
        // Fit in the padding after IsGap: the verified part of the second costs no memory.
        public bool BidTouchUnverified;
        public bool AskTouchUnverified;
        public ushort UnverifiedBidBuckets;
        public ushort UnverifiedAskBuckets;
    }

    private readonly Slot[] _slots;
    private PriceBucket[] _buckets = [];
    private PackedAverages[] _bucketAverages = [];
    private int _width;
    private int _start;
    private int _count;

    public CobHistory(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new Slot[capacity];
        Touch(_slots.AsSpan());
        Window = capacity * 1_000L;
    }

    public int Capacity => _slots.Length;
    /// <summary>Milliseconds of history kept: capacity seconds.</summary>
    public long Window { get; }
    public int Count => _count;
    public CobSecond? Latest => _count == 0 ? null : At(_count - 1);
    public CobSecond? Oldest => _count == 0 ? null : At(0);

    /// <summary>Bucket columns a second can hold without widening the arrays.</summary>
    public int BucketWidth => _width;

    /// <summary>The i-th second held, oldest first (a new instance on each call).</summary>
    public CobSecond At(int index)
    {
        ref readonly var s = ref SlotAt(index);
        var row = Physical(index) * _width;
        return new CobSecond
        {
            Time = s.Time,
            IsGap = s.IsGap,
            GapReason = s.GapReason,
            BookUpdateId = s.BookUpdateId,
            Mid = s.Mid,
            BucketSize = s.BucketSize,
            RangeLow = s.RangeLow,
            RangeHigh = s.RangeHigh,
            Buckets = s.BucketCount == 0 ? [] : _buckets.AsSpan(row, s.BucketCount).ToArray(),
            Imbalance = s.Imbalance,
            BidVwap = s.BidVwap,
            AskVwap = s.AskVwap,
            Spread = s.Spread,
            BidDepth = s.BidDepth,
            AskDepth = s.AskDepth,
            Flow = s.Flow,
            Averages = s.Averages.Unpack(),
            BucketAverages = s.AverageCount == 0 ? [] : Unpack(_bucketAverages.AsSpan(row, s.AverageCount)),
            UnverifiedBidBuckets = s.UnverifiedBidBuckets,
            UnverifiedAskBuckets = s.UnverifiedAskBuckets,
            BidTouchVerified = !s.BidTouchUnverified,
            AskTouchVerified = !s.AskTouchUnverified,
        };
    }

    private static ImbalanceAverages[] Unpack(ReadOnlySpan<PackedAverages> packed)
    {
        var result = new ImbalanceAverages[packed.Length];
        for (var i = 0; i < packed.Length; i++) result[i] = packed[i].Unpack();
        return result;
    }

    /// <summary>The time of the i-th second held, oldest first.</summary>
    public long TimeAt(int index) => SlotAt(index).Time;

    /// <summary>The trade flow of the i-th second held.</summary>
    public TradeFlow FlowAt(int index) => SlotAt(index).Flow;

    /// <summary>Whether the i-th second held is a gap.</summary>
    public bool IsGapAt(int index) => SlotAt(index).IsGap;

    public void Add(CobSecond second)
    {
        ArgumentNullException.ThrowIfNull(second);
        if (_count > 0 && second.Time <= TimeAt(_count - 1))
            throw new ArgumentException($"second {second.Time} is not after the latest ({TimeAt(_count - 1)})", nameof(second));
        var needed = Math.Max(second.Buckets.Length, second.BucketAverages.Length);
        if (needed > _width || _buckets.Length == 0) Widen(Math.Max(needed, 1) + WidthHeadroom);
        if (_count == _slots.Length) Drop();
        var physical = (_start + _count) % _slots.Length;
        _slots[physical] = new Slot
        {
            Time = second.Time,
            IsGap = second.IsGap,
            GapReason = second.GapReason,
            BookUpdateId = second.BookUpdateId,
            Mid = second.Mid,
            BucketSize = second.BucketSize,
            RangeLow = second.RangeLow,
            RangeHigh = second.RangeHigh,
            Imbalance = second.Imbalance,
            BidVwap = second.BidVwap,
            AskVwap = second.AskVwap,
            Spread = second.Spread,
            BidDepth = second.BidDepth,
            AskDepth = second.AskDepth,
            Flow = second.Flow,
            Averages = PackedAverages.Pack(second.Averages),
            BucketCount = second.Buckets.Length,
            AverageCount = second.BucketAverages.Length,
            UnverifiedBidBuckets = (ushort)Math.Clamp(second.UnverifiedBidBuckets, 0, ushort.MaxValue),
            UnverifiedAskBuckets = (ushort)Math.Clamp(second.UnverifiedAskBuckets, 0, ushort.MaxValue),
            BidTouchUnverified = !second.BidTouchVerified,
            AskTouchUnverified = !second.AskTouchVerified,
        };
        second.Buckets.CopyTo(_buckets.AsSpan(physical * _width));
        var averages = _bucketAverages.AsSpan(physical * _width, second.BucketAverages.Length);
        for (var i = 0; i < averages.Length; i++) averages[i] = PackedAverages.Pack(second.BucketAverages[i]);
        _count++;
        while (_count > 0 && TimeAt(0) <= second.Time - Window) Drop();
    }

    /// <summary>The seconds with <paramref name="fromMs"/> &lt;= Time &lt; <paramref name="toMs"/>, ascending.</summary>
    public CobSecond[] Query(long fromMs, long toMs)
    {
        var first = LowerBound(fromMs);
        var end = LowerBound(toMs);
        if (end <= first) return [];
        var result = new CobSecond[end - first];
        for (var i = first; i < end; i++) result[i - first] = At(i);
        return result;
    }

    /// <summary>The last <paramref name="seconds"/> seconds of time up to and including the latest one held.</summary>
    public CobSecond[] Last(int seconds)
    {
        if (_count == 0) return [];
        var latest = TimeAt(_count - 1);
        return Query(latest - (seconds - 1) * 1_000L, latest + 1);
    }

    /// <summary>Index of the last second held with Time &lt;= <paramref name="time"/>, or -1 when every second is later.</summary>
    public int LastAtOrBefore(long time) => LowerBound(time == long.MaxValue ? time : time + 1) - 1;

    /// <summary>Index of the first second held with Time &gt;= <paramref name="time"/> (<see cref="Count"/> when none).</summary>
    public int FirstAtOrAfter(long time) => LowerBound(time);

    public void Clear()
    {
        Array.Clear(_slots); // drops the gap-reason strings
        _start = _count = 0;
    }

    private ref readonly Slot SlotAt(int index)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        return ref _slots[Physical(index)];
    }

    private int Physical(int index) => (_start + index) % _slots.Length;

    private void Drop()
    {
        _slots[_start].GapReason = null;
        _start = (_start + 1) % _slots.Length;
        _count--;
    }

    /// <summary>Re-lays the bucket rows at <paramref name="width"/> columns (the first second, or a wider bucket setting).</summary>
    private void Widen(int width)
    {
        var buckets = new PriceBucket[_slots.Length * width];
        var averages = new PackedAverages[_slots.Length * width];
        Touch(buckets.AsSpan());
        Touch(averages.AsSpan());
        for (var i = 0; i < _count; i++)
        {
            var physical = Physical(i);
            ref readonly var s = ref _slots[physical];
            _buckets.AsSpan(physical * _width, s.BucketCount).CopyTo(buckets.AsSpan(physical * width));
            _bucketAverages.AsSpan(physical * _width, s.AverageCount).CopyTo(averages.AsSpan(physical * width));
        }
        _buckets = buckets;
        _bucketAverages = averages;
        _width = width;
    }

    /// <summary>
    /// Writes every page of a new array once. A fresh large array is mapped but not resident until written; without
    /// this the process would grow for the whole window as the ring fills, which looks exactly like a leak.
    /// </summary>
    private static void Touch<T>(Span<T> span) => span.Clear();

    /// <summary>Index of the first second with Time &gt;= time.</summary>
    private int LowerBound(long time)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (TimeAt(mid) < time) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
