using System.Collections.Concurrent;
using System.Globalization;
using MarketData.Inputs;

namespace MarketData.Domain.Features;

/// <summary>
/// Builds (once per shape) the fixed layout of the float32 feature vector: blocks in a fixed order, every feature
/// named, offsets contiguous from 0. The same shape always gives the same <see cref="FeatureLayout"/> instance, so a
/// layout is safe to cache and to compare. docs/feature-layout.md describes every block.
/// </summary>
public static class FeatureLayouts
{
    /// <summary>
    /// The schema number: first part of every version. Raise it whenever a block, a feature, an order or a
    /// normalisation changes, even if the length stays the same.
    /// </summary>
    public const int SchemaVersion = 1;

    /// <summary>Slots of the bucket block when nothing else is configured: ±5 buckets around the mid's (the ETH/BTC defaults).</summary>
    public const int DefaultBucketSlots = 11;

    /// <summary>Pivot levels in the vector (Williams levels 1..5).</summary>
    public const int PivotLevels = 5;

    internal const int CandleFields = 5;
    internal const int PresenceFeatures = 5;
    internal const int IndicatorFeatures = 14;
    internal const int BookFeatures = 15;
    internal const int BucketFields = 4;
    internal const int PivotLevelFields = 4;
    internal const int PivotExtraFeatures = 5;
    internal const int QualityFeatures = 4;
    internal const int TimeFeatures = 4;

    /// <summary>The candle timeframes in vector order (index = series index of <see cref="FeatureShape.FramesAt"/>).</summary>
    internal static readonly string[] SeriesNames = ["1s", "1m", "1h", "1d"];

    private static readonly string[] CandleFieldNames = ["open", "high", "low", "close", "volume"];
    private static readonly string[] IndicatorNames =
    [
        "ema.fast", "ema.slow", "bb.upper", "bb.middle", "bb.lower", "vwap", "rsi", "macd", "macd.signal", "macd.histogram", "atr",
        "bb.percent-b", "bb.bandwidth", "present",
    ];
    private static readonly string[] BookNames =
    [
        "book.synced", "book.imbalance", "book.imbalance.s1", "book.imbalance.s5", "book.imbalance.s15", "book.imbalance.s60",
        "book.spread-bps", "book.depth.bid-share", "book.depth.ask-share", "book.flow.1s.buy-share", "book.flow.1s.sell-share",
        "book.flow.1m.buy-share", "book.flow.1m.vwap", "book.mid", "book.aggregate.present",
    ];
    private static readonly string[] BucketFieldNames = ["bid", "ask", "imbalance", "imbalance.avg"];
    private static readonly string[] PivotLevelFieldNames = ["high", "low", "trend", "present"];
    private static readonly string[] PivotExtraNames =
        ["pivots.support.distance", "pivots.resistance.distance", "pivots.support.present", "pivots.resistance.present", "pivots.bounds.present"];
    private static readonly string[] QualityNames = ["quality.score", "quality.completeness", "quality.freshness", "quality.consistency"];
    private static readonly string[] TimeNames = ["time.day.sin", "time.day.cos", "time.week.sin", "time.week.cos"];

    private static readonly ConcurrentDictionary<FeatureShape, FeaturePlan> ByShape = new();
    private static readonly ConcurrentDictionary<string, FeaturePlan> ByVersion = new(StringComparer.Ordinal);

    /// <summary>The layout of snapshots built with <paramref name="requirements"/> and <paramref name="bucketSlots"/> bucket slots.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A frame count outside 0..<see cref="FeatureShape.MaxFrames"/> or slots outside 1..<see cref="FeatureShape.MaxBucketSlots"/>.</exception>
    public static FeatureLayout Create(InputRequirements requirements, int bucketSlots = DefaultBucketSlots)
        => Create(FeatureShape.Of(requirements, bucketSlots));

    /// <summary>The layout of <paramref name="shape"/>; the same instance for the same shape.</summary>
    public static FeatureLayout Create(FeatureShape shape) => PlanOf(shape).Layout;

    /// <summary>The layout a version names, or null when the version is not of this schema or malformed.</summary>
    public static FeatureLayout? FromVersion(string version)
        => FeatureShape.TryParse(version, out var shape) ? Create(shape) : null;

