namespace MarketData.Domain.Heatmap;

using MarketData.Aggregation;

/// <summary>
/// Heatmaps of the latest second, one per (window seconds, metric). The history only changes when a second is added,
/// so every request within the same second is served the same (immutable) instance; adding a second
/// (<see cref="OnSecond"/>, or simply a history whose latest time differs) drops them all.
/// Thread-safe (a short lock), though the owning grain calls it from one thread.
/// </summary>
public sealed class HeatmapCache
{
    /// <summary>Distinct (window, metric) entries kept per second; beyond it the cache starts over (bounded memory; real callers use a handful).</summary>
    public const int MaxEntries = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<(int Window, HeatmapMetric Metric), Heatmap> _entries = [];
    private long _latestTime = long.MinValue;

    /// <summary>Requests answered from the cache / by building.</summary>
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    /// <summary>A new second was added to the history: cached matrices no longer show the latest window.</summary>
    public void OnSecond(long time)
    {
        lock (_lock)
        {
            if (time == _latestTime) return;
            _entries.Clear();
            _latestTime = time;
        }
    }

    /// <summary>
    /// The heatmap of the last <paramref name="windowSeconds"/> seconds of <paramref name="history"/> (ascending by
    /// time, one entry per second, gaps included): entries with Time &gt; latest - windowSeconds·1000. Built on the
    /// first request of a second, cached afterwards.
    /// </summary>
    public Heatmap GetOrBuild(IReadOnlyList<CobSecond> history, int windowSeconds, HeatmapMetric metric)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowSeconds, 1);
        var latest = history.Count == 0 ? long.MinValue : history[^1].Time;
        var key = (windowSeconds, metric);
        lock (_lock)
        {
            if (latest != _latestTime) { _entries.Clear(); _latestTime = latest; }
            if (_entries.TryGetValue(key, out var cached)) { Hits++; return cached; }
        }

        var start = FirstInWindow(history, latest - windowSeconds * 1000L);
        var map = HeatmapBuilder.Build(history, start, history.Count - start, metric);
        lock (_lock)
        {
            Misses++;
            if (latest != _latestTime) return map; // a second arrived meanwhile: don't cache a stale window
            if (_entries.Count >= MaxEntries) _entries.Clear();
            _entries[key] = map;
        }
        return map;
    }

    /// <summary>Index of the first entry whose Time is after <paramref name="after"/> (binary search on ascending time).</summary>
    private static int FirstInWindow(IReadOnlyList<CobSecond> history, long after)
    {
        int lo = 0, hi = history.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (history[mid].Time > after) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
