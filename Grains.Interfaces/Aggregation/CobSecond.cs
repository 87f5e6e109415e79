namespace MarketData.Aggregation;

/// <summary>
/// One price bucket of a second's aggregate: resting volume (fixed-point 10^8) whose price lies in
/// [<see cref="PriceFrom"/>, <see cref="PriceFrom"/> + bucket size). Buckets sit on an absolute grid (multiples of
/// the bucket size), so the same bucket can be followed from second to second as the mid moves.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.PriceBucket")]
public readonly record struct PriceBucket(
    [property: Id(0)] long PriceFrom,
    [property: Id(1)] long BidVolume,
    [property: Id(2)] long AskVolume)
{
    public long Total => BidVolume + AskVolume;

    /// <summary>(bid - ask) / (bid + ask); 0 for an empty bucket.</summary>
    public double Imbalance => Total == 0 ? 0 : (double)(BidVolume - AskVolume) / Total;
}

/// <summary>Trades of one second. Volumes fixed-point 10^8; <see cref="Vwap"/> 0 when there was no trade.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.TradeFlow")]
public readonly record struct TradeFlow(
    [property: Id(0)] long BuyVolume,
    [property: Id(1)] long SellVolume,
    [property: Id(2)] int TradeCount,
    [property: Id(3)] long Vwap,
    [property: Id(4)] long QuoteVolume);

/// <summary>Moving averages of an imbalance over the last 1, 5, 15 and 60 seconds; null where no second of that span had data.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.ImbalanceAverages")]
public readonly record struct ImbalanceAverages(
    [property: Id(0)] double? S1,
    [property: Id(1)] double? S5,
    [property: Id(2)] double? S15,
    [property: Id(3)] double? S60);

/// <summary>
/// The order book aggregated over one second (UTC, <see cref="Time"/> = the second's start, Unix ms), or a gap
/// with its reason when the book was not synced: never skipped, never filled with made-up values.
/// Prices and volumes fixed-point 10^8.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.CobSecond")]
public sealed record CobSecond
{
    [Id(0)] public long Time { get; init; }
    /// <summary>True when this second could not be aggregated; see <see cref="GapReason"/>. All other numbers are then 0.</summary>
    [Id(1)] public bool IsGap { get; init; }
    [Id(2)] public string? GapReason { get; init; }
    /// <summary>The exchange update id of the book state that was aggregated.</summary>
    [Id(3)] public long BookUpdateId { get; init; }
    [Id(4)] public long Mid { get; init; }
    [Id(5)] public long BucketSize { get; init; }
    /// <summary>Prices covered: [<see cref="RangeLow"/>, <see cref="RangeHigh"/>) — mid ± range widened to whole buckets of the absolute grid (high exclusive).</summary>
    [Id(6)] public long RangeLow { get; init; }
    [Id(7)] public long RangeHigh { get; init; }
    /// <summary>Buckets from <see cref="RangeLow"/> up, ascending price, one per bucket of the range (empty ones included).</summary>
    [Id(8)] public PriceBucket[] Buckets { get; init; } = [];
    /// <summary>(bid - ask) / (bid + ask) over the whole range.</summary>
    [Id(9)] public double Imbalance { get; init; }
    /// <summary>Volume-weighted price of the bids and of the asks within the range; 0 for an empty side.</summary>
    [Id(10)] public long BidVwap { get; init; }
    [Id(11)] public long AskVwap { get; init; }
    [Id(12)] public long Spread { get; init; }
    /// <summary>Resting volume within the range, per side.</summary>
    [Id(13)] public long BidDepth { get; init; }
    [Id(14)] public long AskDepth { get; init; }
    [Id(15)] public TradeFlow Flow { get; init; }
    [Id(16)] public ImbalanceAverages Averages { get; init; }
    /// <summary>Per bucket (same order as <see cref="Buckets"/>), the moving averages of that bucket's imbalance.</summary>
    [Id(17)] public ImbalanceAverages[] BucketAverages { get; init; } = [];
    /// <summary>
    /// Buckets at the low end of <see cref="Buckets"/> that reach below the book's verified bid floor: their bid volume is
    /// exact where a level is held, but levels may be missing (see <see cref="Books.BookCoverage"/>). 0 when all are verified.
    /// </summary>
    [Id(18)] public int UnverifiedBidBuckets { get; init; }
    /// <summary>Buckets at the high end of <see cref="Buckets"/> that reach above the book's verified ask ceiling.</summary>
    [Id(19)] public int UnverifiedAskBuckets { get; init; }
    /// <summary>False when the best bid of the aggregated state lay below the verified bid floor.</summary>
    [Id(20)] public bool BidTouchVerified { get; init; } = true;
    /// <summary>False when the best ask of the aggregated state lay above the verified ask ceiling.</summary>
    [Id(21)] public bool AskTouchVerified { get; init; } = true;
}

/// <summary>What a heatmap shows per cell.</summary>
[GenerateSerializer, Alias("MarketData.HeatmapMetric")]
public enum HeatmapMetric { Bid = 0, Ask = 1, Total = 2, Imbalance = 3 }

/// <summary>
/// A time × price-bucket matrix over a window of seconds. <see cref="Values"/> is row-major: row t (one per entry of
/// <see cref="Times"/>), column b (one per entry of <see cref="PriceBuckets"/>); NaN marks a gap second or a bucket
/// outside that second's range. Volumes are in base-asset units (not fixed point) so the matrix can feed a model.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.Heatmap")]
public sealed record Heatmap
{
    [Id(0)] public required HeatmapMetric Metric { get; init; }
    /// <summary>Second starts, Unix ms, ascending.</summary>
    [Id(1)] public required long[] Times { get; init; }
    /// <summary>Bucket lower bounds, fixed point 10^8, ascending.</summary>
    [Id(2)] public required long[] PriceBuckets { get; init; }
    [Id(3)] public required long BucketSize { get; init; }
    [Id(4)] public required double[] Values { get; init; }
    /// <summary>The colour scale's ends: min and max of the finite values (imbalance: -1 and 1).</summary>
    [Id(5)] public double Min { get; init; }
    [Id(6)] public double Max { get; init; }
    /// <summary>
    /// Per row (one per entry of <see cref="Times"/>), the price range [from, to) of the buckets the book vouched for in
    /// that second; cells outside it (but inside the second's range) hold volume from levels beyond the verified range,
    /// where levels may be missing. Both 0 for a gap second. Empty for heatmaps of other origins.
    /// </summary>
    [Id(7)] public long[] VerifiedFrom { get; init; } = [];
    [Id(8)] public long[] VerifiedTo { get; init; } = [];
}
