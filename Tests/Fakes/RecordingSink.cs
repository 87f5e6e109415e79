using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Tests.Fakes;

/// <summary>
/// An in-memory <see cref="IMarketEventSink"/> for tests: keeps every event per instrument in publication
/// order and optionally calls <see cref="OnPublished"/> synchronously (on the publisher's thread, so it
/// sees events in exactly the order the feed published them).
/// </summary>
public sealed class RecordingSink : IMarketEventSink
{
    private readonly Dictionary<Instrument, List<MarketEvent>> _events = [];

    public Action<Instrument, MarketEvent>? OnPublished { get; set; }

    public bool Publish(Instrument instrument, MarketEvent marketEvent)
    {
        lock (_events)
        {
            if (!_events.TryGetValue(instrument, out var list)) _events[instrument] = list = [];
            list.Add(marketEvent);
        }
        OnPublished?.Invoke(instrument, marketEvent);
        return true;
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>A copy of the events published for <paramref name="instrument"/> so far.</summary>
    public IReadOnlyList<MarketEvent> EventsOf(Instrument instrument)
    {
        lock (_events) return _events.TryGetValue(instrument, out var list) ? list.ToArray() : [];
    }

    public IReadOnlyList<T> EventsOf<T>(Instrument instrument) where T : MarketEvent => EventsOf(instrument).OfType<T>().ToArray();

    public int Count { get { lock (_events) return _events.Values.Sum(l => l.Count); } }
}
