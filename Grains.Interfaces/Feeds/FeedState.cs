namespace MarketData.Feeds;

[GenerateSerializer, Alias("MarketData.FeedState")]
public enum FeedState
{
    Stopped = 0,
    Connecting = 1,
    Connected = 2,
    /// <summary>Connection lost; waiting out the backoff before the next attempt.</summary>
    Reconnecting = 3,
    /// <summary>REST refused us (429/418) or the exchange is unreachable; streams may still flow.</summary>
    Degraded = 4,
    /// <summary>A replay that has played every line of its files.</summary>
    Completed = 5,
    /// <summary>A replay that could not go on (unreadable file).</summary>
    Failed = 6,
}
