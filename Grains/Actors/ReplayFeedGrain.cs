using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MarketData.Actors;

/// <summary>Plays recordings (<c>--replay FILE...</c>) through the same parser, streams and books as the live feed.</summary>
public sealed class ReplayFeedGrain(
    IOptions<ReplayOptions> options,
    IClusterClient client,
    TimeProvider time,
    ILogger<ReplayFeedGrain> logger) : FeedGrainBase(client, time, logger), IReplayFeedGrain
{
    protected override FeedKind Kind => FeedKind.Replay;
    protected override bool UsesReminder => false;

    protected override IMarketFeed CreateFeed(IMarketEventSink sink) => new ReplayFeed(options.Value, sink, Time, Logger);
}
