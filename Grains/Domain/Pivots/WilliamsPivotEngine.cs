using MarketData.Candles;
using MarketData.Pivots;

namespace MarketData.Domain.Pivots;

/// <summary>Support (from pivot lows) and resistance (from pivot highs) zones, each list in ascending price.</summary>
public sealed record SupportResistanceSet(IReadOnlyList<SupportResistanceLevel> Support, IReadOnlyList<SupportResistanceLevel> Resistance);

/// <summary>
/// Incremental multi-level Williams market structure over closed candles of one symbol and timeframe.
/// <para>
/// Level 1: candle i is a swing high when its high is strictly above the highs of the <see cref="PivotOptions.Strength"/>
/// (s) candles before it and at or above the highs of the s candles after it (lows mirrored); see <see cref="PivotOptions"/>
/// for the tie rule and the inside-candle option. It is confirmed at the close time of the s-th candle after it (with
/// inside candles skipped, the s-th one that was not skipped). Level k &gt;= 2: the same rule with strength 1 on the
/// sequence of level k-1 highs (lows); confirmed when the next level k-1 point of the same kind is.
/// </para>
/// <para>
/// Per candle the work is O(s + levels) and independent of the window: level-1 detection looks at the last 2s+1
/// candles, each level keeps its last two points, window bounds are monotonic deques and the candle count is kept as
/// runs. Candles themselves are not stored. Pivots older than the window are evicted; queries see the window only.
/// Not thread-safe (one grain owns one engine).
/// </para>
/// </summary>
public sealed class WilliamsPivotEngine
{
    private readonly PivotOptions _options;
    private readonly TimeProvider _time;
    private readonly int _s;
    private readonly int _tailSize;
    private readonly bool _skipInside;
    private readonly long _windowMs;

    // Level-1 neighbourhood: the last 2s+1 candles that count as neighbours, oldest first.
    private readonly long[] _tOpen;
    private readonly long[] _tClose;
    private readonly long[] _tHigh;
    private readonly long[] _tLow;
    private readonly long[] _tIndex;
    private int _tCount;

    private readonly WindowCounter _counter = new();
    private readonly SlidingExtremum _highMax = new(max: true);
    private readonly SlidingExtremum _lowMin = new(max: false);
    private readonly SlidingExtremum _volumeMax = new(max: true);
    private readonly SlidingExtremum _volumeMin = new(max: false);
    private readonly SwingSeries _highs;
    private readonly SwingSeries _lows;

    private long _total;
    private long _lastOpen;
    private long _lastClose;
    private long _cutoff = long.MinValue;
    private long _version;
    private (long Version, long AsOf, SupportResistanceSet Set)? _srCache;

    public WilliamsPivotEngine(PivotOptions? options = null, TimeProvider? time = null)
    {
        _options = (options ?? new PivotOptions()).Copy();
        if (_options.Validate() is { } error) throw new ArgumentException(error, nameof(options));
        _time = time ?? TimeProvider.System;
        _s = _options.Strength;
        _tailSize = (2 * _s) + 1;
        _skipInside = _options.SkipInsideCandles;
        _windowMs = _options.WindowMs;
        _tOpen = new long[_tailSize];
        _tClose = new long[_tailSize];
        _tHigh = new long[_tailSize];
        _tLow = new long[_tailSize];
        _tIndex = new long[_tailSize];
        _highs = new SwingSeries(isHigh: true, _options.Levels, _s);
        _lows = new SwingSeries(isHigh: false, _options.Levels, _s);
    }

    /// <summary>A copy of the options in use.</summary>
    public PivotOptions Options => _options.Copy();

    public int Levels => _options.Levels;

    /// <summary>Candles accepted since the engine started (including ones since evicted from the window).</summary>
    public long TotalCandles => _total;

    /// <summary>Candles whose open time is inside the window.</summary>
    public long CandleCount => _counter.Count;

    /// <summary>Close time of the last accepted candle, or null before the first.</summary>
    public long? LastCloseTime => _total > 0 ? _lastClose : null;

    /// <summary>Open time of the oldest candle in the window, or null when empty.</summary>
    public long? WindowStart => _counter.Count > 0 ? _counter.FirstOpenTime : null;

