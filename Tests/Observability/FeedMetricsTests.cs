using System.Diagnostics.Metrics;
using MarketData.Actors;
using MarketData.Books;
using MarketData.Feeds;

namespace MarketData.Tests.Observability;

/// <summary>The feed and book instruments through a <see cref="MeterListener"/>, without a silo.</summary>
public sealed class FeedMetricsTests
{
    /// <summary>Collects the measurements of one meter tagged with <paramref name="feedId"/> (other tests' feeds run in this process too).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();
        private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _seen = [];

        public Recorder(string meter, string? feedId = null)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter) l.EnableMeasurementEvents(instrument);
            };
            void Keep<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? _) where T : struct
            {
                var copy = new Dictionary<string, object?>();
                foreach (var tag in tags) copy[tag.Key] = tag.Value;
                if (feedId is not null && !Equals(copy.GetValueOrDefault("feed"), feedId)) return;
                lock (_gate) _seen.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copy));
            }
            _listener.SetMeasurementEventCallback<long>(Keep);
            _listener.SetMeasurementEventCallback<double>(Keep);
            _listener.Start();
        }

        public List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Observe()
        {
            lock (_gate) _seen.Clear();
            _listener.RecordObservableInstruments();
            lock (_gate) return [.. _seen];
        }

        public List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Seen()
        {
            lock (_gate) return [.. _seen];
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void Running_feeds_are_observed_with_engine_and_sink_counters_summed_until_they_stop()
    {
        const string feedId = "metrics-unit-feed";
        using var recorder = new Recorder(FeedMetrics.MeterName, feedId);
        var engine = new FeedCounters(TimeProvider.System);
        var sink = new FeedCounters(TimeProvider.System);
        engine.Reconnected();
        engine.MessageDropped(2);
        engine.EventPublished(); // queued into the sink: not what reached the streams
        sink.MessageDropped(3);
        for (var i = 0; i < 5; i++) sink.EventPublished();

        var engineHandle = FeedMetrics.Register(feedId, engine, () => new FeedGauges(120, 6000, 2));
        var sinkHandle = FeedMetrics.RegisterSink(feedId, sink);
        var seen = recorder.Observe();
        double Value(string name) => Assert.Single(seen, m => m.Instrument == name).Value;
        Assert.Equal(1, Value("marketdata.feed.reconnects"));
        Assert.Equal(5, Value("marketdata.feed.dropped"));
        Assert.Equal(5, Value("marketdata.feed.events_published"));
        Assert.Equal(120, Value("marketdata.feed.rest_weight_used"));
        Assert.Equal(6000, Value("marketdata.feed.rest_weight_limit"));
        Assert.Equal(2, Value("marketdata.feed.connections"));
        Assert.Equal(0, Value("marketdata.feed.rejected"));
        Assert.Contains(feedId, FeedMetrics.RegisteredFeeds());

        engineHandle.Dispose();
        sinkHandle.Dispose();
        Assert.Empty(recorder.Observe());
        Assert.DoesNotContain(feedId, FeedMetrics.RegisteredFeeds());
    }

    [Fact]
    public void Receive_path_instruments_record_kind_and_lag_without_allocating()
    {
        const string feedId = "metrics-unit-alloc";
        using var recorder = new Recorder(FeedMetrics.MeterName, feedId);
        var meter = new FeedMeter(feedId);
        Assert.True(FeedMeter.LagEnabled);
        meter.MessageReceived(FeedMessageKind.Depth);
        meter.RecordLag(3.5);
        meter.RecordLag(-2); // clock skew
        var seen = recorder.Seen();
        Assert.Contains(seen, m => m.Instrument == "marketdata.feed.messages" && (string?)m.Tags["kind"] == "depth" && m.Value == 1);
        Assert.Contains(seen, m => m.Instrument == FeedMetrics.LagInstrument && m.Value == 3.5);
        Assert.Contains(seen, m => m.Instrument == FeedMetrics.LagInstrument && m.Value == 0);

        // The recorder's callback copies tags; measure the instruments alone with a listener that does nothing.
        recorder.Dispose();
        using var quiet = new MeterListener();
        quiet.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name is FeedMetrics.MeterName or BookMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        quiet.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        quiet.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        quiet.Start();
        KeyValuePair<string, object?> exchange = new("exchange", "binance"), symbol = new("symbol", "BTCUSDT");
        for (var i = 0; i < 100; i++) Record(meter, exchange, symbol);
        // A meter provider of a parallel test's in-process silo that starts mid-loop allocates on its first measurement,
        // once; an instrument that allocates per call fails every attempt.
        var allocated = -1L;
        for (var attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++) Record(meter, exchange, symbol);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
    }

    private static void Record(FeedMeter meter, KeyValuePair<string, object?> exchange, KeyValuePair<string, object?> symbol)
    {
        meter.MessageReceived(FeedMessageKind.Trade);
        meter.RecordLag(1.25);
        BookMetrics.UpdateLag.Record(2.5, exchange);
        BookMetrics.Updates.Add(3, exchange, symbol);
    }

    [Fact]
    public void Book_status_registry_moves_books_between_statuses_for_the_gauge()
    {
        using var registry = new BookStatusRegistry();
        registry.Added(BookStatus.Syncing);
        registry.Added(BookStatus.Syncing);
        registry.Changed(BookStatus.Syncing, BookStatus.Synced);
        registry.Changed(BookStatus.Synced, BookStatus.Synced);
        Assert.Equal(1, registry.Count(BookStatus.Syncing));
        Assert.Equal(1, registry.Count(BookStatus.Synced));
        registry.Changed(BookStatus.Synced, BookStatus.Stale);
        registry.Removed(BookStatus.Syncing);
        Assert.Equal(0, registry.Count(BookStatus.Syncing));
        Assert.Equal(1, registry.Count(BookStatus.Stale));
        Assert.Equal(1, registry.Total);

        using var recorder = new Recorder(BookMetrics.MeterName);
        var gauge = recorder.Observe().Where(m => m.Instrument == "marketdata.books").ToList();
        Assert.Equal(["syncing", "synced", "resyncing", "stale"], gauge.Select(m => (string)m.Tags["status"]!));
        Assert.True(gauge.Single(m => (string?)m.Tags["status"] == "stale").Value >= 1);
    }
}
