using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Tests.Fakes;

/// <summary>
/// An in-memory <see cref="IMarketEventSink"/>: keeps every event in publish order, with the (fake) time it was
/// published, so tests can check what a feed produced and when.
/// </summary>
public sealed class ListSink : IMarketEventSink
{
    private readonly List<Published> _events = [];
    private readonly TimeProvider _time;
    private int _flushes;

    public ListSink(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>When false, <see cref="Publish"/> refuses events (a full sink).</summary>
    public bool Accepting { get; set; } = true;

    public int Flushes => Volatile.Read(ref _flushes);

    public int Count { get { lock (_events) return _events.Count; } }

    public IReadOnlyList<Published> Events { get { lock (_events) return _events.ToArray(); } }

    public bool Publish(Instrument instrument, MarketEvent marketEvent)
    {
        if (!Accepting) return false;
        lock (_events) _events.Add(new Published(instrument, marketEvent, _time.GetUtcNow()));
        return true;
    }

    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _flushes);
        return Task.CompletedTask;
    }

    public readonly record struct Published(Instrument Instrument, MarketEvent Event, DateTimeOffset PublishedAt);
}