    /// <summary>Bytes held by pivot stores and deques (capacity, not count): the engine's memory apart from small fixed parts.</summary>
    public long AllocatedBytes => _highs.AllocatedBytes + _lows.AllocatedBytes + _highMax.AllocatedBytes + _lowMin.AllocatedBytes + _volumeMax.AllocatedBytes + _volumeMin.AllocatedBytes;

    /// <summary>Builds an engine from a series in open-time order (rejected candles are skipped, as with <see cref="Add"/>).</summary>
    public static WilliamsPivotEngine Compute(ReadOnlySpan<Candle> candles, PivotOptions? options = null, TimeProvider? time = null)
    {
        var engine = new WilliamsPivotEngine(options, time);
        engine.AddRange(candles);
        return engine;
    }

    /// <summary>Adds candles in order; returns how many were accepted.</summary>
    public int AddRange(ReadOnlySpan<Candle> candles)
    {
        var added = 0;
        foreach (ref readonly var candle in candles)
            if (Add(candle) == CandleAddResult.Added) added++;
        return added;
    }

    /// <summary>
    /// Appends one closed candle (open-time order) and updates every level, the window and its bounds. Duplicates,
    /// out-of-order and invalid candles are refused with a result and leave the state untouched; nothing throws.
    /// </summary>
    public CandleAddResult Add(in Candle candle)
    {
        if (_total > 0)
        {
            if (candle.OpenTime == _lastOpen) return CandleAddResult.Duplicate;
            if (candle.OpenTime < _lastOpen) return CandleAddResult.OutOfOrder;
        }
        if (candle.High < candle.Low || candle.Low < 0 || candle.Volume < 0 || candle.CloseTime < candle.OpenTime) return CandleAddResult.Invalid;
        if (_total >= int.MaxValue) return CandleAddResult.CapacityExceeded;

        var index = _total++;
        _lastOpen = candle.OpenTime;
        _lastClose = candle.CloseTime;
        _version++;
        // Window = candles opened within WindowMs before the newest close (30 days of 1s candles = exactly 2,592,000).
        var cutoff = candle.CloseTime > long.MinValue + _windowMs ? candle.CloseTime + 1 - _windowMs : long.MinValue;
        if (cutoff > _cutoff) _cutoff = cutoff;

        _counter.Add(candle.OpenTime);
        _counter.Evict(_cutoff);
        _highMax.Push(candle.OpenTime, candle.High);
        _highMax.Evict(_cutoff);
        _lowMin.Push(candle.OpenTime, candle.Low);
        _lowMin.Evict(_cutoff);
        _volumeMax.Push(candle.OpenTime, candle.Volume);
        _volumeMax.Evict(_cutoff);
        _volumeMin.Push(candle.OpenTime, candle.Volume);
        _volumeMin.Evict(_cutoff);
        _highs.Evict(_cutoff);
        _lows.Evict(_cutoff);

        DetectLevel1(candle, index);
        return CandleAddResult.Added;
    }

    private void DetectLevel1(in Candle candle, long index)
    {
        if (_skipInside && _tCount > 0)
        {
            var last = _tCount - 1;
            if (candle.High <= _tHigh[last] && candle.Low >= _tLow[last]) return; // inside the last counted candle
        }

        if (_tCount == _tailSize)
        {
            for (var i = 1; i < _tailSize; i++)
            {
                _tOpen[i - 1] = _tOpen[i];
                _tClose[i - 1] = _tClose[i];
                _tHigh[i - 1] = _tHigh[i];
                _tLow[i - 1] = _tLow[i];
                _tIndex[i - 1] = _tIndex[i];
            }
            _tCount--;
        }
        _tOpen[_tCount] = candle.OpenTime;
        _tClose[_tCount] = candle.CloseTime;
        _tHigh[_tCount] = candle.High;
        _tLow[_tCount] = candle.Low;
        _tIndex[_tCount] = index;
        _tCount++;
        if (_tCount < _tailSize) return;

        var s = _s;
        long high = _tHigh[s], low = _tLow[s];
        bool isHigh = true, isLow = true;
        for (var j = 0; j < s; j++)
        {
            // Tie rule: strictly beyond the left neighbours, at least equal to the right ones.
            isHigh &= high > _tHigh[j] && high >= _tHigh[s + 1 + j];
            isLow &= low < _tLow[j] && low <= _tLow[s + 1 + j];
        }
        if (isHigh) _highs.AddLevel1(new TailPoint { Time = _tOpen[s], Price = high, ConfirmedAt = candle.CloseTime, CandleIndex = _tIndex[s] }, _cutoff);
        if (isLow) _lows.AddLevel1(new TailPoint { Time = _tOpen[s], Price = low, ConfirmedAt = candle.CloseTime, CandleIndex = _tIndex[s] }, _cutoff);
    }

