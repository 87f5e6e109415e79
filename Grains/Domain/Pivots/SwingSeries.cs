using System.Runtime.InteropServices;
using MarketData.Pivots;

namespace MarketData.Domain.Pivots;

/// <summary>A pivot in flight between levels: full values, so promotion never reads evicted storage.</summary>
internal struct TailPoint
{
    public long Time;
    public long Price;
    public long ConfirmedAt;
    public long CandleIndex;
    /// <summary>Sequence number in the level-1 store, or -1 when the point was outside the window when found.</summary>
    public long Seq;
}

/// <summary>Stored level-1 point: 24 bytes (a month of 1s candles holds about 1.7 million of them).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct BasePoint
{
    public long Time;
    public long Price;
    public int CandleIndex;
    /// <summary>ConfirmedAt - Time in ms, or <see cref="SwingSeries.LagOverflow"/> when it does not fit (looked up in a side table).</summary>
    public int ConfirmLag;
}

/// <summary>Stored level-k (k &gt;= 2) point: 12 bytes, the rest is in its level-1 point.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct UpperPoint
{
    public long ConfirmedAt;
    public int Seq;
}

/// <summary>
/// The swing highs, or the swing lows, of every level. Level-k detection is level 1's tie rule with strength 1 on the
/// sequence of level k-1 points: when a level k-1 point P arrives, the previous one C is a level-k point if it beats the
/// one before it strictly and P non-strictly; C is confirmed when P is. Each level's store is therefore in both time
/// and confirmation order, so "as of T" is a binary search.
/// </summary>
internal sealed class SwingSeries
{
    internal const int LagOverflow = int.MinValue;

    private readonly bool _isHigh;
    private readonly int _levels;
    private readonly int _strength;
    private readonly ChunkedQueue<BasePoint> _base = new();
    private readonly ChunkedQueue<UpperPoint>[] _upper;
    private readonly TailPoint[] _tailA; // per level 1..levels-1 (index level-1): the older of the last two points
    private readonly TailPoint[] _tailB; // the newer one
    private readonly int[] _tailCount;
    private readonly Dictionary<long, long> _lagOverflow = []; // seq -> ConfirmedAt, for lags beyond int.MaxValue ms
    private long _frontTime = long.MaxValue; // time of the oldest stored level-1 point (MaxValue when none)

    public SwingSeries(bool isHigh, int levels, int strength)
    {
        _isHigh = isHigh;
        _levels = levels;
        _strength = strength;
        _upper = new ChunkedQueue<UpperPoint>[levels - 1];
        for (var i = 0; i < _upper.Length; i++) _upper[i] = new ChunkedQueue<UpperPoint>();
        _tailA = new TailPoint[levels];
        _tailB = new TailPoint[levels];
        _tailCount = new int[levels];
    }

    public SwingKind Kind => _isHigh ? SwingKind.High : SwingKind.Low;

    public long AllocatedBytes
    {
        get
        {
            var bytes = _base.AllocatedBytes;
            foreach (var q in _upper) bytes += q.AllocatedBytes;
            return bytes;
        }
    }

    public int CountAt(int level) => level == 1 ? _base.Count : _upper[level - 2].Count;

    /// <summary>A new level-1 point; cascades through the levels. O(levels).</summary>
    public void AddLevel1(TailPoint point, long cutoff)
    {
        point.Seq = -1;
        if (point.Time >= cutoff)
        {
            var lag = point.ConfirmedAt - point.Time;
            point.Seq = _base.EndSeq;
            if (lag > int.MaxValue) _lagOverflow[point.Seq] = point.ConfirmedAt;
            if (_base.Count == 0) _frontTime = point.Time;
            _base.Add(new BasePoint { Time = point.Time, Price = point.Price, CandleIndex = (int)point.CandleIndex, ConfirmLag = lag > int.MaxValue ? LagOverflow : (int)lag });
        }

        for (var level = 1; level < _levels; level++)
        {
            var i = level - 1;
            if (_tailCount[i] < 2)
            {
                if (_tailCount[i] == 0) _tailA[i] = point;
                else _tailB[i] = point;
                _tailCount[i]++;
                return;
            }
            var before = _tailA[i];
            var candidate = _tailB[i];
            _tailA[i] = candidate;
            _tailB[i] = point;
            var isPivot = _isHigh
                ? candidate.Price > before.Price && candidate.Price >= point.Price
                : candidate.Price < before.Price && candidate.Price <= point.Price;
            if (!isPivot) return;

            candidate.ConfirmedAt = point.ConfirmedAt;
            if (candidate.Time >= cutoff && candidate.Seq >= 0)
                _upper[level - 1].Add(new UpperPoint { ConfirmedAt = candidate.ConfirmedAt, Seq = (int)candidate.Seq });
            point = candidate;
        }
    }

