using System.Diagnostics.Metrics;

namespace MarketData.Storage.TimeSeries;

/// <summary>
/// Instruments of the time-series writer, on the <c>MarketData.Storage</c> meter (exported through OpenTelemetry by the
/// silo), tagged by <c>table</c>. The counters are read from each running writer's <see cref="TimeSeriesCounters"/> when
/// metrics are collected; only the batch duration is recorded as it happens.
/// </summary>
public static class StorageMetrics
{
    public const string MeterName = "MarketData.Storage";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Gate = new();
    private static readonly List<Registration> Writers = [];

    /// <summary>Time to commit one batch (connect, COPY or merge, commit), successful attempts only. Tag: <c>table</c>.</summary>
    internal static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>(
        "marketdata.storage.batch_duration", "ms", "Time to commit one batch of rows to PostgreSQL");

    static StorageMetrics()
    {
        Observe("marketdata.storage.rows_written", "{row}", "Rows committed (duplicates of stored rows included)", c => c.Written);
        Observe("marketdata.storage.rows_dropped", "{row}", "Rows refused because the table's queue was full or the writer closed", c => c.Dropped);
        Observe("marketdata.storage.rows_unwritten", "{row}", "Rows accepted but never committed because the writer stopped first", c => c.Unwritten);
        Observe("marketdata.storage.rows_rejected", "{row}", "Rows the database can never take (invalid or refused values)", c => c.Rejected);
        Observe("marketdata.storage.rows_expired", "{row}", "Rows not written because their day is past the table's retention", c => c.Expired);
        Observe("marketdata.storage.write_failures", "{batch}", "Batch attempts that failed (connection lost, server down, a bad row)", c => c.FailedBatches);
        Observe("marketdata.storage.batches", "{batch}", "Batches committed", c => c.Batches);
        Meter.CreateObservableGauge("marketdata.storage.queue_depth", () => Read(c => c.QueueDepth), "{row}", "Rows waiting in the table's queue");
    }

    /// <summary>Reports <paramref name="counters"/> until the handle is disposed (a writer, from construction to disposal).</summary>
    public static IDisposable Register(TimeSeriesCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var registration = new Registration(counters);
        lock (Gate) Writers.Add(registration);
        return registration;
    }

    internal static KeyValuePair<string, object?> TableTag(string table) => new("table", table);

    private static void Observe(string name, string unit, string description, Func<TimeSeriesTableCounters, long> read)
        => Meter.CreateObservableCounter(name, () => Read(read), unit, description);

    private static List<Measurement<long>> Read(Func<TimeSeriesTableCounters, long> read)
    {
        Registration[] writers;
        lock (Gate) writers = [.. Writers];
        // Several writers in one process (tests) add up per table.
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var writer in writers)
            foreach (var table in writer.Counters.Tables)
                totals[table.Table] = totals.GetValueOrDefault(table.Table) + read(table);
        return totals.Select(t => new Measurement<long>(t.Value, TableTag(t.Key))).ToList();
    }

    private sealed class Registration(TimeSeriesCounters counters) : IDisposable
    {
        public TimeSeriesCounters Counters { get; } = counters;

        public void Dispose()
        {
            lock (Gate) Writers.Remove(this);
        }
    }
}