    internal static FeaturePlan PlanOf(FeatureShape shape)
    {
        if (shape.BucketSlots < 1) throw new ArgumentException("The shape is uninitialised (default).", nameof(shape));
        if (ByShape.TryGetValue(shape, out var plan)) return plan;
        // Built outside the dictionary's lock; a race builds twice and keeps the first, so every caller sees one instance.
        plan = ByShape.GetOrAdd(shape, Build(shape));
        ByVersion.TryAdd(plan.Layout.Version, plan);
        return plan;
    }

    /// <summary>The plan for a layout by its version (a layout that travelled through a serializer is a different instance).</summary>
    internal static FeaturePlan? PlanOf(string version)
    {
        if (ByVersion.TryGetValue(version, out var plan)) return plan;
        return FeatureShape.TryParse(version, out var shape) ? PlanOf(shape) : null;
    }

    private static FeaturePlan Build(FeatureShape shape)
    {
        var writer = new LayoutWriter();
        var candleOffsets = new int[4];
        for (var s = 0; s < 4; s++)
        {
            var name = "candles." + SeriesNames[s];
            candleOffsets[s] = writer.BeginBlock();
            WriteCandles(writer, name, shape.FramesAt(s));
            writer.EndBlock(name, $"{shape.FramesAt(s)} {SeriesNames[s]} candles of the symbol, oldest first and right-aligned " +
                "(the newest in the last slot, missing older frames 0), each [open, high, low, close, volume]. Prices (p - min) / (max - min) " +
                "with the pivot bounds (fallback: the 1m window's low/high); volume / the window's largest volume.");
        }

        var referenceOffset = writer.BeginBlock();
        WriteCandles(writer, "reference.1s", shape.ReferenceFrames1s);
        writer.EndBlock("reference.1s", $"{shape.ReferenceFrames1s} 1s candles of the reference symbol, laid out like the candles blocks; " +
            "prices normalised by the reference window's own lowest low and highest high, volume by its largest volume.");

        var presenceOffset = writer.BeginBlock();
        for (var s = 0; s < 4; s++) writer.Add("presence.candles." + SeriesNames[s]);
        writer.Add("presence.reference.1s");
        writer.EndBlock("presence", "Per candle series (1s, 1m, 1h, 1d, reference 1s): candles present / frames in the layout, 0..1 (0 when the layout has no frames).");

        var indicatorOffsets = new int[4];
        for (var s = 0; s < 4; s++)
        {
            var prefix = "indicators." + SeriesNames[s];
            indicatorOffsets[s] = writer.BeginBlock();
            foreach (var feature in IndicatorNames) writer.Add(prefix + "." + feature);
            writer.EndBlock(prefix, $"Indicators of the {SeriesNames[s]} candles: EMA fast/slow, Bollinger upper/middle/lower and VWAP normalised like prices; " +
                "RSI / 100; MACD, signal, histogram and ATR / the price range; Bollinger %B and bandwidth as they are; present = 1 when a set " +
                "with at least one candle exists. A missing value is 0.");
        }

        var bookOffset = writer.BeginBlock();
        foreach (var feature in BookNames) writer.Add(feature);
        writer.EndBlock("book", "Book and microstructure of the latest aggregated second: synced flag, imbalance and its 1/5/15/60 s averages, " +
            "spread in bps / 100, bid and ask share of depth, buy and sell share of the second's traded volume, buy share and VWAP " +
            "(normalised like prices) of the last minute, mid (normalised), and 1 when a non-gap aggregate is present.");

        var bucketsOffset = writer.BeginBlock();
        var centre = shape.BucketSlots / 2;
        for (var i = 0; i < shape.BucketSlots; i++)
        {
            var prefix = "buckets[" + RelativeIndex(i - centre) + "].";
            foreach (var field in BucketFieldNames) writer.Add(prefix + field);
        }
        writer.EndBlock("buckets", $"{shape.BucketSlots} price buckets of the aggregate, ascending price, centred on the bucket holding the mid (slot {centre}, " +
            "buckets[0]); each [bid / largest bucket total in the slots, ask / same, imbalance, 60 s average imbalance (else 15 s, 5 s, 1 s, else 0)]. " +
            "Slots outside the aggregate's range are 0.");

        var pivotsOffset = writer.BeginBlock();
        for (var level = 1; level <= PivotLevels; level++)
            foreach (var field in PivotLevelFieldNames)
                writer.Add(string.Create(CultureInfo.InvariantCulture, $"pivots.l{level}.{field}"));
        foreach (var feature in PivotExtraNames) writer.Add(feature);
        writer.EndBlock("pivots", "Per level 1..5: last swing high and last swing low (normalised like prices), trend (-1 down, 0 sideways, 1 up), " +
            "present (1 when the level has a point); then the distance from the mid (else the last 1s close) down to the nearest support and up to " +
            "the nearest resistance as fractions of the price range, a flag for each saying one exists, and 1 when the pivot bounds are usable.");

        var qualityOffset = writer.BeginBlock();
        foreach (var feature in QualityNames) writer.Add(feature);
        writer.EndBlock("quality", "The quality report: score, completeness, freshness and consistency, each 0..1.");

        var timeOffset = writer.BeginBlock();
        foreach (var feature in TimeNames) writer.Add(feature);
        writer.EndBlock("time", "Sine and cosine of the snapshot time's phase in the UTC day and in the week (the week starting Monday 00:00 UTC).");

        var layout = new FeatureLayout
        {
            Version = shape.Version,
            Length = writer.Count,
            Blocks = writer.Blocks.AsReadOnly(),
            Features = writer.Features.AsReadOnly(),
        };
        return new FeaturePlan(shape, layout, candleOffsets, referenceOffset, presenceOffset, indicatorOffsets, bookOffset, bucketsOffset,
            pivotsOffset, qualityOffset, timeOffset);
    }

