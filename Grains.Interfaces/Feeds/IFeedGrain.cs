using Orleans.Concurrency;

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

    /// <summary>
    /// A synced book's verified range is running out, or is due for an audit: fetch a fresh snapshot for it to merge
    /// without leaving <c>synced</c>. Lower priority than <see cref="RequestSnapshotAsync"/>, within a share of the REST
    /// budget, tried once (the book asks again later). A replay cannot fetch and only counts the request.
    /// </summary>
    [Alias("RequestCoverageRefresh")]
    Task RequestCoverageRefreshAsync(string symbol, string reason);

    /// <summary>
    /// Closed candles with open times in [<paramref name="fromOpenTime"/>, <paramref name="toOpenTime"/>] from REST,
    /// within the feed's shared weight budget, from Binance or (while Binance fails) MEXC. Interleaves: a long
    /// fetch does not hold up snapshot requests.
    /// </summary>
    [Alias("FetchKlines"), AlwaysInterleave]
    Task<KlineFetch> FetchKlinesAsync(string symbol, Candles.Timeframe timeframe, long fromOpenTime, long toOpenTime);

    /// <summary>
    /// The live price with fallbacks, in order: <paramref name="bookMid"/> (the caller's synced book), the last
    /// trade, the 24 h ticker (both only while fresh), Binance's REST ticker, MEXC's REST ticker.
    /// </summary>
    [Alias("GetLivePrice"), AlwaysInterleave]
    Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid);
}

/// <summary>A live price (fixed-point 10^8), where it came from, and why earlier sources were passed over.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.LivePriceQuote")]
public sealed record LivePriceQuote
{
    [Id(0)] public long? Price { get; init; }
    /// <summary><c>bookMid</c>, <c>lastTrade</c>, <c>ticker</c>, <c>binanceRestTicker</c> or <c>mexcRestTicker</c>; null when none answered.</summary>
    [Id(1)] public string? Source { get; init; }
    [Id(2)] public IReadOnlyList<string> Skipped { get; init; } = [];
}

/// <summary>The answer to <see cref="IFeedGrain.FetchKlinesAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.KlineFetch")]
public sealed record KlineFetch
{
    /// <summary>Closed candles, oldest first, no duplicates.</summary>
    [Id(0)] public required Candles.Candle[] Candles { get; init; }
    /// <summary>False when the range could not be fetched whole (see <see cref="Warnings"/>); fetch again from <see cref="NextOpenTime"/>.</summary>
    [Id(1)] public bool Complete { get; init; }
    [Id(2)] public long NextOpenTime { get; init; }
    /// <summary><c>binance</c> or <c>mexc</c>: where the REST data comes from now.</summary>
    [Id(3)] public string? Source { get; init; }
    [Id(4)] public string? SourceReason { get; init; }
    [Id(5)] public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>The live Binance spot feed; key is the feed id from configuration (default <c>binance</c>).</summary>
[Alias("MarketData.IBinanceFeedGrain")]
public interface IBinanceFeedGrain : IFeedGrain;

/// <summary>Plays recordings through the same parser and streams; key is the feed id (default <c>replay</c>).</summary>
[Alias("MarketData.IReplayFeedGrain")]
public interface IReplayFeedGrain : IFeedGrain;
