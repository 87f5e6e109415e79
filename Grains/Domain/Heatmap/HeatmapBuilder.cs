namespace MarketData.Domain.Heatmap;

// Inside the namespace so that "Heatmap" means the record, not this namespace.
using MarketData.Aggregation;
using MarketData.Instruments;

/// <summary>
/// Turns a window of per-second aggregates into a time × price-bucket matrix.
/// <list type="bullet">
/// <item>Rows: every second of the window, in the order given (ascending time); a gap second is a row of NaN.</item>
/// <item>Columns: the contiguous run of buckets on the absolute grid from the lowest to the highest bucket any usable
/// second covered, so the price axis is uniform even if the mid jumped; buckets a second did not cover are NaN.</item>
/// <item>Grid: the bucket size of the latest non-gap second. A second aggregated with another bucket size (the
/// configuration changed inside the window) or off that grid cannot be placed on it and becomes a NaN row, like a gap.</item>
/// <item>Values: bid / ask / total resting volume in base units (fixed point / 10^8), or the bucket imbalance in [-1, 1]
/// (0 for an empty bucket, as <see cref="PriceBucket.Imbalance"/> defines).</item>
/// </list>
/// No usable second: no columns, and <see cref="Heatmap.BucketSize"/> 0.
/// </summary>
public static class HeatmapBuilder
{
    /// <summary>Upper bound on columns: a window whose buckets span more (absurd mid jump) keeps those nearest the latest second's range.</summary>
    public const int MaxColumns = 4096;

    private const double VolumeScale = FixedPoint.Scale;

    public static Heatmap Build(IReadOnlyList<CobSecond> seconds, HeatmapMetric metric)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        return Build(seconds, 0, seconds.Count, metric);
    }

    /// <summary>The matrix over <paramref name="count"/> seconds starting at <paramref name="start"/> (a window of a longer history, without copying it).</summary>
    public static Heatmap Build(IReadOnlyList<CobSecond> seconds, int start, int count, HeatmapMetric metric)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, seconds.Count);

        var times = new long[count];
        for (var i = 0; i < count; i++) times[i] = seconds[start + i].Time;

        // The grid: bucket size and alignment of the latest second that has buckets.
        CobSecond? reference = null;
        for (var i = start + count - 1; i >= start; i--)
        {
            var s = seconds[i];
            if (IsUsable(s)) { reference = s; break; }
        }
        if (reference is null) return Empty(metric, times);

        var size = reference.BucketSize;
        var anchor = reference.Buckets[0].PriceFrom;
        long low = long.MaxValue, high = long.MinValue;
        for (var i = start; i < start + count; i++)
        {
            var s = seconds[i];
            if (!OnGrid(s, size, anchor)) continue;
            low = Math.Min(low, s.Buckets[0].PriceFrom);
            high = Math.Max(high, s.Buckets[^1].PriceFrom);
        }
        var columns = (high - low) / size + 1;
        if (columns > MaxColumns)
        {
            // Centre the allowed span on the latest second's range, inside [low, high].
            var centre = (reference.Buckets[0].PriceFrom + reference.Buckets[^1].PriceFrom) / 2 / size * size;
            var from = Math.Clamp(centre - MaxColumns / 2 * size, low, high - (MaxColumns - 1) * size);
            low = from;
            high = from + (MaxColumns - 1) * size;
            columns = MaxColumns;
        }

        var cols = (int)columns;
        var prices = new long[cols];
        for (var c = 0; c < cols; c++) prices[c] = low + c * size;

        var values = GC.AllocateUninitializedArray<double>(count * cols);
        values.AsSpan().Fill(double.NaN);
        // Per row, the verified part of the second's range: buckets beyond it hold levels that may have holes.
        var verifiedFrom = new long[count];
        var verifiedTo = new long[count];
        for (var r = 0; r < count; r++)
        {
            var s = seconds[start + r];
            if (s.IsGap || s.Buckets.Length == 0) continue;
            verifiedFrom[r] = s.RangeLow + Math.Min(s.UnverifiedBidBuckets, s.Buckets.Length) * s.BucketSize;
            verifiedTo[r] = Math.Max(verifiedFrom[r], s.RangeHigh - Math.Min(s.UnverifiedAskBuckets, s.Buckets.Length) * s.BucketSize);
        }
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var r = 0; r < count; r++)
        {
            var s = seconds[start + r];
            if (!OnGrid(s, size, anchor)) continue;
            var buckets = s.Buckets;
            var first = (s.Buckets[0].PriceFrom - low) / size; // may be negative or past the end after clipping
            var from = (int)Math.Max(0, -first);
            var to = (int)Math.Min(buckets.Length, cols - first);
            if (from >= to) continue;
            var row = values.AsSpan(r * cols + (int)(first + from), to - from);
            var src = buckets.AsSpan(from, to - from);
            switch (metric)
            {
                case HeatmapMetric.Bid:
                    for (var b = 0; b < src.Length; b++) row[b] = src[b].BidVolume / VolumeScale;
                    break;
                case HeatmapMetric.Ask:
                    for (var b = 0; b < src.Length; b++) row[b] = src[b].AskVolume / VolumeScale;
                    break;
                case HeatmapMetric.Total:
                    for (var b = 0; b < src.Length; b++) row[b] = (src[b].BidVolume + src[b].AskVolume) / VolumeScale;
                    break;
                case HeatmapMetric.Imbalance:
                    for (var b = 0; b < src.Length; b++) row[b] = src[b].Imbalance;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown heatmap metric");
            }
            if (metric != HeatmapMetric.Imbalance)
            {
                // Volumes are finite (from longs); track the range while the row is hot in cache.
                for (var b = 0; b < row.Length; b++)
                {
                    var v = row[b];
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
            }
        }

        (min, max) = metric == HeatmapMetric.Imbalance ? (-1.0, 1.0)
            : double.IsPositiveInfinity(min) ? (0.0, 0.0) : (min, max);
        return new Heatmap
        {
            Metric = metric, Times = times, PriceBuckets = prices, BucketSize = size, Values = values, Min = min, Max = max,
            VerifiedFrom = verifiedFrom, VerifiedTo = verifiedTo,
        };
    }

    private static Heatmap Empty(HeatmapMetric metric, long[] times) => new()
    {
        Metric = metric,
        Times = times,
        VerifiedFrom = new long[times.Length],
        VerifiedTo = new long[times.Length],
        PriceBuckets = [],
        BucketSize = 0,
        Values = [],
        Min = metric == HeatmapMetric.Imbalance ? -1 : 0,
        Max = metric == HeatmapMetric.Imbalance ? 1 : 0,
    };

    private static bool IsUsable(CobSecond s) => !s.IsGap && s.BucketSize > 0 && s.Buckets.Length > 0;

    /// <summary>True when the second's buckets can be placed on the grid (same size, aligned with the reference).</summary>
    private static bool OnGrid(CobSecond s, long size, long anchor)
        => IsUsable(s) && s.BucketSize == size && (s.Buckets[0].PriceFrom - anchor) % size == 0;
}
