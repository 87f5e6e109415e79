using System.Diagnostics.Metrics;

namespace MarketData.Actors;

/// <summary>Instruments of the model-facing grains, on the <c>MarketData</c> meter (exported through OpenTelemetry by the silo).</summary>
public static class MarketDataMetrics
{
    public const string MeterName = "MarketData";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Time to assemble and score one snapshot inside the silo, in microseconds.</summary>
    public static readonly Histogram<double> AssemblyMicroseconds = Meter.CreateHistogram<double>(
        "marketdata.base_input.assembly", unit: "us", description: "BaseDataInput assembly and scoring time inside the silo");

    public static readonly Counter<long> SnapshotsRejected = Meter.CreateCounter<long>(
        "marketdata.base_input.rejected", description: "Snapshots refused because their quality was below the caller's minimum");

    public static readonly Counter<long> SnapshotsPublished = Meter.CreateCounter<long>("marketdata.base_input.published");
    public static readonly Counter<long> SnapshotsWithheld = Meter.CreateCounter<long>(
        "marketdata.base_input.withheld", description: "Periodic snapshots not published because they scored below BaseInput:PublishMinQuality");
    public static readonly Counter<long> SnapshotsFailed = Meter.CreateCounter<long>("marketdata.base_input.publish_failed");

    public static void RecordAssembly(TimeSpan elapsed, bool accepted)
    {
        AssemblyMicroseconds.Record(elapsed.TotalMicroseconds);
        if (!accepted) SnapshotsRejected.Add(1);
    }
}
