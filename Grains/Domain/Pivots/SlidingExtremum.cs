namespace MarketData.Domain.Pivots;

/// <summary>
/// Sliding-window maximum (or minimum) by the monotonic-deque method: each value enters and leaves once, so a push
/// and an eviction are O(1) amortised and the current extreme is the front. Keyed by candle open time.
/// </summary>
internal sealed class SlidingExtremum
{
    private readonly bool _max;
    private long[] _times = new long[16];
    private long[] _values = new long[16];
    private int _head;
    private int _count;

    public SlidingExtremum(bool max) => _max = max;

    public int Count => _count;

    public long Value => _values[_head];

    public long AllocatedBytes => 16L * _times.Length;

    public void Push(long time, long value)
    {
        // Drop older entries that can never be the extreme again: the new value outlives them and is at least as extreme.
        while (_count > 0)
        {
            var back = _values[(_head + _count - 1) & (_values.Length - 1)];
            if (_max ? back > value : back < value) break;
            _count--;
        }
        if (_count == _values.Length) Grow();
        var at = (_head + _count) & (_values.Length - 1);
        _times[at] = time;
        _values[at] = value;
        _count++;
    }

    public void Evict(long cutoff)
    {
        while (_count > 0 && _times[_head] < cutoff)
        {
            _head = (_head + 1) & (_values.Length - 1);
            _count--;
        }
    }

    public (long[] Times, long[] Values) Export()
    {
        var times = new long[_count];
        var values = new long[_count];
        for (var i = 0; i < _count; i++)
        {
            var at = (_head + i) & (_values.Length - 1);
            times[i] = _times[at];
            values[i] = _values[at];
        }
        return (times, values);
    }

    public void Import(long[] times, long[] values)
    {
        _head = 0;
        _count = 0;
        for (var i = 0; i < times.Length; i++)
        {
            if (_count == _values.Length) Grow();
            _times[_count] = times[i];
            _values[_count] = values[i];
            _count++;
        }
    }

    private void Grow()
    {
        var times = new long[_values.Length * 2];
        var values = new long[_values.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            var at = (_head + i) & (_values.Length - 1);
            times[i] = _times[at];
            values[i] = _values[at];
        }
        _times = times;
        _values = values;
        _head = 0;
    }
}
