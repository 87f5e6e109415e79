using System.Diagnostics.Metrics;

namespace MarketData.Feeds;

/// <summary>What a received message was, for the <c>kind</c> tag of <c>marketdata.feed.messages</c>.</summary>
public enum FeedMessageKind
{
    Depth,
    Trade,
    AggTrade,
    BookTicker,
    Ticker,
    Kline,
    /// <summary>Replies, REST bodies, malformed or unknown frames.</summary>
    Other,
}

/// <summary>Gauges of a live feed, read when metrics are collected.</summary>
public readonly record struct FeedGauges(long RestWeightUsed, long RestWeightLimit, int OpenConnections);

/// <summary>
/// Instruments of the feeds, on the <c>MarketData.Feeds</c> meter (exported through OpenTelemetry by the silo).
/// The receive path records messages and lag through a per-feed <see cref="FeedMeter"/> (tags built once, no allocation
/// per message); everything else is read from the <see cref="FeedCounters"/> of the running feeds when metrics are
/// collected, so the receive path pays nothing for it. A feed registers while it runs (<see cref="Register"/>).
/// </summary>
public static class FeedMetrics
{
    public const string MeterName = "MarketData.Feeds";
    public const string LagInstrument = "marketdata.feed.lag";

    /// <summary>
    /// Bucket bounds (ms) of the lag histograms (feed lag, book update lag): fine enough to read percentiles from
    /// 0.1 ms to 10 s off a Prometheus scrape.
    /// </summary>
    public static IReadOnlyList<double> LagBucketsMilliseconds { get; } =
        [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000];

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Gate = new();
    private static readonly List<Registration> Registrations = [];

    internal static readonly Counter<long> Messages = Meter.CreateCounter<long>(
        "marketdata.feed.messages", "{message}", "Frames received from the exchange (or played from a recording), by kind");

    internal static readonly Histogram<double> Lag = Meter.CreateHistogram<double>(
        LagInstrument, "ms", "Local receive time minus the exchange event time E, for live frames that carry E");

    static FeedMetrics()
    {
        Observe("marketdata.feed.reconnects", "{reconnect}", "Connections re-established after a loss", c => c.Reconnects);
        Observe("marketdata.feed.resyncs", "{request}", "Snapshot requests from books that lost sync", c => c.Resyncs);
        Observe("marketdata.feed.snapshots", "{snapshot}", "REST depth snapshots fetched (or played from a recording)", c => c.SnapshotsFetched);
        Observe("marketdata.feed.rejected", "{message}", "Messages refused as malformed or oversized", c => c.Rejected);
        Observe("marketdata.feed.dropped", "{message}", "Messages lost: sink full or closed, publish failures", c => c.Dropped);
        Observe("marketdata.feed.duplicates", "{message}", "Messages discarded because their content was already forwarded (connection overlap)", c => c.DuplicatesDropped);
        Observe("marketdata.feed.unknown", "{message}", "Well-formed messages of an unknown kind or symbol", c => c.UnknownEvents);
        Observe("marketdata.feed.rate_limited", "{response}", "REST answers 429/418 from the exchange", c => c.RateLimitHits);
        Observe("marketdata.feed.handovers", "{handover}", "Planned connection replacements completed", c => c.Handovers);
        Observe("marketdata.feed.silent_replacements", "{replacement}", "Open connections replaced because they delivered no frame for their silence limit", c => c.SilentReplacements);
        Observe("marketdata.feed.coverage_refreshes_requested", "{request}", "Coverage refreshes books asked for (snapshots while synced)", c => c.CoverageRefreshesRequested);
        Observe("marketdata.feed.coverage_refreshes_fetched", "{snapshot}", "Coverage refresh snapshots fetched and published", c => c.CoverageRefreshesFetched);
        Observe("marketdata.feed.coverage_refreshes_failed", "{request}", "Coverage refresh fetches that failed, were refused or timed out", c => c.CoverageRefreshesFailed);
        Meter.CreateObservableCounter("marketdata.feed.events_published", () => Sum(c => c.EventsPublished, sinksOnly: true), "{event}", "Events handed to the market streams");
        Meter.CreateObservableGauge("marketdata.feed.rest_weight_used", () => Gauge(g => g.RestWeightUsed), "{weight}", "REST weight used in the current minute");
        Meter.CreateObservableGauge("marketdata.feed.rest_weight_limit", () => Gauge(g => g.RestWeightLimit), "{weight}", "REST weight allowed per minute");
        Meter.CreateObservableGauge("marketdata.feed.connections", () => Gauge(g => g.OpenConnections), "{connection}", "Open exchange connections (two per shard during a handover)");
    }

