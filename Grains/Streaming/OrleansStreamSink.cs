using System.Threading.Channels;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace MarketData.Streaming;

/// <summary>
/// Publishes a feed's events to the market streams. Receive loops hand events over without waiting
/// (<see cref="Publish"/> never blocks); one background loop drains whatever has queued, groups it by
/// instrument and namespace in arrival order, and publishes one <see cref="MarketEventBatch"/> per group,
/// all groups concurrently. Under light load a batch is one frame; under heavy load batches grow, which
/// is what keeps the number of stream events (grain calls) affordable.
/// </summary>
public sealed class OrleansStreamSink : IMarketEventSink, IAsyncDisposable
{
    /// <summary>Largest batch published as one stream event.</summary>
    public const int MaxBatchSize = 512;

    private readonly Channel<(Instrument Instrument, MarketEvent Event)> _queue;
    private readonly IStreamProvider _streams;
    private readonly string _feedId;
    private readonly FeedKind _feedKind;
    private readonly long _incarnation;
    private readonly FeedCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<(Instrument, string), StreamState> _streamStates = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(Instrument, string), byte> _lost = new();
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;
    private long _queued, _handled;

    /// <param name="hostStopping">
    /// The host's <c>ApplicationStopping</c>: from then on nothing more is published. The silo is about to deactivate
    /// the stream queues, and publishing into them would only fail (and log each failure) until this sink's grain
    /// deactivates too; the events that would have gone out are counted as dropped.
    /// </param>
    public OrleansStreamSink(IStreamProvider streams, string feedId, FeedKind feedKind, FeedCounters counters,
        TimeProvider time, ILogger logger, int capacity = 200_000, CancellationToken hostStopping = default)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);
        _streams = streams;
        _feedId = feedId;
        _feedKind = feedKind;
        _counters = counters;
        _time = time;
        _logger = logger;
        // Random, not a clock reading: two incarnations must never look alike, even under a fake clock.
        _incarnation = Random.Shared.NextInt64(1, long.MaxValue);
        _queue = Channel.CreateBounded<(Instrument, MarketEvent)>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of dropping silently
        });
        _loop = Task.Run(PublishLoopAsync, CancellationToken.None);
    }

    /// <summary>Events accepted but not yet handed to a stream.</summary>
    public long Pending => Interlocked.Read(ref _queued) - Interlocked.Read(ref _handled);

    public bool Publish(Instrument instrument, MarketEvent marketEvent)
    {
        if (_stop.IsCancellationRequested)
        {
            _counters.MessageDropped();
            return false;
        }
        if (_queue.Writer.TryWrite((instrument, marketEvent)))
        {
            Interlocked.Increment(ref _queued);
            return true;
        }
        // Counted, never silent, and visible to the consumer: the stream's next batch skips a sequence
        // number, so the book sees the loss (a dropped interruption or snapshot would leave no other trace).
        _counters.MessageDropped();
        _lost.TryAdd((instrument, MarketStreams.NamespaceOf(marketEvent) ?? MarketStreams.Depth), 0);
        return false;
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while (Pending > 0 && !_loop.IsCompleted)
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishLoopAsync()
    {
        var reader = _queue.Reader;
        var groups = new Dictionary<(Instrument, string), List<MarketEvent>>();
        var order = new List<(Instrument, string)>();
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                var taken = 0;
                while (taken < MaxBatchSize * 16 && reader.TryRead(out var item))
                {
                    taken++;
                    var key = (item.Instrument, MarketStreams.NamespaceOf(item.Event) ?? MarketStreams.Depth);
                    if (!groups.TryGetValue(key, out var list))
                    {
                        list = new List<MarketEvent>();
                        groups[key] = list;
                    }
                    if (list.Count == 0) order.Add(key);
                    list.Add(item.Event);
                }

                var tasks = new List<Task>(order.Count);
                foreach (var key in order) tasks.Add(PublishGroupAsync(key, StateOf(key), groups[key]));
                await Task.WhenAll(tasks).ConfigureAwait(false);
                foreach (var key in order) groups[key].Clear();
                order.Clear();
                Interlocked.Add(ref _handled, taken);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            DropQueued();
        }
    }

    /// <summary>Counts what is still queued as dropped: stopping, nothing more goes out.</summary>
    private void DropQueued()
    {
        var dropped = 0;
        while (_queue.Reader.TryRead(out _)) dropped++;
        if (dropped == 0) return;
        _counters.MessageDropped(dropped);
        Interlocked.Add(ref _handled, dropped);
    }

    private StreamState StateOf((Instrument Instrument, string Namespace) key)
    {
        if (!_streamStates.TryGetValue(key, out var state))
        {
            state = new StreamState(_streams.GetStream<MarketEventBatch>(StreamId.Create(key.Namespace, key.Instrument.Key)));
            _streamStates[key] = state;
        }
        if (_lost.TryRemove(key, out _)) state.Sequence++; // leave the hole the consumer must see
        return state;
    }

    private async Task PublishGroupAsync((Instrument Instrument, string Namespace) key, StreamState state, List<MarketEvent> events)
    {
        for (var offset = 0; offset < events.Count; offset += MaxBatchSize)
        {
            var count = Math.Min(MaxBatchSize, events.Count - offset);
            var batch = new MarketEventBatch
            {
                FeedId = _feedId,
                FeedKind = _feedKind,
                FeedIncarnation = _incarnation,
                Sequence = ++state.Sequence,
                Events = events.GetRange(offset, count).ToArray(),
                PublishedAt = _time.GetUtcNow().UtcDateTime,
            };
            if (!await PublishWithRetryAsync(state.Stream, batch, key).ConfigureAwait(false)) continue;
            for (var i = 0; i < count; i++) _counters.EventPublished();
        }
    }

    /// <summary>Publishes one batch, retrying while the stream refuses it; false when it was dropped (and counted).</summary>
    private async Task<bool> PublishWithRetryAsync(IAsyncStream<MarketEventBatch> stream, MarketEventBatch batch, (Instrument Instrument, string Namespace) key)
    {
        // Memory stream queues refuse events when full (16,384 waiting); wait and retry rather than lose data.
        for (var attempt = 1; !_stop.IsCancellationRequested; attempt++)
        {
            try
            {
                await stream.OnNextAsync(batch).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested && attempt < 20)
            {
                if (attempt == 1)
                    _logger.LogWarning(ex, "Publishing {Count} events to {Namespace}/{Instrument} failed; retrying", batch.Events.Length, key.Namespace, key.Instrument);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                _counters.MessageDropped(batch.Events.Length);
                _counters.Error($"stream publish to {key.Namespace}/{key.Instrument} failed: {ex.Message}");
                _logger.LogError(ex, "Dropped {Count} events for {Namespace}/{Instrument} after retries", batch.Events.Length, key.Namespace, key.Instrument);
                return false;
            }
            catch (Exception)
            {
                break; // stopping: below
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 10 * attempt * attempt)), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        // Stopping (the host shuts down or the sink is disposed): the streams are going away; counted, not logged.
        _counters.MessageDropped(batch.Events.Length);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A publish is stuck in the stream: stop. The loop counts what it still holds when it ends, and keeps the
            // token source it reads (disposing it under the loop would make its next read throw).
            await _stop.CancelAsync().ConfigureAwait(false);
            return;
        }
        // Accepted after the loop had stopped (the host began to stop): never published, so counted as dropped.
        DropQueued();
        _stop.Dispose();
    }

    private sealed class StreamState(IAsyncStream<MarketEventBatch> stream)
    {
        public IAsyncStream<MarketEventBatch> Stream { get; } = stream;
        public long Sequence;
    }
}
