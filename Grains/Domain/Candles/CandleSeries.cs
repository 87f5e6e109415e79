using MarketData.Candles;

namespace MarketData.Domain.Candles;

/// <summary>
/// The candle cache of one instrument and timeframe: the latest closed candles in a ring buffer (oldest
/// evicted first) and the forming candle kept apart, so a reader never mistakes an unfinished candle for
/// a closed one. Every input goes through <see cref="Apply(in Candle)"/>, which never throws for bad data:
/// it rejects the candle with a counted reason and the cache keeps its last good state.
/// <para>
/// Gaps: when a closed candle arrives more than one interval after the newest closed one, the missing open
/// times are recorded in <see cref="Gaps"/>. A later closed candle (a REST backfill) whose open time lies in
/// a gap is inserted in place, flagged <see cref="CandleFlags.Repaired"/>. Gaps are only tracked within the
/// last <see cref="Capacity"/> intervals ending at the newest closed candle: older holes could never be held.
/// </para>
/// Not thread-safe: one owner (a grain) at a time.
/// </summary>
public sealed class CandleSeries
{
    public const int DefaultCapacity = 1_500;

    private readonly Candle[] _ring;
    private readonly long _interval;
    private readonly List<CandleGap> _gaps = [];
    private int _head;   // index of the oldest closed candle
    private int _count;
    private Candle _forming;
    private bool _hasForming;

    public CandleSeries(Timeframe timeframe, int capacity = DefaultCapacity)
    {
        if (timeframe.Milliseconds <= 0) throw new ArgumentException("Timeframe is not initialised.", nameof(timeframe));
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Timeframe = timeframe;
        _interval = timeframe.Milliseconds;
        _ring = new Candle[capacity];
    }

    public Timeframe Timeframe { get; }
    public int Capacity => _ring.Length;
    /// <summary>Closed candles held.</summary>
    public int Count => _count;
    public CandleSeriesCounters Counters { get; } = new();

    /// <summary>Changes on every apply and clear: readers may cache what they copied out while it stays the same.</summary>
    public long Version { get; private set; }

    /// <summary>The forming (not yet closed) candle, or null.</summary>
    public Candle? Forming => _hasForming ? _forming : null;
    public bool HasForming => _hasForming;

    /// <summary>The newest closed candle, or null when none is held.</summary>
    public Candle? LastClosed => _count == 0 ? null : At(_count - 1);

    /// <summary>Runs of missing closed candles between held ones, oldest first.</summary>
    public IReadOnlyList<CandleGap> Gaps => _gaps;

    /// <summary>Total missing candles over all <see cref="Gaps"/>.</summary>
    public long MissingCount
    {
        get
        {
            long total = 0;
            foreach (var gap in _gaps) total += gap.Count(_interval);
            return total;
        }
    }

    /// <summary>
    /// Applies a closed candle (<see cref="CandleFlags.Closed"/> set) or a forming update (not set).
    /// The <see cref="CandleFlags.CutShort"/> flag is computed here; a <see cref="CandleFlags.Repaired"/> flag
    /// on the input is kept (so restored state stays marked). Allocation-free except when a new gap is recorded.
    /// </summary>
    public CandleApplyOutcome Apply(in Candle candle)
    {
        Version++;
        var reason = Validate(candle, _interval, out var cutShort);
        if (reason != CandleRejectReason.None) return Reject(reason);
        var flags = (candle.Flags & CandleFlags.Repaired) | (cutShort ? CandleFlags.CutShort : CandleFlags.None);
        return candle.IsClosed ? ApplyClosed(candle, flags | CandleFlags.Closed) : ApplyForming(candle, flags);
    }

