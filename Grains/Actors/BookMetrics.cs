using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MarketData.Books;

namespace MarketData.Actors;

/// <summary>
/// Instruments of the order books, on the <c>MarketData.Books</c> meter (exported through OpenTelemetry by the silo).
/// The book grain records them; the per-status gauge reads the <see cref="BookStatusRegistry"/> of each silo in the process.
/// </summary>
public static class BookMetrics
{
    public const string MeterName = "MarketData.Books";
    public const string UpdateLagInstrument = "marketdata.book.update_lag";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Time the book applied a depth diff minus the diff's exchange event time E (end-to-end latency: exchange, network,
    /// parsing, streams, grain). Live feeds only: a replay's event times are not now. Tag: <c>exchange</c>.
    /// </summary>
    public static readonly Histogram<double> UpdateLag = Meter.CreateHistogram<double>(
        UpdateLagInstrument, "ms", "Time a book applied a depth diff minus the diff's exchange event time (live feeds)");

    /// <summary>Depth diffs applied to a book. Tags: <c>exchange</c>, <c>symbol</c> (one series per book: its update rate).</summary>
    public static readonly Counter<long> Updates = Meter.CreateCounter<long>(
        "marketdata.book.updates", "{update}", "Depth diffs applied to a book");

    /// <summary>Gaps in update ids (lost diffs) found by a book. Tags: <c>exchange</c>, <c>symbol</c>.</summary>
    public static readonly Counter<long> Gaps = Meter.CreateCounter<long>(
        "marketdata.book.gaps", "{gap}", "Gaps in the depth diff sequence found by a book");

    /// <summary>Times a synced or stale book was discarded and rebuilt from a snapshot. Tags: <c>exchange</c>, <c>symbol</c>.</summary>
    public static readonly Counter<long> Resyncs = Meter.CreateCounter<long>(
        "marketdata.book.resyncs", "{resync}", "Times a book was discarded and rebuilt from a snapshot (gap, crossed book, bad level)");

    /// <summary>
    /// Coverage refreshes of books by outcome (tag <c>outcome</c>: <c>requested</c>, <c>applied</c>, <c>discarded</c>,
    /// <c>failed</c>), and levels they changed (<c>filled</c> beyond the verified range, <c>corrected</c> inside it, which
    /// should stay 0). Tags also <c>exchange</c>, <c>symbol</c>.
    /// </summary>
    public static readonly Counter<long> Refreshes = Meter.CreateCounter<long>(
        "marketdata.book.coverage_refreshes", "{refresh}", "Coverage refreshes of books (a fresh snapshot merged while synced), by outcome");

    public static readonly Counter<long> RefreshLevels = Meter.CreateCounter<long>(
        "marketdata.book.coverage_refresh_levels", "{level}", "Levels coverage refreshes changed: filled beyond the verified range, corrected inside it");

    private static readonly ConcurrentDictionary<BookStatusRegistry, byte> Registries = new();
    private static readonly BookStatus[] Statuses = Enum.GetValues<BookStatus>();
    private static readonly KeyValuePair<string, object?>[] StatusTags = Statuses.Select(s => new KeyValuePair<string, object?>("status", TagOf(s))).ToArray();

    static BookMetrics()
    {
        Meter.CreateObservableGauge("marketdata.books", ObserveStatuses, "{book}", "Active book grains in this silo, by status");
    }

    /// <summary>The <c>status</c> tag value of a book status: <c>syncing</c>, <c>synced</c>, <c>resyncing</c>, <c>stale</c>.</summary>
    public static string TagOf(BookStatus status) => status switch
    {
        BookStatus.Syncing => "syncing",
        BookStatus.Synced => "synced",
        BookStatus.Resyncing => "resyncing",
        BookStatus.Stale => "stale",
        _ => status.ToString().ToLowerInvariant(),
    };

    internal static void Track(BookStatusRegistry registry) => Registries.TryAdd(registry, 0);
    internal static void Untrack(BookStatusRegistry registry) => Registries.TryRemove(registry, out _);

    private static IEnumerable<Measurement<long>> ObserveStatuses()
    {
        var totals = new long[Statuses.Length];
        foreach (var registry in Registries.Keys)
            for (var i = 0; i < Statuses.Length; i++) totals[i] += registry.Count(Statuses[i]);
        var measurements = new Measurement<long>[Statuses.Length];
        for (var i = 0; i < Statuses.Length; i++) measurements[i] = new Measurement<long>(totals[i], StatusTags[i]);
        return measurements;
    }
}

/// <summary>
/// How many book grains of this silo are in each <see cref="BookStatus"/>: the book grains report activation, every status
/// change and deactivation. A singleton per silo (plain C#, thread-safe); read by the <c>marketdata.books</c> gauge.
/// </summary>
public sealed class BookStatusRegistry : IDisposable
{
    private readonly long[] _counts = new long[Enum.GetValues<BookStatus>().Length];

    public BookStatusRegistry() => BookMetrics.Track(this);

    public long Count(BookStatus status) => Interlocked.Read(ref _counts[(int)status]);

    public long Total => Enum.GetValues<BookStatus>().Sum(Count);

    /// <summary>A book grain activated with <paramref name="status"/>.</summary>
    public void Added(BookStatus status) => Interlocked.Increment(ref _counts[(int)status]);

    public void Changed(BookStatus from, BookStatus to)
    {
        if (from == to) return;
        Interlocked.Decrement(ref _counts[(int)from]);
        Interlocked.Increment(ref _counts[(int)to]);
    }

    /// <summary>A book grain deactivated while in <paramref name="status"/>.</summary>
    public void Removed(BookStatus status) => Interlocked.Decrement(ref _counts[(int)status]);

    public void Dispose() => BookMetrics.Untrack(this);
}