    // ---------------------------------------------------------------- queries

    /// <summary>
    /// Pivots of one level and kind in the window, confirmed at or before <paramref name="asOf"/> (null = everything
    /// known), oldest first, at most the last <paramref name="maxCount"/>.
    /// </summary>
    public IReadOnlyList<SwingPoint> GetPivots(int level, SwingKind kind, long? asOf = null, int maxCount = int.MaxValue)
    {
        CheckLevel(level);
        var series = kind == SwingKind.High ? _highs : _lows;
        var end = asOf is { } t ? series.ConfirmedCount(level, t) : series.CountAt(level);
        var start = Math.Max(0, end - Math.Max(0, maxCount));
        var result = new SwingPoint[end - start];
        for (var i = start; i < end; i++) result[i - start] = series.PointAt(level, i);
        return result;
    }

    /// <summary>Highs and lows of one level merged in time order (a high before a low on the same candle); at most the last <paramref name="maxCount"/>.</summary>
    public IReadOnlyList<SwingPoint> GetPivots(int level, long? asOf = null, int maxCount = int.MaxValue)
    {
        var highs = GetPivots(level, SwingKind.High, asOf, maxCount);
        var lows = GetPivots(level, SwingKind.Low, asOf, maxCount);
        var merged = new List<SwingPoint>(highs.Count + lows.Count);
        int h = 0, l = 0;
        while (h < highs.Count || l < lows.Count)
        {
            if (l == lows.Count || (h < highs.Count && highs[h].Time <= lows[l].Time)) merged.Add(highs[h++]);
            else merged.Add(lows[l++]);
        }
        return merged.Count > maxCount ? merged.GetRange(merged.Count - maxCount, maxCount) : merged;
    }

    /// <summary>Every level (index 0 = level 1), each as <see cref="GetPivots(int, long?, int)"/>.</summary>
    public IReadOnlyList<IReadOnlyList<SwingPoint>> GetAllPivots(long? asOf = null, int maxCountPerLevel = int.MaxValue)
    {
        var levels = new IReadOnlyList<SwingPoint>[Levels];
        for (var k = 1; k <= Levels; k++) levels[k - 1] = GetPivots(k, asOf, maxCountPerLevel);
        return levels;
    }

    /// <summary>
    /// Trend of a level from its last two highs and last two lows confirmed by <paramref name="asOf"/>: higher high and
    /// higher low = Up, lower high and lower low = Down, anything else (including equal prices or too few points) = Sideways.
    /// </summary>
    public Trend TrendOf(int level, long? asOf = null)
    {
        CheckLevel(level);
        var highs = GetPivots(level, SwingKind.High, asOf, 2);
        var lows = GetPivots(level, SwingKind.Low, asOf, 2);
        if (highs.Count < 2 || lows.Count < 2) return Trend.Sideways;
        var highUp = highs[1].Price > highs[0].Price;
        var highDown = highs[1].Price < highs[0].Price;
        var lowUp = lows[1].Price > lows[0].Price;
        var lowDown = lows[1].Price < lows[0].Price;
        return highUp && lowUp ? Trend.Up : highDown && lowDown ? Trend.Down : Trend.Sideways;
    }

