using MarketData.Aggregation;
using MarketData.Candles;
using MarketData.Domain.Quality;
using MarketData.Inputs;

namespace MarketData.Actors;

/// <summary>What a <see cref="BaseDataInput"/> holds and how it is judged, bound from configuration section <c>BaseInput</c>.</summary>
public sealed class BaseInputOptions
{
    public const string Section = "BaseInput";

    /// <summary>The exchange model-facing calls (which take a bare symbol) read from.</summary>
    public string Exchange { get; set; } = "binance";

    public int Frames1s { get; set; } = 300;
    public int Frames1m { get; set; } = 300;
    public int Frames1h { get; set; } = 300;
    public int Frames1d { get; set; } = 300;
    public int ReferenceFrames1s { get; set; } = 300;

    /// <summary>The symbol whose 1s candles every snapshot carries beside its own (the market's leader).</summary>
    public string ReferenceSymbol { get; set; } = "BTCUSDT";

    /// <summary>The timeframe whose pivots and bounds a snapshot carries (1m: a 30-day window fills in 43 requests).</summary>
    public string PivotTimeframe { get; set; } = "1m";

    /// <summary>Latest pivots kept per level in a snapshot.</summary>
    public int PivotsPerLevel { get; set; } = 50;

    public int HeatmapSeconds { get; set; } = 60;
    public HeatmapMetric HeatmapMetric { get; set; } = HeatmapMetric.Total;

    /// <summary>Price-bucket slots of the feature vector, centred on the mid's bucket.</summary>
    public int BucketSlots { get; set; } = 11;

    public IndicatorSettings Indicators { get; set; } = new();

    public QualityThresholds Quality { get; set; } = new();

    /// <summary>Interval of the <c>base-input</c> stream; zero (the default) publishes nothing.</summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.Zero;

    /// <summary>Symbols published on the stream; empty means every symbol a feed of <see cref="Exchange"/> follows.</summary>
    public List<string> PublishSymbols { get; set; } = [];

    /// <summary>Snapshots scoring below this are not published, only counted (0: publish all, each with its report).</summary>
    public double PublishMinQuality { get; set; }

    public InputRequirements Requirements() => new()
    {
        Frames1s = Frames1s,
        Frames1m = Frames1m,
        Frames1h = Frames1h,
        Frames1d = Frames1d,
        ReferenceFrames1s = ReferenceFrames1s,
        ReferenceSymbol = ReferenceSymbol.Trim().ToUpperInvariant(),
        PivotTimeframe = Timeframe.Parse(PivotTimeframe),
        HeatmapSeconds = HeatmapSeconds,
    };

    /// <summary>Null when valid, else every reason it is not.</summary>
    public string? Validate()
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[] { ("Frames1s", Frames1s), ("Frames1m", Frames1m), ("Frames1h", Frames1h), ("Frames1d", Frames1d), ("ReferenceFrames1s", ReferenceFrames1s) })
            if (value is < 1 or > 1_500) errors.Add($"BaseInput:{name} must be 1..1500 (the candle cache holds 1,500), not {value}.");
        if (!Instruments.Instrument.TryCreate(Exchange, ReferenceSymbol, out _, out var error)) errors.Add($"BaseInput:Exchange/ReferenceSymbol: {error}");
        foreach (var symbol in PublishSymbols)
            if (!Instruments.Instrument.TryCreate(Exchange, symbol, out _, out var symbolError)) errors.Add($"BaseInput:PublishSymbols: {symbolError}");
        if (!Timeframe.TryParse(PivotTimeframe, out _)) errors.Add($"BaseInput:PivotTimeframe must be 1s, 1m, 1h or 1d, not '{PivotTimeframe}'.");
        if (PivotsPerLevel is < 1 or > 10_000) errors.Add($"BaseInput:PivotsPerLevel must be 1..10000, not {PivotsPerLevel}.");
        if (HeatmapSeconds is < 1 or > 1_800) errors.Add($"BaseInput:HeatmapSeconds must be 1..1800, not {HeatmapSeconds}.");
        if (BucketSlots is < 1 or > 1_001 || BucketSlots % 2 == 0) errors.Add($"BaseInput:BucketSlots must be odd and 1..1001 (a centre slot for the mid), not {BucketSlots}.");
        if (PublishInterval < TimeSpan.Zero || (PublishInterval > TimeSpan.Zero && PublishInterval < TimeSpan.FromMilliseconds(100)))
            errors.Add($"BaseInput:PublishInterval must be zero (off) or at least 100 ms, not {PublishInterval}.");
        if (!(PublishMinQuality is >= 0 and <= 1)) errors.Add($"BaseInput:PublishMinQuality must be within 0..1, not {PublishMinQuality}.");
        if (Indicators.Validate() is { } indicators) errors.Add($"BaseInput:{indicators}");
        if (Quality.Validate() is { } quality) errors.Add($"BaseInput:Quality: {quality}");
        return errors.Count == 0 ? null : string.Join(" ", errors);
    }
}