    /// <summary>
    /// The data checks every candle must pass, independent of the cache's state. Public so parsers and
    /// tests can use the same rules. <paramref name="cutShort"/>: close time earlier than open + interval - 1.
    /// </summary>
    public static CandleRejectReason Validate(in Candle c, long intervalMs, out bool cutShort)
    {
        cutShort = false;
        if (c.OpenTime < 0 || c.OpenTime % intervalMs != 0) return CandleRejectReason.Misaligned;
        var regularClose = c.OpenTime + intervalMs - 1;
        if (c.CloseTime < c.OpenTime || c.CloseTime > regularClose) return CandleRejectReason.InvalidCloseTime;
        if (c.High < c.Low) return CandleRejectReason.HighBelowLow;
        if (c.Low <= 0) return CandleRejectReason.NonPositivePrice;
        if (c.Open < c.Low || c.Open > c.High) return CandleRejectReason.OpenOutsideRange;
        if (c.Close < c.Low || c.Close > c.High) return CandleRejectReason.CloseOutsideRange;
        if ((c.Volume | c.QuoteVolume | c.TakerBuyVolume | c.TakerBuyQuoteVolume) < 0) return CandleRejectReason.NegativeVolume;
        if (c.TakerBuyVolume > c.Volume || c.TakerBuyQuoteVolume > c.QuoteVolume) return CandleRejectReason.TakerBuyAboveVolume;
        if (c.TradeCount < 0) return CandleRejectReason.NegativeCount;
        cutShort = c.CloseTime < regularClose;
        return CandleRejectReason.None;
    }

    private CandleApplyOutcome ApplyForming(in Candle candle, CandleFlags flags)
    {
        if (_count > 0 && candle.OpenTime <= At(_count - 1).OpenTime) return Reject(CandleRejectReason.StaleForming);
        if (_hasForming)
        {
            ref readonly var current = ref _forming;
            if (candle.OpenTime < current.OpenTime) return Reject(CandleRejectReason.StaleForming);
            if (candle.OpenTime == current.OpenTime)
            {
                if (SameNumbers(candle, current))
                {
                    Counters.Duplicates++;
                    return new(CandleApplyResult.Duplicate);
                }
                // Within one interval volume, trades and the range only grow: a smaller one is an older update.
                if (candle.Volume < current.Volume || candle.TradeCount < current.TradeCount
                    || candle.High < current.High || candle.Low > current.Low)
                    return Reject(CandleRejectReason.FormingWentBackwards);
            }
            else
            {
                Counters.FormingAbandoned++;
            }
        }
        _forming = candle with { Flags = flags };
        _hasForming = true;
        Counters.FormingUpdates++;
        return new(CandleApplyResult.UpdatedForming);
    }

    private CandleApplyOutcome ApplyClosed(in Candle candle, CandleFlags flags)
    {
        var open = candle.OpenTime;
        if (_count == 0 || open > At(_count - 1).OpenTime)
        {
            var closesForming = false;
            if (_hasForming && _forming.OpenTime <= open)
            {
                closesForming = _forming.OpenTime == open;
                if (!closesForming) Counters.FormingAbandoned++;
                _hasForming = false;
                _forming = default;
            }
            if (_count > 0)
            {
                var newest = At(_count - 1).OpenTime;
                if (open > newest + _interval)
                {
                    // Trades-built candles skip intervals with no trade (no candle is made for them); the builder
                    // detects lost trades by id, so such a hole is an empty interval, not a gap.
                    if (candle.Source == CandleSource.Trades && At(_count - 1).Source == CandleSource.Trades)
                        Counters.EmptyIntervals += (open - newest) / _interval - 1;
                    else
                        RecordGap(newest + _interval, open - _interval, open);
                }
            }
            Push(candle with { Flags = flags });
            TrimGaps(open);
            if ((flags & CandleFlags.CutShort) != 0) Counters.CutShort++;
            if (closesForming)
            {
                Counters.Closed++;
                return new(CandleApplyResult.Closed);
            }
            Counters.Appended++;
            return new(CandleApplyResult.Appended);
        }

        var index = FindIndex(open);
        if (index >= 0)
        {
            ref var existing = ref At(index);
            if (SameNumbers(candle, existing))
            {
                Counters.Duplicates++;
                return new(CandleApplyResult.Duplicate);
            }
            // A candle built here (from trades or by aggregation) gives way to the exchange's own.
            if (existing.Source is CandleSource.Trades or CandleSource.Aggregated
                && candle.Source is not (CandleSource.Trades or CandleSource.Aggregated))
            {
                existing = candle with { Flags = flags | CandleFlags.Repaired };
                Counters.Repaired++;
                return new(CandleApplyResult.Repaired);
            }
            return Reject(CandleRejectReason.ConflictingDuplicate);
        }

        if (!RemoveFromGaps(open)) return Reject(CandleRejectReason.OutOfOrder);
        Insert(~index, candle with { Flags = flags | CandleFlags.Repaired });
        if ((flags & CandleFlags.CutShort) != 0) Counters.CutShort++;
        Counters.Repaired++;
        return new(CandleApplyResult.Repaired);
    }

