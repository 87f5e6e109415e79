using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Feeds;

/// <summary>
/// Where a feed hands its normalised events. The Orleans implementation batches per instrument and
/// stream namespace and publishes to the market streams; tests use an in-memory one. Events of one
/// instrument must be published in the order they were received.
/// </summary>
public interface IMarketEventSink
{
    /// <summary>Queues one event for publication. Returns false (and counts a drop) only if the sink is full or closed.</summary>
    bool Publish(Instrument instrument, MarketEvent marketEvent);

    /// <summary>Completes once everything queued so far has been handed to the streams.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