    /// <summary>
    /// Support and resistance zones from the pivots of level <see cref="PivotOptions.SupportResistanceMinLevel"/> and up
    /// in the window, confirmed by <paramref name="asOf"/>. Each pivot counts once (as one touch) with strength = the
    /// highest level it had reached by <paramref name="asOf"/>. Prices sorted ascending are merged greedily: a zone starts
    /// at its lowest price p0 and takes every further price within p0 * MergeTolerance of p0. A zone's price is the mean of
    /// its members (rounded down), its strength their highest level, its last touch the latest pivot time.
    /// Cost O(m log m) in the pivots used; the last result is cached until the next candle.
    /// </summary>
    public SupportResistanceSet SupportResistance(long? asOf = null)
    {
        var key = asOf is { } t && t < _lastClose ? t : long.MaxValue;
        if (_srCache is { } c && c.Version == _version && c.AsOf == key) return c.Set;
        var set = new SupportResistanceSet(Zones(_lows, key, isSupport: true), Zones(_highs, key, isSupport: false));
        _srCache = (_version, key, set);
        return set;
    }

    private List<SupportResistanceLevel> Zones(SwingSeries series, long asOf, bool isSupport)
    {
        var minLevel = Math.Min(_options.SupportResistanceMinLevel, Levels);
        var count = series.ConfirmedCount(minLevel, asOf);
        var seqs = new long[count];
        var strength = new int[count];
        for (var i = 0; i < count; i++)
        {
            seqs[i] = series.SeqAt(minLevel, i);
            strength[i] = minLevel;
        }
        // Every level's list is in level-1 sequence order, so one merge pass per level finds which points reached it.
        for (var level = minLevel + 1; level <= Levels; level++)
        {
            var upper = series.ConfirmedCount(level, asOf);
            var i = 0;
            for (var u = 0; u < upper; u++)
            {
                var seq = series.SeqAt(level, u);
                while (i < count && seqs[i] < seq) i++;
                if (i < count && seqs[i] == seq) strength[i] = level;
            }
        }
        var prices = new long[count];
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            prices[i] = series.PriceOfSeq(seqs[i]);
            order[i] = i;
        }
        Array.Sort(prices, order);

