namespace MarketData.Domain.Pivots;

/// <summary>
/// Counts the candles inside the window without keeping one entry per candle: open times are stored as runs of a
/// constant step (a month of gap-free 1s candles is one run), so eviction drops whole runs or trims the front one.
/// The newest run lives in fields (the per-candle path touches no list); closed runs queue in a list.
/// </summary>
internal sealed class WindowCounter
{
    private readonly List<Run> _closed = [];
    private int _head;           // first live entry of _closed
    private bool _hasLast;
    private Run _last;           // the run being extended
    private long _firstOpenTime; // open time of the oldest candle counted (cached for the eviction test)

    public long Count { get; private set; }

    /// <summary>Open time of the oldest candle in the window (meaningful when Count &gt; 0).</summary>
    public long FirstOpenTime => _firstOpenTime;

    public void Add(long openTime)
    {
        if (_hasLast)
        {
            // A second candle fixes the run's step; later ones extend it while the spacing holds.
            if (_last.Count == 1)
            {
                _last = new Run(_last.First, openTime - _last.First, 2);
                Count++;
                return;
            }
            if (openTime == _last.First + (_last.Step * _last.Count))
            {
                _last = _last with { Count = _last.Count + 1 };
                Count++;
                return;
            }
            _closed.Add(_last);
        }
        else
        {
            _firstOpenTime = openTime;
        }
        _last = new Run(openTime, 0, 1);
        _hasLast = true;
        Count++;
    }

    public void Evict(long cutoff)
    {
        if (Count == 0 || _firstOpenTime >= cutoff) return;
        while (_head < _closed.Count)
        {
            var trimmed = Trim(_closed[_head], cutoff);
            if (trimmed.Count > 0)
            {
                _closed[_head] = trimmed;
                _firstOpenTime = trimmed.First;
                return;
            }
            _head++;
        }
        if (_head > 64 && _head * 2 > _closed.Count)
        {
            _closed.RemoveRange(0, _head);
            _head = 0;
        }
        if (_head == _closed.Count)
        {
            _closed.Clear();
            _head = 0;
        }
        if (!_hasLast) return;
        _last = Trim(_last, cutoff);
        if (_last.Count == 0) _hasLast = false;
        else _firstOpenTime = _last.First;
    }

    /// <summary>The part of <paramref name="run"/> at or after <paramref name="cutoff"/> (Count 0 when none); adjusts <see cref="Count"/>.</summary>
    private Run Trim(Run run, long cutoff)
    {
        if (run.First >= cutoff) return run;
        var lastTime = run.First + (run.Step * (run.Count - 1));
        if (lastTime < cutoff)
        {
            Count -= run.Count;
            return run with { Count = 0 };
        }
        var drop = (cutoff - run.First + run.Step - 1) / run.Step; // Step > 0: a run of one candle ends at First
        Count -= drop;
        return new Run(run.First + (drop * run.Step), run.Step, run.Count - drop);
    }

    public (long[] First, long[] Step, long[] Count) Export()
    {
        var runs = _closed.Skip(_head).Concat(_hasLast ? [_last] : []).ToArray();
        return (runs.Select(r => r.First).ToArray(), runs.Select(r => r.Step).ToArray(), runs.Select(r => r.Count).ToArray());
    }

    public void Import(long[] first, long[] step, long[] count)
    {
        _closed.Clear();
        _head = 0;
        _hasLast = false;
        Count = 0;
        for (var i = 0; i < first.Length; i++)
        {
            if (count[i] <= 0) continue;
            if (_hasLast) _closed.Add(_last);
            else _firstOpenTime = first[i];
            _last = new Run(first[i], step[i], count[i]);
            _hasLast = true;
            Count += count[i];
        }
    }

    private readonly record struct Run(long First, long Step, long Count);
}
