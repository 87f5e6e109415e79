using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MarketData.Storage.TimeSeries;
using MarketData.Tests.Postgres;
using MarketData.Tests.Storage.TimeSeries;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using static MarketData.Tests.Storage.TimeSeries.TimeSeriesTestSupport;

namespace MarketData.Tests.Observability;

/// <summary>The <c>MarketData.Storage</c> instruments over a real writer and a throwaway PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StorageMetricsTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2030, 1, 10, 12, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task Rows_written_queue_depth_and_batch_duration_are_reported_per_table()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_metrics");
        var measurements = new ConcurrentBag<(string Instrument, string? Table, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        void Keep<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? _) where T : struct
        {
            string? table = null;
            foreach (var tag in tags) if (tag.Key == "table") table = tag.Value as string;
            measurements.Add((instrument.Name, table, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)));
        }
        listener.SetMeasurementEventCallback<long>(Keep);
        listener.SetMeasurementEventCallback<int>(Keep);
        listener.SetMeasurementEventCallback<double>(Keep);
        listener.Start();

        double WrittenTrades() => measurements.Where(m => m.Instrument == "marketdata.storage.rows_written" && m.Table == "trades").Sum(m => m.Value);
        listener.RecordObservableInstruments();
        var baseline = WrittenTrades();

        var writer = new TimeSeriesWriter(db, new TimeSeriesOptions { BatchSize = 100 }, new FakeTimeProvider(Now), new OutputLogger<TimeSeriesWriter>(output));
        await using (writer)
        {
            var table = writer.Counters.Trades.Table;
            Assert.Equal("trades", table);
            measurements.Clear();
            // Queued before the writer starts: the queue depth shows them.
            for (var id = 1; id <= 250; id++) Assert.True(writer.TryAdd(Trade(id, Ms(Now) - 60_000 + id)));
            listener.RecordObservableInstruments();
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.queue_depth" && m.Table == table && m.Value >= 250);

            await writer.StartAsync(CancellationToken.None);
            await writer.FlushAsync().WaitAsync(Patience);
            // Recorded as each batch commits.
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.batch_duration" && m.Table == table && m.Value >= 0);
            measurements.Clear();
            listener.RecordObservableInstruments();
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.rows_written" && m.Table == table && m.Value >= 250);
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.batches" && m.Table == table && m.Value >= 3);
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.rows_dropped" && m.Table == table);
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.write_failures" && m.Table == table);
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.rows_unwritten" && m.Table == table);
            Assert.Contains(measurements, m => m.Instrument == "marketdata.storage.queue_depth" && m.Table == table);
        }

        // A writer that stopped cleanly leaves the metrics: what is reported is what other writers of this process (earlier
        // tests that lost rows keep reporting theirs) reported before ours existed.
        measurements.Clear();
        listener.RecordObservableInstruments();
        Assert.Equal(baseline, WrittenTrades());
    }
}
