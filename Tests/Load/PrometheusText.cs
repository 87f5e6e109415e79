using System.Globalization;

namespace MarketData.Tests.Load;

/// <summary>One sample line of the Prometheus text format: metric name, label text (without braces) and value.</summary>
public readonly record struct PrometheusSample(string Name, string Labels, double Value)
{
    /// <summary>The value of label <paramref name="label"/>, or null.</summary>
    public string? Label(string label)
    {
        var key = label + "=\"";
        var at = Labels.StartsWith(key, StringComparison.Ordinal) ? 0 : Labels.IndexOf("," + key, StringComparison.Ordinal) is var i and >= 0 ? i + 1 : -1;
        if (at < 0) return null;
        var start = at + key.Length;
        var end = Labels.IndexOf('"', start);
        return end < 0 ? null : Labels[start..end];
    }
}

/// <summary>
/// A scrape of a Prometheus text endpoint (<c>/metrics</c>), read the way a load run needs it: sums of counters and
/// gauges over their label sets, and cumulative histogram buckets whose difference between two scrapes gives the
/// percentiles of what happened in between.
/// </summary>
public sealed class PrometheusText
{
    private readonly List<PrometheusSample> _samples;

    private PrometheusText(List<PrometheusSample> samples) => _samples = samples;

    public IReadOnlyList<PrometheusSample> Samples => _samples;

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            string name, labels, rest;
            if (brace >= 0 && brace < line.IndexOf(' ', StringComparison.Ordinal))
            {
                var close = line.LastIndexOf('}');
                if (close < brace) continue;
                name = line[..brace];
                labels = line[(brace + 1)..close];
                rest = line[(close + 1)..].Trim();
            }
            else
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space < 0) continue;
                name = line[..space];
                labels = "";
                rest = line[(space + 1)..].Trim();
            }
            var valueText = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (valueText is null) continue;
            var value = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN,
            };
            samples.Add(new PrometheusSample(name, labels, value));
        }
        return new PrometheusText(samples);
    }

    /// <summary>Whether any sample's name starts with <paramref name="prefix"/>.</summary>
    public bool Has(string prefix) => _samples.Exists(s => s.Name.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The sum over every label set of the samples named exactly <paramref name="name"/> (0 when absent).</summary>
    public double Sum(string name, Func<PrometheusSample, bool>? where = null)
        => _samples.Where(s => s.Name == name && (where is null || where(s))).Sum(s => s.Value);

    /// <summary>
    /// The cumulative buckets of histogram <paramref name="baseName"/> (the samples <c>{baseName}_bucket</c>), summed
    /// over every label set but <c>le</c>: upper bound → count of observations at or below it, in ascending order.
    /// </summary>
    public SortedDictionary<double, double> Buckets(string baseName)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var s in _samples)
        {
            if (s.Name != baseName + "_bucket" || s.Label("le") is not { } le) continue;
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

    /// <summary>Upper bound of the highest non-empty bucket: the largest observation is at most this.</summary>
    public double MaxBound => _buckets.LastOrDefault(b => b.Count > 0).Upper;

    /// <summary>Fraction of observations at or below <paramref name="bound"/> (a bucket boundary).</summary>
    public double FractionAtOrBelow(double bound)
        => Count <= 0 ? double.NaN : _buckets.Where(b => b.Upper <= bound).Sum(b => b.Count) / Count;
}