    private CandleApplyOutcome Reject(CandleRejectReason reason)
    {
        Counters.CountRejection(reason);
        return CandleApplyOutcome.Reject(reason);
    }

    /// <summary>Same market numbers; source and flags do not make a candle different.</summary>
    private static bool SameNumbers(in Candle a, in Candle b)
        => a.OpenTime == b.OpenTime && a.CloseTime == b.CloseTime && a.Open == b.Open && a.High == b.High
           && a.Low == b.Low && a.Close == b.Close && a.Volume == b.Volume && a.QuoteVolume == b.QuoteVolume
           && a.TradeCount == b.TradeCount && a.TakerBuyVolume == b.TakerBuyVolume
           && a.TakerBuyQuoteVolume == b.TakerBuyQuoteVolume;

    // ---- gaps ----------------------------------------------------------------------------------

    /// <summary>Open time of the oldest slot the cache could hold once every gap is repaired.</summary>
    private long WindowStart(long newestOpen) => newestOpen - (long)(_ring.Length - 1) * _interval;

    private void RecordGap(long from, long to, long newestOpen)
    {
        from = Math.Max(from, WindowStart(newestOpen));
        if (from > to) return;
        _gaps.Add(new CandleGap(from, to));
        Counters.GapsDetected++;
        Counters.MissingDetected += (to - from) / _interval + 1;
    }

    private void TrimGaps(long newestOpen)
    {
        if (_gaps.Count == 0) return;
        var start = WindowStart(newestOpen);
        var drop = 0;
        while (drop < _gaps.Count && _gaps[drop].ToOpenTime < start) drop++;
        if (drop > 0) _gaps.RemoveRange(0, drop);
        if (_gaps.Count > 0 && _gaps[0].FromOpenTime < start) _gaps[0] = _gaps[0] with { FromOpenTime = start };
    }

    private bool RemoveFromGaps(long open)
    {
        for (var i = 0; i < _gaps.Count; i++)
        {
            var gap = _gaps[i];
            if (open < gap.FromOpenTime || open > gap.ToOpenTime) continue;
            if (gap.FromOpenTime == gap.ToOpenTime) _gaps.RemoveAt(i);
            else if (open == gap.FromOpenTime) _gaps[i] = gap with { FromOpenTime = open + _interval };
            else if (open == gap.ToOpenTime) _gaps[i] = gap with { ToOpenTime = open - _interval };
            else
            {
                _gaps[i] = gap with { ToOpenTime = open - _interval };
                _gaps.Insert(i + 1, gap with { FromOpenTime = open + _interval });
            }
            return true;
        }
        return false;
    }

    // ---- ring ----------------------------------------------------------------------------------

    private ref Candle At(int index)
    {
        var slot = _head + index;
        if (slot >= _ring.Length) slot -= _ring.Length;
        return ref _ring[slot];
    }

    private void Push(in Candle candle)
    {
        if (_count == _ring.Length) EvictOldest();
        At(_count) = candle;
        _count++;
    }

    private void EvictOldest()
    {
        _ring[_head] = default;
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        _count--;
        Counters.Evicted++;
    }

    private void Insert(int index, in Candle candle)
    {
        if (_count == _ring.Length)
        {
            // The oldest candle lies before the window the gap is in, so it is the one to go.
            EvictOldest();
            index--;
        }
        for (var i = _count; i > index; i--) At(i) = At(i - 1);
        At(index) = candle;
        _count++;
    }

