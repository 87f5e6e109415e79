using System.Collections.Concurrent;
using MarketData.Instruments;

namespace MarketData.Domain.Aggregation;

/// <summary>
/// How a symbol's book is bucketed each second: buckets of <see cref="BucketSize"/> on the absolute price grid
/// (multiples of the size) covering [mid - <see cref="Range"/>, mid + <see cref="Range"/>]. Both fixed point 10^8.
/// </summary>
public readonly record struct BucketConfig
{
    public BucketConfig(long bucketSize, long range)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(range);
        // A bound on the buckets per second keeps one second's arrays small whatever the configuration says.
        if (range / bucketSize > MaxBucketsPerSide)
            throw new ArgumentOutOfRangeException(nameof(range), $"range covers more than {MaxBucketsPerSide} buckets a side");
        BucketSize = bucketSize;
        Range = range;
    }

    public const int MaxBucketsPerSide = 2_000;

    public long BucketSize { get; }
    public long Range { get; }

    public override string ToString() => $"bucket {FixedPoint.ToText(BucketSize)} within {FixedPoint.ToText(Range)}";
}

/// <summary>
/// Per-symbol bucket configuration, changeable at runtime (thread-safe). Defaults: symbols starting with BTC get
/// the reference $10 buckets within $50, ETH $1 within $5. Any other symbol gets a configuration derived once from
/// its price (see <see cref="DeriveFromPrice"/>) and kept until replaced, so its bucket grid stays put while the
/// price moves (moving averages per bucket need a stable grid).
/// </summary>
public sealed class BucketConfigResolver
{
    public static readonly BucketConfig BtcDefault = new(10 * FixedPoint.Scale, 50 * FixedPoint.Scale);
    public static readonly BucketConfig EthDefault = new(1 * FixedPoint.Scale, 5 * FixedPoint.Scale);

    /// <summary>Derived bucket ≈ this fraction of the price (0.02 %), which gives the reference $10 at BTC ≈ 61,000.</summary>
    public const long DerivedBucketDivisor = 5_000;
    /// <summary>Derived range = this many buckets (the reference ratio: 50/10 and 5/1).</summary>
    public const int DerivedRangeBuckets = 5;

    private readonly ConcurrentDictionary<string, BucketConfig> _explicit = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, BucketConfig> _derived = new(StringComparer.OrdinalIgnoreCase);

    public BucketConfigResolver(IEnumerable<KeyValuePair<string, BucketConfig>>? configured = null)
    {
        if (configured is null) return;
        foreach (var (symbol, config) in configured) _explicit[symbol] = config;
    }

    /// <summary>Sets (or replaces) a symbol's configuration; takes effect from the next aggregated second.</summary>
    public void Set(string symbol, BucketConfig config)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        _explicit[symbol] = config;
    }

    /// <summary>Drops an explicit configuration (and a derived one), so the defaults apply again.</summary>
    public bool Reset(string symbol) => _explicit.TryRemove(symbol, out _) | _derived.TryRemove(symbol, out _);

    /// <summary>The explicit configuration, else the BTC/ETH default, else null (derivation needs a price).</summary>
    public BucketConfig? Find(string symbol)
    {
        if (_explicit.TryGetValue(symbol, out var config)) return config;
        if (symbol.StartsWith("BTC", StringComparison.OrdinalIgnoreCase)) return BtcDefault;
        if (symbol.StartsWith("ETH", StringComparison.OrdinalIgnoreCase)) return EthDefault;
        return _derived.TryGetValue(symbol, out config) ? config : null;
    }

    /// <summary>
    /// The configuration for <paramref name="symbol"/>; for a symbol without one, derives it from
    /// <paramref name="price"/> (the mid) and keeps it. False when there is none and no usable price (&lt;= 0).
    /// </summary>
    public bool TryResolve(string symbol, long price, out BucketConfig config)
    {
        if (Find(symbol) is { } found)
        {
            config = found;
            return true;
        }
        if (price <= 0)
        {
            config = default;
            return false;
        }
        config = _derived.GetOrAdd(symbol, DeriveFromPrice(price));
        return true;
    }

    /// <summary>
    /// Bucket = 0.02 % of the price rounded (in log scale) to the nearest 1-2-5 step (..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ...),
    /// at least 10^-8; range = 5 buckets. BTC at 61,000 gives $10 within $50 (the reference); ETH at 2,600 gives
    /// $0.50 within $2.50 (the reference $1/$5 is set explicitly for ETH).
    /// </summary>
    public static BucketConfig DeriveFromPrice(long price)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(price, 1);
        var target = Math.Max(1, price / DerivedBucketDivisor);
        long decade = 1;
        while (decade <= target / 10) decade *= 10;
        // Geometric midpoints between 1-2, 2-5 and 5-10: sqrt(2), sqrt(10), sqrt(50). Only the config uses double.
        var ratio = (double)target / decade;
        var step = ratio < 1.4142135623730951 ? 1 : ratio < 3.1622776601683795 ? 2 : ratio < 7.0710678118654755 ? 5 : 10;
        var bucket = decade * step;
        return new BucketConfig(bucket, bucket * DerivedRangeBuckets);
    }
}