    /// <summary>Drops points older than <paramref name="cutoff"/>; higher levels first, since they refer to level-1 points.</summary>
    public void Evict(long cutoff)
    {
        // Every stored point of every level is a level-1 point, so nothing is due unless the oldest level-1 point is.
        if (_base.Count == 0 || _frontTime >= cutoff) return;
        for (var k = _upper.Length - 1; k >= 0; k--)
        {
            var q = _upper[k];
            while (q.Count > 0 && _base[q.First.Seq].Time < cutoff) q.RemoveFirst();
        }
        while (_base.Count > 0 && _base.First.Time < cutoff)
        {
            if (_base.First.ConfirmLag == LagOverflow) _lagOverflow.Remove(_base.FirstSeq);
            _base.RemoveFirst();
        }
        _frontTime = _base.Count > 0 ? _base.First.Time : long.MaxValue;
    }

    /// <summary>Number of stored points of <paramref name="level"/> confirmed at or before <paramref name="asOf"/>, counted from the front.</summary>
    public int ConfirmedCount(int level, long asOf)
    {
        int lo = 0, hi = CountAt(level);
        if (hi == 0 || ConfirmedAtOf(level, hi - 1) <= asOf) return hi;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ConfirmedAtOf(level, mid) <= asOf) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The <paramref name="position"/>-th stored point of <paramref name="level"/> (0 = oldest in the window).</summary>
    public SwingPoint PointAt(int level, int position)
    {
        if (level == 1)
        {
            var seq = _base.FirstSeq + position;
            ref readonly var p = ref _base[seq];
            return new SwingPoint { Level = 1, Kind = Kind, Time = p.Time, Price = p.Price, Strength = _strength, ConfirmedAt = BaseConfirmedAt(seq, p), CandleIndex = p.CandleIndex };
        }
        var q = _upper[level - 2];
        ref readonly var u = ref q[q.FirstSeq + position];
        ref readonly var b = ref _base[u.Seq];
        return new SwingPoint { Level = level, Kind = Kind, Time = b.Time, Price = b.Price, Strength = 1, ConfirmedAt = u.ConfirmedAt, CandleIndex = b.CandleIndex };
    }

    /// <summary>Level-1 sequence number of the <paramref name="position"/>-th stored point of <paramref name="level"/>.</summary>
    public long SeqAt(int level, int position)
        => level == 1 ? _base.FirstSeq + position : _upper[level - 2][_upper[level - 2].FirstSeq + position].Seq;

    public long PriceOfSeq(long seq) => _base[seq].Price;

    public long TimeOfSeq(long seq) => _base[seq].Time;

    private long ConfirmedAtOf(int level, int position)
    {
        if (level == 1)
        {
            var seq = _base.FirstSeq + position;
            return BaseConfirmedAt(seq, _base[seq]);
        }
        var q = _upper[level - 2];
        return q[q.FirstSeq + position].ConfirmedAt;
    }

    private long BaseConfirmedAt(long seq, in BasePoint p) => p.ConfirmLag == LagOverflow ? _lagOverflow[seq] : p.Time + p.ConfirmLag;