    /// <summary>Index of the closed candle with <paramref name="openTime"/>, or the bitwise complement of where it would go.</summary>
    private int FindIndex(long openTime)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var t = At(mid).OpenTime;
            if (t == openTime) return mid;
            if (t < openTime) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>Number of closed candles whose close time is at or before <paramref name="unixMs"/>.</summary>
    private int CountClosedBy(long unixMs)
    {
        int lo = 0, hi = _count; // close times rise with open times
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (At(mid).CloseTime <= unixMs) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    // ---- queries -------------------------------------------------------------------------------

    /// <summary>The closed candle at <paramref name="index"/> (0 = oldest held).</summary>
    public Candle this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            return At(index);
        }
    }

    /// <summary>The latest <paramref name="n"/> closed candles, oldest first. The forming candle is not included.</summary>
    public Candle[] Latest(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var take = Math.Min(n, _count);
        var result = new Candle[take];
        CopyRange(_count - take, result);
        return result;
    }

    /// <summary>Copies the latest closed candles into <paramref name="destination"/> (oldest first) without allocating; returns the number written.</summary>
    public int CopyLatest(Span<Candle> destination)
    {
        var take = Math.Min(destination.Length, _count);
        CopyRange(_count - take, destination[..take]);
        return take;
    }

    /// <summary>Closed candles with open time in [<paramref name="fromOpenTime"/>, <paramref name="toOpenTime"/>], oldest first.</summary>
    public Candle[] Range(long fromOpenTime, long toOpenTime)
    {
        if (toOpenTime < fromOpenTime || _count == 0) return [];
        var first = FindIndex(fromOpenTime);
        if (first < 0) first = ~first;
        var last = FindIndex(toOpenTime);
        var end = last >= 0 ? last + 1 : ~last;
        if (end <= first) return [];
        var result = new Candle[end - first];
        CopyRange(first, result);
        return result;
    }

    /// <summary>
    /// What was known at <paramref name="unixMs"/>: the latest (at most <paramref name="limit"/>) closed candles
    /// whose close time is at or before it, oldest first. Never the forming candle, never a candle that had
    /// not closed by then: no look-ahead.
    /// </summary>
    public Candle[] AsOf(long unixMs, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var end = CountClosedBy(unixMs);
        var take = Math.Min(limit, end);
        var result = new Candle[take];
        CopyRange(end - take, result);
        return result;
    }

    private void CopyRange(int start, Span<Candle> destination)
    {
        for (var i = 0; i < destination.Length; i++) destination[i] = At(start + i);
    }

    // ---- state ---------------------------------------------------------------------------------

    /// <summary>
    /// The state to persist: closed candles oldest first, then the forming candle (if any) last. Gaps are
    /// not stored: they are the holes between the closed candles and are found again by <see cref="Restore"/>.
    /// </summary>
    public Candle[] ToArray()
    {
        var result = new Candle[_count + (_hasForming ? 1 : 0)];
        CopyRange(0, result.AsSpan(0, _count));
        if (_hasForming) result[_count] = _forming;
        return result;
    }

    /// <summary>Drops everything (candles, forming, gaps); counters are kept.</summary>
    public void Clear()
    {
        Version++;
        Array.Clear(_ring);
        _head = _count = 0;
        _hasForming = false;
        _forming = default;
        _gaps.Clear();
    }

    /// <summary>
    /// Replaces the content with <paramref name="state"/> (from <see cref="ToArray"/>) by applying each candle
    /// in order, then resets the counters. Returns how many entries were rejected (0 for state written by
    /// <see cref="ToArray"/>).
    /// </summary>
    public int Restore(ReadOnlySpan<Candle> state)
    {
        Clear();
        var rejected = 0;
        foreach (ref readonly var candle in state)
            if (Apply(candle).Result == CandleApplyResult.Rejected) rejected++;
        Counters.Reset();
        return rejected;
    }
}
