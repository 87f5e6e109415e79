namespace MarketData.Domain.Books;

/// <summary>What the owner of a <see cref="OrderBookSynchronizer"/> must do after feeding it an event.</summary>
/// <param name="RequestSnapshot">True: fetch a fresh REST snapshot and hand it to <see cref="OrderBookSynchronizer.OnSnapshot"/>.</param>
/// <param name="Reason">Why, in words fit for a log line or status page.</param>
public readonly record struct SyncAction(bool RequestSnapshot, string? Reason)
{
    /// <summary>Nothing to do.</summary>
    public static SyncAction None { get; } = default;

    public static SyncAction Snapshot(string reason) => new(true, reason);
}
