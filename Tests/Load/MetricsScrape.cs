using System.Globalization;
using MarketData.Tests.Observability;

namespace MarketData.Tests.Load;

/// <summary>
/// A scrape of a Prometheus text endpoint (<c>/metrics</c>), read the way a load run needs it: sums of counters and
/// gauges over their label sets, and cumulative histogram buckets whose difference between two scrapes gives the
/// percentiles of what happened in between.
/// </summary>
public sealed class MetricsScrape
{
    private readonly IReadOnlyList<PrometheusSample> _samples;

    private MetricsScrape(IReadOnlyList<PrometheusSample> samples) => _samples = samples;

    /// <summary>Reads a scrape with the tests' Prometheus text reader.</summary>
    public static MetricsScrape Parse(string text) => new(PrometheusText.Parse(text));

    /// <summary>The sum over every label set of the samples named exactly <paramref name="name"/> (0 when absent).</summary>
    public double Sum(string name) => _samples.Where(s => s.Name == name).Sum(s => s.Value);

    /// <summary>
    /// The cumulative buckets of histogram <paramref name="baseName"/> (the samples <c>{baseName}_bucket</c>), summed
    /// over every label set but <c>le</c>: upper bound → count of observations at or below it, in ascending order.
    /// </summary>
    public SortedDictionary<double, double> Buckets(string baseName)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var s in _samples)
        {
            if (s.Name != baseName + "_bucket" || !s.Labels.TryGetValue("le", out var le)) continue;
            var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, NumberStyles.Float, CultureInfo.InvariantCulture);
            buckets[bound] = buckets.GetValueOrDefault(bound) + s.Value;
        }
        return buckets;
    }

    /// <summary>The name of the first histogram whose name starts with <paramref name="prefix"/> (units are appended by exporters).</summary>
    public string? HistogramNamed(string prefix)
        => _samples.FirstOrDefault(s => s.Name.StartsWith(prefix, StringComparison.Ordinal) && s.Name.EndsWith("_bucket", StringComparison.Ordinal)) is { Name: { } n }
            ? n[..^"_bucket".Length] : null;
}

/// <summary>The observations of a histogram between two scrapes, with percentiles interpolated inside buckets.</summary>
public sealed class HistogramWindow
{
    private readonly (double Upper, double Count)[] _buckets; // per-bucket counts (not cumulative), ascending bounds

    public HistogramWindow(SortedDictionary<double, double> before, SortedDictionary<double, double> after)
    {
        var list = new List<(double, double)>();
        double previousCumulative = 0;
        foreach (var (bound, cumulativeAfter) in after)
        {
            var cumulative = cumulativeAfter - before.GetValueOrDefault(bound);
            list.Add((bound, Math.Max(0, cumulative - previousCumulative)));
            previousCumulative = Math.Max(previousCumulative, cumulative);
        }
        _buckets = [.. list];
        Count = previousCumulative;
    }

    /// <summary>Observations in the window.</summary>
    public double Count { get; }

    /// <summary>
    /// The <paramref name="quantile"/> (0-1), linearly interpolated inside its bucket (lower bound 0 for the first);
    /// NaN when nothing was observed, +∞ when it falls in the overflow bucket.
    /// </summary>
    public double Percentile(double quantile)
    {
        if (Count <= 0) return double.NaN;
        var rank = quantile * Count;
        double seen = 0, lower = 0;
        foreach (var (upper, count) in _buckets)
        {
            if (count > 0 && seen + count >= rank)
            {
                if (double.IsPositiveInfinity(upper)) return double.PositiveInfinity;
                return lower + (upper - lower) * ((rank - seen) / count);
            }
            seen += count;
            if (!double.IsPositiveInfinity(upper)) lower = upper;
        }
        return lower;
    }
}
