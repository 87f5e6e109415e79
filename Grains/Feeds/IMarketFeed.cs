namespace MarketData.Feeds;

/// <summary>
/// An ingestion engine (live exchange connection set or a replay), plain C# with no Orleans types.
/// A feed grain owns one, starts it, forwards snapshot requests from books and reports its status.
/// </summary>
public interface IMarketFeed : IAsyncDisposable
{
    string FeedId { get; }

    /// <summary>Starts the background work and returns; never throws for exchange or data faults.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>A book lost sync: fetch (live) or look for (replay) a snapshot for <paramref name="symbol"/>. Never blocks.</summary>
    void RequestSnapshot(string symbol, string reason);

    /// <summary>A synced book asks for a coverage refresh (see <see cref="IFeedGrain.RequestCoverageRefreshAsync"/>). Never blocks.</summary>
    void RequestCoverageRefresh(string symbol, string reason);

    FeedStatus GetStatus();

    /// <summary>Closed candles from REST for [from, to] open times; an incomplete answer (never an exception) when REST cannot serve them.</summary>
    Task<KlineFetch> FetchKlinesAsync(string symbol, Candles.Timeframe timeframe, long fromOpenTime, long toOpenTime, CancellationToken cancellationToken);

    /// <summary>The live price with fallbacks (see <see cref="IFeedGrain.GetLivePriceAsync"/>); never throws for exchange faults.</summary>
    Task<LivePriceQuote> GetLivePriceAsync(string symbol, long? bookMid, CancellationToken cancellationToken);
}
