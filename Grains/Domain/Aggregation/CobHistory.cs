using MarketData.Aggregation;

namespace MarketData.Domain.Aggregation;

/// <summary>
/// The last <see cref="Capacity"/> seconds (default 1,800 = 30 minutes) of <see cref="CobSecond"/>s of one symbol,
/// gaps included, in a ring. Seconds must be added in increasing time order; a second older than
/// <see cref="Window"/> before the newest is dropped even if there is room. Not thread-safe.
/// </summary>
public sealed class CobHistory
{
    public const int DefaultCapacity = 1_800;

    private readonly CobSecond[] _ring;
    private int _start;
    private int _count;

    public CobHistory(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new CobSecond[capacity];
        Window = capacity * 1_000L;
    }

    public int Capacity => _ring.Length;
    /// <summary>Milliseconds of history kept: capacity seconds.</summary>
    public long Window { get; }
    public int Count => _count;
    public CobSecond? Latest => _count == 0 ? null : At(_count - 1);
    public CobSecond? Oldest => _count == 0 ? null : At(0);

    /// <summary>The i-th second held, oldest first.</summary>
    public CobSecond At(int index) =>
        (uint)index < (uint)_count ? _ring[(_start + index) % _ring.Length] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(CobSecond second)
    {
        ArgumentNullException.ThrowIfNull(second);
        if (_count > 0 && second.Time <= Latest!.Time)
            throw new ArgumentException($"second {second.Time} is not after the latest ({Latest.Time})", nameof(second));
        if (_count == _ring.Length) Drop();
        _ring[(_start + _count) % _ring.Length] = second;
        _count++;
        while (_count > 0 && At(0).Time <= second.Time - Window) Drop();
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
    public CobSecond[] Last(int seconds) =>
        Latest is { } latest ? Query(latest.Time - (seconds - 1) * 1_000L, latest.Time + 1) : [];

    /// <summary>Index of the last second held with Time &lt;= <paramref name="time"/>, or -1 when every second is later.</summary>
    public int LastAtOrBefore(long time) => LowerBound(time == long.MaxValue ? time : time + 1) - 1;

    /// <summary>Index of the first second held with Time &gt;= <paramref name="time"/> (<see cref="Count"/> when none).</summary>
    public int FirstAtOrAfter(long time) => LowerBound(time);

    public void Clear()
    {
        Array.Clear(_ring);
        _start = _count = 0;
    }

    private void Drop()
    {
        _ring[_start] = null!;
        _start = (_start + 1) % _ring.Length;
        _count--;
    }

    /// <summary>Index of the first second with Time &gt;= time.</summary>
    private int LowerBound(long time)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (At(mid).Time < time) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
