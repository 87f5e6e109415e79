namespace MarketData.Feeds;

/// <summary>A feed as the registry knows it: its id, kind and the symbols it follows.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeedRegistration")]
public sealed record FeedRegistration(
    [property: Id(0)] string FeedId,
    [property: Id(1)] Streams.FeedKind Kind,
    [property: Id(2)] string Exchange,
    [property: Id(3)] IReadOnlyList<string> Symbols);

/// <summary>
/// The cluster-wide list of feeds (key 0). Feed grains register when they start; the HTTP API and the
/// client use it to list feeds and to tell an unknown symbol (404) from a followed one that is still syncing.
/// </summary>
[Alias("MarketData.IFeedRegistryGrain")]
public interface IFeedRegistryGrain : IGrainWithIntegerKey
{
    [Alias("Register")]
    Task RegisterAsync(FeedRegistration registration);

    [Alias("GetFeeds")]
    Task<IReadOnlyList<FeedRegistration>> GetFeedsAsync();

    /// <summary>Status of every registered feed (one call to each feed grain).</summary>
    [Alias("GetStatuses")]
    Task<IReadOnlyList<FeedStatus>> GetStatusesAsync();

    /// <summary>The feed to ask about an instrument (REST candles, live price): a live feed before a replay; null when none follows it.</summary>
    [Alias("FindFeed")]
    Task<FeedRegistration?> FindFeedAsync(string exchange, string symbol);

    /// <summary>True when some registered feed follows the instrument.</summary>
    [Alias("IsFollowed")]
    Task<bool> IsFollowedAsync(string exchange, string symbol);
}
