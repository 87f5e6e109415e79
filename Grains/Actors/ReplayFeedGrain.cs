using MarketData.Feeds;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MarketData.Actors;

/// <summary>Plays recordings (<c>--replay FILE...</c>) through the same parser, streams and books as the live feed.</summary>
public sealed class ReplayFeedGrain(
    IOptions<ReplayOptions> options,
    IClusterClient client,
    TimeProvider time,
    ILogger<ReplayFeedGrain> logger,
    IServiceProvider services) : FeedGrainBase(client, time, logger), IReplayFeedGrain
{
    protected override FeedKind Kind => FeedKind.Replay;
    protected override bool UsesReminder => false;

    /// <summary>Files (<c>--replay</c>), or stored trades and book states (<c>--replay-db</c>), which need the database.</summary>
    protected override IMarketFeed CreateFeed(IMarketEventSink sink)
    {
        if (!options.Value.FromDatabase) return new ReplayFeed(options.Value, sink, Time, Logger);
        var stored = services.GetService<IStoredMarketData>()
            ?? throw new InvalidOperationException("A replay from the database (--replay-db) needs ConnectionStrings:Postgres.");
        return new StoredReplayFeed(options.Value, stored, sink, Time, Logger);
    }
}
