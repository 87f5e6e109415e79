using MarketData.Candles;
using MarketData.Inputs;

namespace MarketData.Tests.Domain.Features;

/// <summary>What the feature tests add to <c>SampleInputs</c>: indicator sets, a scored report, lookups by feature name.</summary>
internal static class FeatureTestInputs
{
    /// <summary>A full indicator set for <paramref name="timeframe"/>, prices near 3,000 (quote units), every value distinct.</summary>
    public static IndicatorSet Indicators(Timeframe timeframe, double shift = 0) => new()
    {
        Timeframe = timeframe,
        Candles = 60,
        AsOf = 1,
        Close = 3_001 + shift,
        EmaFast = 3_000.5 + shift,
        EmaSlow = 2_999.25 + shift,
        Rsi = 57.5,
        Macd = 1.25,
        MacdSignal = 0.75,
        MacdHistogram = 0.5,
        BollingerMiddle = 3_000 + shift,
        BollingerUpper = 3_004 + shift,
        BollingerLower = 2_996 + shift,
        BollingerPercentB = 0.625,
        BollingerBandwidth = 8.0 / 3_000,
        Atr = 2.5,
        Vwap = 3_000.75 + shift,
    };

    public static IReadOnlyList<IndicatorSet> AllIndicators()
        => [Indicators(Timeframe.OneSecond, 0.1), Indicators(Timeframe.OneMinute), Indicators(Timeframe.OneHour, 1), Indicators(Timeframe.OneDay, 2)];

    public static QualityReport Scored(long asOf) => new()
    {
        Score = 0.93,
        Uncapped = 0.93,
        Completeness = new QualityComponent { Name = "completeness", Score = 0.97, Weight = 0.4, Explanation = "test" },
        Freshness = new QualityComponent { Name = "freshness", Score = 0.91, Weight = 0.3, Explanation = "test" },
        Consistency = new QualityComponent { Name = "consistency", Score = 0.89, Weight = 0.3, Explanation = "test" },
        Problems = [],
        MinimumRequired = 0.8,
        Accepted = true,
        AsOf = asOf,
    };

    /// <summary>Offset of the feature called <paramref name="name"/>; fails the test when there is none.</summary>
    public static int Offset(this FeatureLayout layout, string name)
    {
        foreach (var feature in layout.Features)
            if (feature.Name == name) return feature.Offset;
        Assert.Fail($"no feature '{name}' in layout {layout.Version}");
        return -1;
    }

    public static float Value(this float[] vector, FeatureLayout layout, string name) => vector[layout.Offset(name)];

    public static FeatureBlock Block(this FeatureLayout layout, string name)
    {
        foreach (var block in layout.Blocks)
            if (block.Name == name) return block;
        Assert.Fail($"no block '{name}' in layout {layout.Version}");
        return null!;
    }
}