        var zones = new List<SupportResistanceLevel>();
        var at = 0;
        while (at < count)
        {
            var anchor = prices[at];
            var limit = anchor + (long)(anchor * _options.MergeTolerance);
            Int128 sum = 0;
            int touches = 0, best = 0;
            long lastTouch = long.MinValue;
            while (at < count && prices[at] <= limit)
            {
                sum += prices[at];
                touches++;
                var member = order[at];
                best = Math.Max(best, strength[member]);
                lastTouch = Math.Max(lastTouch, series.TimeOfSeq(seqs[member]));
                at++;
            }
            zones.Add(new SupportResistanceLevel { Price = (long)(sum / touches), Touches = touches, Strength = best, IsSupport = isSupport, LastTouch = lastTouch });
        }
        return zones;
    }

    /// <summary>
    /// Normalisation bounds of the current window: price min (of lows) and max (of highs), volume min and max, support and
    /// resistance, window start/end, candle count and <see cref="PivotBounds.ComputedAt"/> from the injected clock.
    /// Null before the first candle, or when <paramref name="asOf"/> lies before the last candle's close (candles are not
    /// kept, so past bounds cannot be rebuilt without look-ahead).
    /// </summary>
    public PivotBounds? GetBounds(long? asOf = null)
    {
        if (_counter.Count == 0) return null;
        if (asOf is { } t && t < _lastClose) return null;
        var sr = SupportResistance(asOf);
        return new PivotBounds
        {
            PriceMin = _lowMin.Value,
            PriceMax = _highMax.Value,
            VolumeMin = _volumeMin.Value,
            VolumeMax = _volumeMax.Value,
            Support = sr.Support,
            Resistance = sr.Resistance,
            WindowStart = _counter.FirstOpenTime,
            WindowEnd = _lastClose,
            CandleCount = _counter.Count,
            ComputedAt = _time.GetUtcNow().UtcDateTime,
        };
    }

    private void CheckLevel(int level)
    {
        if (level < 1 || level > Levels) throw new ArgumentOutOfRangeException(nameof(level), level, $"Level must be 1..{Levels}.");
    }

    // ---------------------------------------------------------------- state survival

    /// <summary>A snapshot from which <see cref="Import"/> continues exactly as this engine would.</summary>
    public PivotEngineSnapshot Export()
    {
        var (runFirst, runStep, runCount) = _counter.Export();
        return new PivotEngineSnapshot
        {
            Levels = _options.Levels,
            Strength = _options.Strength,
            SkipInsideCandles = _options.SkipInsideCandles,
            WindowMs = _options.WindowMs,
            MergeTolerance = _options.MergeTolerance,
            SupportResistanceMinLevel = _options.SupportResistanceMinLevel,
            TotalCandles = _total,
            LastOpenTime = _lastOpen,
            LastCloseTime = _lastClose,
            Cutoff = _cutoff,
            TailOpenTimes = _tOpen[.._tCount],
            TailCloseTimes = _tClose[.._tCount],
            TailHighs = _tHigh[.._tCount],
            TailLows = _tLow[.._tCount],
            TailIndexes = _tIndex[.._tCount],
            RunFirst = runFirst,
            RunStep = runStep,
            RunCount = runCount,
            HighMax = Deque(_highMax),
            LowMin = Deque(_lowMin),
            VolumeMax = Deque(_volumeMax),
            VolumeMin = Deque(_volumeMin),
            Highs = _highs.Export(),
            Lows = _lows.Export(),
        };

        static SlidingDequeSnapshot Deque(SlidingExtremum e)
        {
            var (times, values) = e.Export();
            return new SlidingDequeSnapshot { Times = times, Values = values };
        }
    }

    /// <summary>
    /// Rebuilds an engine from <paramref name="snapshot"/> with the snapshot's options. Returns false with a reason
    /// (never throws) when the snapshot is from another version or inconsistent; the caller then recomputes from candles.
    /// </summary>
    public static bool TryImport(PivotEngineSnapshot snapshot, TimeProvider? time, out WilliamsPivotEngine? engine, out string? error)
    {
        engine = null;
        if (snapshot.Version != PivotEngineSnapshot.CurrentVersion)
        {
            error = $"snapshot version {snapshot.Version}, expected {PivotEngineSnapshot.CurrentVersion}";
            return false;
        }
        var options = new PivotOptions
        {
            Levels = snapshot.Levels,
            Strength = snapshot.Strength,
            SkipInsideCandles = snapshot.SkipInsideCandles,
            WindowMs = snapshot.WindowMs,
            MergeTolerance = snapshot.MergeTolerance,
            SupportResistanceMinLevel = snapshot.SupportResistanceMinLevel,
        };
        if (options.Validate() is { } invalid)
        {
            error = invalid;
            return false;
        }
        var e = new WilliamsPivotEngine(options, time);
        error = e.Restore(snapshot);
        if (error is not null) return false;
        engine = e;
        return true;
    }

    private string? Restore(PivotEngineSnapshot s)
    {
        var n = s.TailOpenTimes.Length;
        if (n > _tailSize || s.TailCloseTimes.Length != n || s.TailHighs.Length != n || s.TailLows.Length != n || s.TailIndexes.Length != n)
            return "candle tail is inconsistent";
        if (s.RunFirst.Length != s.RunStep.Length || s.RunFirst.Length != s.RunCount.Length) return "window runs are inconsistent";
        foreach (var d in (SlidingDequeSnapshot[])[s.HighMax, s.LowMin, s.VolumeMax, s.VolumeMin])
            if (d.Times.Length != d.Values.Length) return "a sliding deque is inconsistent";
        if (s.TotalCandles < 0) return "negative candle count";

        s.TailOpenTimes.CopyTo(_tOpen, 0);
        s.TailCloseTimes.CopyTo(_tClose, 0);
        s.TailHighs.CopyTo(_tHigh, 0);
        s.TailLows.CopyTo(_tLow, 0);
        s.TailIndexes.CopyTo(_tIndex, 0);
        _tCount = n;
        _counter.Import(s.RunFirst, s.RunStep, s.RunCount);
        _highMax.Import(s.HighMax.Times, s.HighMax.Values);
        _lowMin.Import(s.LowMin.Times, s.LowMin.Values);
        _volumeMax.Import(s.VolumeMax.Times, s.VolumeMax.Values);
        _volumeMin.Import(s.VolumeMin.Times, s.VolumeMin.Values);
        _total = s.TotalCandles;
        _lastOpen = s.LastOpenTime;
        _lastClose = s.LastCloseTime;
        _cutoff = s.Cutoff;
        _version = 0;
        _srCache = null;
        return _highs.Import(s.Highs) is { } h ? "highs: " + h : _lows.Import(s.Lows) is { } l ? "lows: " + l : null;
    }
}
