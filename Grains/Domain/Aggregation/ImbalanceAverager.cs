using System.Runtime.InteropServices;
using MarketData.Aggregation;

namespace MarketData.Domain.Aggregation;

/// <summary>
/// Moving averages of the imbalance over the last 1, 5, 15 and 60 seconds, overall and per bucket. The span of
/// N seconds ending at second t is the seconds t-N+1 .. t; the average is over the seconds of that span that had
/// data, null when none had. What counts as data: a non-gap second with resting volume in its range (overall), and
/// for a bucket, a second whose range held that bucket (same lower price and bucket size) with volume in it. A gap,
/// a second not fed, an empty bucket or a bucket outside the range contributes nothing (never a made-up 0).
/// <para>
/// Running sums per span are updated as seconds enter and leave, so a second costs O(buckets). Seconds must be
/// fed in increasing time order. Not thread-safe.
/// </para>
/// </summary>
public sealed class ImbalanceAverager
{
    public static readonly int[] Spans = [1, 5, 15, 60];
    private const int SpanCount = 4;
    private const long SecondMs = 1_000;

    private struct Sums
    {
        public double S0, S1, S2, S3;
        public int C0, C1, C2, C3;

        public void Add(int span, double value, int sign)
        {
            switch (span)
            {
                case 0: S0 += sign * value; C0 += sign; if (C0 == 0) S0 = 0; break;
                case 1: S1 += sign * value; C1 += sign; if (C1 == 0) S1 = 0; break;
                case 2: S2 += sign * value; C2 += sign; if (C2 == 0) S2 = 0; break;
                default: S3 += sign * value; C3 += sign; if (C3 == 0) S3 = 0; break;
            }
        }

        public readonly ImbalanceAverages ToAverages() => new(
            C0 > 0 ? S0 / C0 : null, C1 > 0 ? S1 / C1 : null, C2 > 0 ? S2 / C2 : null, C3 > 0 ? S3 / C3 : null);
    }

    private readonly record struct Entry(long Time, bool HasOverall, double Overall, long BucketSize, PriceBucket[] Buckets);

    // Seconds still inside the longest span, oldest first; _heads[s] = how many of the oldest have already left span s.
    private readonly List<Entry> _window = [];
    private int _windowStart;
    private readonly int[] _heads = new int[SpanCount];
    private Sums _overall;
    private readonly Dictionary<(long Price, long Size), Sums> _buckets = [];
    private long _lastTime = long.MinValue;

    /// <summary>Bucket keys currently tracked (for diagnostics and tests of the memory bound).</summary>
    public int TrackedBuckets => _buckets.Count;

    /// <summary>
    /// Adds <paramref name="second"/> and returns it with <see cref="CobSecond.Averages"/> and
    /// <see cref="CobSecond.BucketAverages"/> filled (a gap gets overall averages from the seconds around it and no bucket averages).
    /// </summary>
    public CobSecond Apply(CobSecond second)
    {
        ArgumentNullException.ThrowIfNull(second);
        if (second.Time <= _lastTime)
            throw new ArgumentException($"second {second.Time} is not after the last one ({_lastTime})", nameof(second));
        _lastTime = second.Time;

        var entry = second.IsGap
            ? new Entry(second.Time, false, 0, 0, [])
            : new Entry(second.Time, second.BidDepth + second.AskDepth > 0, second.Imbalance, second.BucketSize, second.Buckets);
        _window.Add(entry);
        for (var s = 0; s < SpanCount; s++) Include(entry, s, +1);

        // Seconds at or before t - N*1000 leave span N.
        for (var s = 0; s < SpanCount; s++)
        {
            var cutoff = second.Time - Spans[s] * SecondMs;
            while (_windowStart + _heads[s] < _window.Count && _window[_windowStart + _heads[s]].Time <= cutoff)
            {
                Include(_window[_windowStart + _heads[s]], s, -1);
                _heads[s]++;
            }
        }
        // The longest span's leavers are gone from every span: drop them.
        var gone = _heads[SpanCount - 1];
        if (gone > 0)
        {
            for (var s = 0; s < SpanCount; s++) _heads[s] -= gone;
            _windowStart += gone;
            // Left entries still hold their seconds' bucket arrays: compact often (60 live entries move), or a symbol
            // keeps four extra minutes of buckets alive, about 0.7 MB each.
            if (_windowStart >= 16)
            {
                _window.RemoveRange(0, _windowStart);
                _windowStart = 0;
            }
        }

        var averages = second.IsGap || second.Buckets.Length == 0 ? [] : new ImbalanceAverages[second.Buckets.Length];
        for (var i = 0; i < averages.Length; i++)
        {
            averages[i] = _buckets.TryGetValue((second.Buckets[i].PriceFrom, second.BucketSize), out var sums)
                ? sums.ToAverages()
                : default;
        }
        return second with { Averages = _overall.ToAverages(), BucketAverages = averages };
    }

    private void Include(in Entry entry, int span, int sign)
    {
        if (entry.HasOverall) _overall.Add(span, entry.Overall, sign);
        foreach (var bucket in entry.Buckets)
        {
            if (bucket.Total == 0) continue;
            var key = (bucket.PriceFrom, entry.BucketSize);
            ref var sums = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out _);
            sums.Add(span, bucket.Imbalance, sign);
            // Leaving the longest span means leaving all: forget the bucket when nothing is left, so the map stays small.
            if (sign < 0 && span == SpanCount - 1 && sums.C3 == 0) _buckets.Remove(key);
        }
    }
}
