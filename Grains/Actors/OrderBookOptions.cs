namespace MarketData.Actors;

/// <summary>Book behaviour, bound from configuration section <c>Books</c>.</summary>
public sealed class OrderBookOptions
{
    public const string Section = "Books";

    /// <summary>A synced book that hears nothing (no diff, no heartbeat) for this long reports <c>stale</c>.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A book still waiting for a snapshot asks again after this long (the request or its answer may be lost).</summary>
    public TimeSpan SnapshotRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the book checks staleness and outstanding snapshot requests.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Diffs buffered while waiting for a snapshot (at 10 a second, 400 s worth).</summary>
    public int MaxBufferedDiffs { get; set; } = 4096;
}
