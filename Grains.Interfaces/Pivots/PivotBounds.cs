namespace MarketData.Pivots;

/// <summary>
/// Normalisation bounds for model inputs, taken over a long window (about a month of 1s candles):
/// price and volume range, support and resistance levels, and the window they describe.
/// Prices and volumes are fixed-point 10^8; times Unix ms.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.PivotBounds")]
public sealed record PivotBounds
{
    [Id(0)] public long PriceMin { get; init; }
    [Id(1)] public long PriceMax { get; init; }
    [Id(2)] public long VolumeMin { get; init; }
    [Id(3)] public long VolumeMax { get; init; }
    [Id(4)] public IReadOnlyList<SupportResistanceLevel> Support { get; init; } = [];
    [Id(5)] public IReadOnlyList<SupportResistanceLevel> Resistance { get; init; } = [];
    [Id(6)] public long WindowStart { get; init; }
    [Id(7)] public long WindowEnd { get; init; }
    [Id(8)] public long CandleCount { get; init; }
    [Id(9)] public DateTime ComputedAt { get; init; }

    /// <summary>(p - min) / (max - min); 0.5 when the range is empty.</summary>
    public double NormalisePrice(long price) => Normalise(price, PriceMin, PriceMax);

    public double NormaliseVolume(long volume) => Normalise(volume, VolumeMin, VolumeMax);

    /// <summary>Distance from <paramref name="price"/> down to the nearest support at or below it (absolute, fixed-point), or null when none.</summary>
    public long? DistanceToSupport(long price)
    {
        long? best = null;
        foreach (var level in Support)
            if (level.Price <= price && (best is null || price - level.Price < best)) best = price - level.Price;
        return best;
    }

    /// <summary>Distance from <paramref name="price"/> up to the nearest resistance at or above it (absolute, fixed-point), or null when none.</summary>
    public long? DistanceToResistance(long price)
    {
        long? best = null;
        foreach (var level in Resistance)
            if (level.Price >= price && (best is null || level.Price - price < best)) best = level.Price - price;
        return best;
    }

    /// <summary>A distance as a fraction of the price range.</summary>
    public double NormaliseDistance(long distance) => PriceMax > PriceMin ? (double)distance / (PriceMax - PriceMin) : 0;

    private static double Normalise(long value, long min, long max) => max > min ? (double)(value - min) / (max - min) : 0.5;
}