    public SwingSeriesSnapshot Export()
    {
        var n = _base.Count;
        var times = new long[n];
        var prices = new long[n];
        var confirmed = new long[n];
        var indexes = new long[n];
        for (var i = 0; i < n; i++)
        {
            var seq = _base.FirstSeq + i;
            ref readonly var p = ref _base[seq];
            (times[i], prices[i], confirmed[i], indexes[i]) = (p.Time, p.Price, BaseConfirmedAt(seq, p), p.CandleIndex);
        }
        var upper = new UpperLevelSnapshot[_upper.Length];
        for (var k = 0; k < _upper.Length; k++)
        {
            var q = _upper[k];
            var seqs = new long[q.Count];
            var at = new long[q.Count];
            for (var i = 0; i < q.Count; i++)
            {
                ref readonly var u = ref q[q.FirstSeq + i];
                (seqs[i], at[i]) = (u.Seq, u.ConfirmedAt);
            }
            upper[k] = new UpperLevelSnapshot { Seqs = seqs, ConfirmedAt = at };
        }
        var tails = new List<(int Level, TailPoint Point)>();
        for (var i = 0; i < _levels - 1; i++)
        {
            if (_tailCount[i] > 0) tails.Add((i + 1, _tailA[i]));
            if (_tailCount[i] > 1) tails.Add((i + 1, _tailB[i]));
        }
        return new SwingSeriesSnapshot
        {
            FirstSeq = _base.FirstSeq,
            Times = times,
            Prices = prices,
            ConfirmedAt = confirmed,
            CandleIndexes = indexes,
            Upper = upper,
            TailLevels = tails.Select(t => t.Level).ToArray(),
            TailTimes = tails.Select(t => t.Point.Time).ToArray(),
            TailPrices = tails.Select(t => t.Point.Price).ToArray(),
            TailConfirmedAt = tails.Select(t => t.Point.ConfirmedAt).ToArray(),
            TailCandleIndexes = tails.Select(t => t.Point.CandleIndex).ToArray(),
            TailSeqs = tails.Select(t => t.Point.Seq).ToArray(),
        };
    }

    /// <summary>Replaces the state with a snapshot's; null when it is inconsistent, else an error text.</summary>
    public string? Import(SwingSeriesSnapshot s)
    {
        if (s.Upper.Length != _upper.Length) return "level count differs";
        var n = s.Times.Length;
        if (s.Prices.Length != n || s.ConfirmedAt.Length != n || s.CandleIndexes.Length != n) return "level-1 arrays differ in length";
        _lagOverflow.Clear();
        _base.Reset(s.FirstSeq);
        for (var i = 0; i < n; i++)
        {
            var lag = s.ConfirmedAt[i] - s.Times[i];
            if (lag > int.MaxValue) _lagOverflow[s.FirstSeq + i] = s.ConfirmedAt[i];
            _base.Add(new BasePoint { Time = s.Times[i], Price = s.Prices[i], CandleIndex = (int)s.CandleIndexes[i], ConfirmLag = lag > int.MaxValue ? LagOverflow : (int)lag });
        }
        for (var k = 0; k < _upper.Length; k++)
        {
            var u = s.Upper[k];
            if (u.Seqs.Length != u.ConfirmedAt.Length) return $"level {k + 2} arrays differ in length";
            _upper[k].Reset(0);
            for (var i = 0; i < u.Seqs.Length; i++)
            {
                if (u.Seqs[i] < _base.FirstSeq || u.Seqs[i] >= _base.EndSeq) return $"level {k + 2} refers to a missing level-1 point";
                _upper[k].Add(new UpperPoint { ConfirmedAt = u.ConfirmedAt[i], Seq = (int)u.Seqs[i] });
            }
        }
        _frontTime = _base.Count > 0 ? _base.First.Time : long.MaxValue;
        var tails = s.TailLevels.Length;
        if (s.TailTimes.Length != tails || s.TailPrices.Length != tails || s.TailConfirmedAt.Length != tails || s.TailCandleIndexes.Length != tails || s.TailSeqs.Length != tails)
            return "tail arrays differ in length";
        Array.Clear(_tailCount);
        for (var i = 0; i < s.TailLevels.Length; i++)
        {
            var level = s.TailLevels[i];
            if (level < 1 || level >= _levels) return "tail level out of range";
            var point = new TailPoint { Time = s.TailTimes[i], Price = s.TailPrices[i], ConfirmedAt = s.TailConfirmedAt[i], CandleIndex = s.TailCandleIndexes[i], Seq = s.TailSeqs[i] };
            var at = level - 1;
            if (_tailCount[at] == 0) _tailA[at] = point;
            else if (_tailCount[at] == 1) _tailB[at] = point;
            else return "more than two tail points for a level";
            _tailCount[at]++;
        }
        return null;
    }
}
