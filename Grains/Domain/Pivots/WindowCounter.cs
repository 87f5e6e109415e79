namespace MarketData.Domain.Pivots;

/// <summary>
/// Counts the candles inside the window without keeping one entry per candle: open times are stored as runs of a
/// constant step (a month of gap-free 1s candles is one run), so eviction drops whole runs or trims the front one.
/// </summary>
internal sealed class WindowCounter
{
    private readonly List<Run> _runs = [];
    private int _head;

    public long Count { get; private set; }

    /// <summary>Open time of the oldest candle in the window (meaningful when Count &gt; 0).</summary>
    public long FirstOpenTime => _runs[_head].First;

    public void Add(long openTime)
    {
        if (_runs.Count > _head)
        {
            var last = _runs[^1];
            // A second candle fixes the run's step; later ones extend it while the spacing holds.
            if (last.Count == 1)
            {
                _runs[^1] = last with { Step = openTime - last.First, Count = 2 };
                Count++;
                return;
            }
            if (openTime == last.First + (last.Step * last.Count))
            {
                _runs[^1] = last with { Count = last.Count + 1 };
                Count++;
                return;
            }
        }
        _runs.Add(new Run(openTime, 0, 1));
        Count++;
    }

    public void Evict(long cutoff)
    {
        while (_head < _runs.Count)
        {
            var run = _runs[_head];
            var lastTime = run.First + (run.Step * (run.Count - 1));
            if (lastTime < cutoff)
            {
                Count -= run.Count;
                _head++;
                continue;
            }
            if (run.First < cutoff)
            {
                var drop = (cutoff - run.First + run.Step - 1) / run.Step; // step > 0 here: a single-candle run ends at First
                _runs[_head] = new Run(run.First + (drop * run.Step), run.Step, run.Count - drop);
                Count -= drop;
            }
            break;
        }
        if (_head > 64 && _head * 2 > _runs.Count)
        {
            _runs.RemoveRange(0, _head);
            _head = 0;
        }
    }

    public (long[] First, long[] Step, long[] Count) Export()
    {
        var n = _runs.Count - _head;
        var first = new long[n];
        var step = new long[n];
        var count = new long[n];
        for (var i = 0; i < n; i++)
        {
            var run = _runs[_head + i];
            (first[i], step[i], count[i]) = (run.First, run.Step, run.Count);
        }
        return (first, step, count);
    }

    public void Import(long[] first, long[] step, long[] count)
    {
        _runs.Clear();
        _head = 0;
        Count = 0;
        for (var i = 0; i < first.Length; i++)
        {
            _runs.Add(new Run(first[i], step[i], count[i]));
            Count += count[i];
        }
    }

    private readonly record struct Run(long First, long Step, long Count);
}
