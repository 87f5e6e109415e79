namespace MarketData.Streams;

/// <summary>Which ingestion grain published a batch, so a consumer knows whom to ask for a snapshot.</summary>
[GenerateSerializer, Alias("MarketData.FeedKind")]
public enum FeedKind
{
    BinanceSpot = 0,
    Replay = 1,
}

/// <summary>
/// The unit published on a stream: the events of one frame (or of several frames read together) for one
/// instrument and one event kind. A stream event is a grain call, so batching is what makes high rates
/// affordable. <see cref="Sequence"/> counts batches per (feed incarnation, instrument, stream); Orleans
/// streams deliver at least once, so consumers drop repeats and treat a jump as lost data.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.MarketEventBatch")]
public sealed record MarketEventBatch
{
    [Id(0)] public required string FeedId { get; init; }
    [Id(1)] public required FeedKind FeedKind { get; init; }
    /// <summary>Changes whenever the feed restarts; sequences restart with it.</summary>
    [Id(2)] public required long FeedIncarnation { get; init; }
    [Id(3)] public required long Sequence { get; init; }
    [Id(4)] public required MarketEvent[] Events { get; init; }
    /// <summary>Local time the batch was published (UTC), for end-to-end latency measurement.</summary>
    [Id(5)] public DateTime PublishedAt { get; init; }
}

/// <summary>Names shared by publishers, consumers, silo and client.</summary>
public static class MarketStreams
{
    /// <summary>The stream provider name.</summary>
    public const string Provider = "market";
    public const string Depth = "depth";
    public const string Trades = "trades";
    public const string BookTicker = "bookticker";
    public const string Ticker = "ticker";
    public const string Klines = "klines";
    /// <summary>
    /// The provider of periodic <see cref="Inputs.BaseDataInput"/> snapshots. Apart from <see cref="Provider"/> because
    /// its consumers subscribe explicitly (clients collecting training data), which needs a pub-sub store.
    /// </summary>
    public const string SnapshotProvider = "snapshots";
    /// <summary>Namespace of the snapshot streams on <see cref="SnapshotProvider"/>, keyed by instrument.</summary>
    public const string BaseInput = "base-input";

    /// <summary>The stream namespace for an event, or null for feed events (interruptions, heartbeats), which go to the depth stream: books are what they vouch for.</summary>
    public static string? NamespaceOf(MarketEvent e) => e switch
    {
        DepthDiff or DepthSnapshot => Depth,
        TradeEvent => Trades,
        BookTickerEvent => BookTicker,
        TickerEvent => Ticker,
        KlineEvent => Klines,
        _ => null,
    };
}
