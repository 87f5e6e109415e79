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

    /// <summary>
    /// A live synced book asks for a coverage refresh when fewer verified levels than this remain between a touch and
    /// the verified bound (0 turns this test off). docs/order-book-coverage.md.
    /// </summary>
    public int RefreshWithinLevels { get; set; } = 200;

    /// <summary>... or when a touch is closer to the verified bound than this share of its price (0.001 = 0.1 %; 0 turns it off).</summary>
    public double RefreshWithinShare { get; set; } = 0.001;

    /// <summary>
    /// ... and after this long without a snapshot, to catch deep levels no diff touched (each book picks its own period
    /// between 75 % and 100 % of this, so books spread out). Zero turns the periodic refresh off.
    /// </summary>
    public TimeSpan RefreshPeriod { get; set; } = TimeSpan.FromMinutes(45);

    /// <summary>At most one refresh per book in this time.</summary>
    public TimeSpan RefreshMinInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A refresh whose snapshot has not been merged after this long is given up (counted failed); the book stays synced.</summary>
    public TimeSpan RefreshTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Every problem with these settings, one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(RefreshRule().Validate());
        if (StaleAfter <= TimeSpan.Zero) errors.Add($"StaleAfter {StaleAfter} must be positive.");
        if (SnapshotRetryAfter <= TimeSpan.Zero) errors.Add($"SnapshotRetryAfter {SnapshotRetryAfter} must be positive.");
        if (CheckInterval <= TimeSpan.Zero) errors.Add($"CheckInterval {CheckInterval} must be positive.");
        if (MaxBufferedDiffs < 1) errors.Add($"MaxBufferedDiffs {MaxBufferedDiffs} must be at least 1.");
        if (RefreshTimeout <= CheckInterval) errors.Add($"RefreshTimeout {RefreshTimeout} must be longer than CheckInterval {CheckInterval}.");
        return errors;
    }

    /// <summary>The refresh trigger as the pure domain rule takes it.</summary>
    public Domain.Books.CoverageRefreshRule RefreshRule() => new()
    {
        WithinLevels = RefreshWithinLevels,
        WithinShare = RefreshWithinShare,
        Period = RefreshPeriod,
        MinInterval = RefreshMinInterval,
    };
}