    private static void WriteCandles(LayoutWriter writer, string prefix, int frames)
    {
        for (var slot = 0; slot < frames; slot++)
        {
            var start = prefix + "[" + (slot - frames).ToString(CultureInfo.InvariantCulture) + "].";
            foreach (var field in CandleFieldNames) writer.Add(start + field);
        }
    }

    /// <summary><c>-2</c>, <c>0</c>, <c>+2</c>: the sign always written except for the centre.</summary>
    private static string RelativeIndex(int offset)
        => offset > 0 ? "+" + offset.ToString(CultureInfo.InvariantCulture) : offset.ToString(CultureInfo.InvariantCulture);

    private sealed class LayoutWriter
    {
        private int _blockStart;

        public List<FeatureDescriptor> Features { get; } = [];
        public List<FeatureBlock> Blocks { get; } = [];
        public int Count => Features.Count;

        public int BeginBlock() => _blockStart = Features.Count;

        public void Add(string name) => Features.Add(new FeatureDescriptor(name, Features.Count));

        public void EndBlock(string name, string description)
            => Blocks.Add(new FeatureBlock { Name = name, Offset = _blockStart, Length = Features.Count - _blockStart, Description = description });
    }
}

/// <summary>A layout with the offsets of its blocks, so the builder never searches the feature list.</summary>
internal sealed class FeaturePlan
{
    public FeaturePlan(FeatureShape shape, FeatureLayout layout, int[] candleOffsets, int referenceOffset, int presenceOffset,
        int[] indicatorOffsets, int bookOffset, int bucketsOffset, int pivotsOffset, int qualityOffset, int timeOffset)
    {
        Shape = shape;
        Layout = layout;
        CandleOffsets = candleOffsets;
        ReferenceOffset = referenceOffset;
        PresenceOffset = presenceOffset;
        IndicatorOffsets = indicatorOffsets;
        BookOffset = bookOffset;
        BucketsOffset = bucketsOffset;
        PivotsOffset = pivotsOffset;
        QualityOffset = qualityOffset;
        TimeOffset = timeOffset;
    }

    public FeatureShape Shape { get; }
    public FeatureLayout Layout { get; }
    public int Length => Layout.Length;
    public int[] CandleOffsets { get; }
    public int ReferenceOffset { get; }
    public int PresenceOffset { get; }
    public int[] IndicatorOffsets { get; }
    public int BookOffset { get; }
    public int BucketsOffset { get; }
    public int PivotsOffset { get; }
    public int QualityOffset { get; }
    public int TimeOffset { get; }
}
