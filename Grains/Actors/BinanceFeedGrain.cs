using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MarketData.Actors;

/// <summary>The live Binance spot feed. Its key is the configured feed id (<c>Feeds:Binance:FeedId</c>).</summary>
public sealed class BinanceFeedGrain(
    IOptions<BinanceFeedOptions> options,
    IServiceProvider services,
    IClusterClient client,
    TimeProvider time,
    ILogger<BinanceFeedGrain> logger) : FeedGrainBase(client, time, logger), IBinanceFeedGrain
{
    protected override FeedKind Kind => FeedKind.BinanceSpot;
    protected override bool UsesReminder => true;

    protected override IMarketFeed CreateFeed(IMarketEventSink sink)
        => new BinanceSpotFeed(options.Value, sink, Time, Logger, services.GetService<IFrameRecorder>());
}
