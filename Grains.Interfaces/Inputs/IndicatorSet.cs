namespace MarketData.Inputs;

/// <summary>
/// Technical indicators over the closed candles of one series, as of its last candle. Prices are in quote units
/// (doubles, not fixed point: indicators are floating-point by nature). A value is null while there are too few
/// candles for its definition (see docs/indicators.md for every formula and its warm-up).
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.IndicatorSet")]
public sealed record IndicatorSet
{
    [Id(0)] public required Candles.Timeframe Timeframe { get; init; }
    /// <summary>Candles the indicators were computed from.</summary>
    [Id(1)] public int Candles { get; init; }
    /// <summary>Close time of the last candle used, Unix ms (0 when there was none).</summary>
    [Id(2)] public long AsOf { get; init; }
    /// <summary>Close of the last candle used.</summary>
    [Id(3)] public double? Close { get; init; }
    [Id(4)] public double? EmaFast { get; init; }
    [Id(5)] public double? EmaSlow { get; init; }
    /// <summary>Wilder's relative strength index, 0..100.</summary>
    [Id(6)] public double? Rsi { get; init; }
    [Id(7)] public double? Macd { get; init; }
    [Id(8)] public double? MacdSignal { get; init; }
    [Id(9)] public double? MacdHistogram { get; init; }
    [Id(10)] public double? BollingerMiddle { get; init; }
    [Id(11)] public double? BollingerUpper { get; init; }
    [Id(12)] public double? BollingerLower { get; init; }
    /// <summary>(close - lower) / (upper - lower); null when the band has no width.</summary>
    [Id(13)] public double? BollingerPercentB { get; init; }
    /// <summary>(upper - lower) / middle.</summary>
    [Id(14)] public double? BollingerBandwidth { get; init; }
    /// <summary>Wilder's average true range.</summary>
    [Id(15)] public double? Atr { get; init; }
    /// <summary>Volume-weighted average price over all the candles: sum of quote volume / sum of base volume.</summary>
    [Id(16)] public double? Vwap { get; init; }
}

/// <summary>Indicator periods, bound from configuration section <c>BaseInput:Indicators</c>.</summary>
[GenerateSerializer, Alias("MarketData.IndicatorSettings")]
public sealed record IndicatorSettings
{
    [Id(0)] public int EmaFast { get; init; } = 12;
    [Id(1)] public int EmaSlow { get; init; } = 26;
    [Id(2)] public int Rsi { get; init; } = 14;
    [Id(3)] public int MacdFast { get; init; } = 12;
    [Id(4)] public int MacdSlow { get; init; } = 26;
    [Id(5)] public int MacdSignal { get; init; } = 9;
    [Id(6)] public int Bollinger { get; init; } = 20;
    /// <summary>Band half-width in population standard deviations.</summary>
    [Id(7)] public double BollingerWidth { get; init; } = 2;
    [Id(8)] public int Atr { get; init; } = 14;

    /// <summary>Null when valid, else why not.</summary>
    public string? Validate()
    {
        foreach (var (name, value) in new[] { ("EmaFast", EmaFast), ("EmaSlow", EmaSlow), ("Rsi", Rsi), ("MacdFast", MacdFast), ("MacdSlow", MacdSlow), ("MacdSignal", MacdSignal), ("Bollinger", Bollinger), ("Atr", Atr) })
            if (value is < 1 or > 1000) return $"Indicators:{name} must be 1..1000 (was {value}).";
        if (MacdFast >= MacdSlow) return $"Indicators:MacdFast ({MacdFast}) must be below MacdSlow ({MacdSlow}).";
        if (!(BollingerWidth > 0 && BollingerWidth <= 10)) return $"Indicators:BollingerWidth must be in (0, 10] (was {BollingerWidth}).";
        return null;
    }
}