    /// <summary>
    /// Counts <paramref name="counters"/> under <c>feed=<paramref name="feedId"/></c> until the returned handle is disposed.
    /// Several registrations of one feed id (the engine's counters and its sink's) are summed.
    /// </summary>
    public static IDisposable Register(string feedId, FeedCounters counters, Func<FeedGauges>? gauges = null)
        => Add(new Registration(feedId, counters, gauges, isSink: false));

    /// <summary>
    /// Counts the counters of a feed's stream sink (what reached the streams, what failed to) under the feed's id until
    /// the handle is disposed. <c>marketdata.feed.events_published</c> comes from sinks only: the engine's own count is
    /// of events queued into the sink.
    /// </summary>
    public static IDisposable RegisterSink(string feedId, FeedCounters counters) => Add(new Registration(feedId, counters, null, isSink: true));

    private static Registration Add(Registration registration)
    {
        ArgumentException.ThrowIfNullOrEmpty(registration.FeedId);
        ArgumentNullException.ThrowIfNull(registration.Counters);
        lock (Gate) Registrations.Add(registration);
        return registration;
    }

    /// <summary>Feed ids registered now (for tests and diagnostics).</summary>
    public static IReadOnlyList<string> RegisteredFeeds()
    {
        lock (Gate) return Registrations.Select(r => r.FeedId).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The <c>kind</c> tag value of a message kind.</summary>
    public static string TagOf(FeedMessageKind kind) => kind switch
    {
        FeedMessageKind.Depth => "depth",
        FeedMessageKind.Trade => "trade",
        FeedMessageKind.AggTrade => "aggTrade",
        FeedMessageKind.BookTicker => "bookTicker",
        FeedMessageKind.Ticker => "ticker",
        FeedMessageKind.Kline => "kline",
        _ => "other",
    };

    private static void Observe(string name, string unit, string description, Func<FeedCounters, long> read)
        => Meter.CreateObservableCounter(name, () => Sum(read), unit, description);

    private static Registration[] Snapshot()
    {
        lock (Gate) return [.. Registrations];
    }

    private static List<Measurement<long>> Sum(Func<FeedCounters, long> read, bool sinksOnly = false)
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in Snapshot())
            if (r.IsSink || !sinksOnly) totals[r.FeedId] = totals.GetValueOrDefault(r.FeedId) + read(r.Counters);
        return totals.Select(t => new Measurement<long>(t.Value, new KeyValuePair<string, object?>("feed", t.Key))).ToList();
    }

    private static List<Measurement<long>> Gauge(Func<FeedGauges, long> read)
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in Snapshot())
        {
            if (r.Gauges is not { } gauges) continue;
            totals[r.FeedId] = totals.GetValueOrDefault(r.FeedId) + read(gauges());
        }
        return totals.Select(t => new Measurement<long>(t.Value, new KeyValuePair<string, object?>("feed", t.Key))).ToList();
    }

    /// <summary>A class, not a record: removal must find this very registration, not an equal one.</summary>
    private sealed class Registration(string feedId, FeedCounters counters, Func<FeedGauges>? gauges, bool isSink) : IDisposable
    {
        public string FeedId { get; } = feedId;
        public FeedCounters Counters { get; } = counters;
        public Func<FeedGauges>? Gauges { get; } = gauges;
        public bool IsSink { get; } = isSink;

        public void Dispose()
        {
            lock (Gate) Registrations.Remove(this);
        }
    }
}

/// <summary>
/// The receive-path instruments of one feed, with its tags built once: recording a message or a lag allocates nothing.
/// Thread-safe (the instruments are).
/// </summary>
public sealed class FeedMeter
{
    private readonly KeyValuePair<string, object?> _feed;
    private readonly KeyValuePair<string, object?>[] _kinds;

    public FeedMeter(string feedId)
    {
        _feed = new("feed", feedId);
        _kinds = Enum.GetValues<FeedMessageKind>().Select(k => new KeyValuePair<string, object?>("kind", FeedMetrics.TagOf(k))).ToArray();
    }

    /// <summary>True when someone listens to the lag histogram: lets the caller skip computing it.</summary>
    public static bool LagEnabled => FeedMetrics.Lag.Enabled;

    public void MessageReceived(FeedMessageKind kind) => FeedMetrics.Messages.Add(1, _feed, _kinds[(int)kind]);

    /// <summary>Local receive time minus exchange event time, in milliseconds (negative clock skew counts as 0).</summary>
    public void RecordLag(double milliseconds) => FeedMetrics.Lag.Record(Math.Max(0, milliseconds), _feed);
}
