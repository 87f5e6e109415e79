namespace MarketData.Feeds;

/// <summary>
/// An ingestion grain: owns exchange connections (or a replay) and publishes normalised events to the
/// per-instrument streams. Keyed by feed id (for example <c>binance</c> or <c>replay</c>).
/// </summary>
[Alias("MarketData.IFeedGrain")]
public interface IFeedGrain : IGrainWithStringKey
{
    /// <summary>Starts ingestion if it is not running and registers the reminder that keeps it running.</summary>
    [Alias("EnsureStarted")]
    Task EnsureStartedAsync();

    [Alias("GetStatus")]
    Task<FeedStatus> GetStatusAsync();

    /// <summary>A book lost sync and asks for a fresh REST snapshot. Requests are de-duplicated and staggered.</summary>
    [Alias("RequestSnapshot")]
    Task RequestSnapshotAsync(string symbol, string reason);
}

/// <summary>The live Binance spot feed; key is the feed id from configuration (default <c>binance</c>).</summary>
[Alias("MarketData.IBinanceFeedGrain")]
public interface IBinanceFeedGrain : IFeedGrain;

/// <summary>Plays recordings through the same parser and streams; key is the feed id (default <c>replay</c>).</summary>
[Alias("MarketData.IReplayFeedGrain")]
public interface IReplayFeedGrain : IFeedGrain;
