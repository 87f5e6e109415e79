using MarketData.Domain.Aggregation;
using MarketData.Instruments;

namespace MarketData.Actors;

/// <summary>
/// Per-second book aggregation, bound from configuration section <c>Cob</c> and read on every second, so a
/// change to appsettings.json takes effect without a restart.
/// </summary>
public sealed class CobOptions
{
    public const string Section = "Cob";

    /// <summary>Per symbol, the bucket size and the range either side of the mid, as decimal text (for example BTCUSDT: 10 and 50).</summary>
    public Dictionary<string, BucketSetting> Buckets { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Per-second aggregates kept (30 minutes).</summary>
    public int HistorySeconds { get; set; } = 1_800;

    /// <summary>Memory bound of the raw tick buffer per symbol; beyond it the oldest ticks go and are counted.</summary>
    public long TickBufferMaxBytes { get; set; } = 12L * 1024 * 1024;

    /// <summary>A second is aggregated this long after it ends (by exchange time), so its last diffs and trades can arrive.</summary>
    public TimeSpan SecondGrace { get; set; } = TimeSpan.FromMilliseconds(250);

    public sealed class BucketSetting
    {
        public decimal Size { get; set; }
        public decimal Range { get; set; }

        public BucketConfig ToConfig() => new(FixedPoint.FromDecimal(Size), FixedPoint.FromDecimal(Range));
    }
}
