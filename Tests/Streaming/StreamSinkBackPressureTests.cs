using System.Collections.Concurrent;
using System.Reflection;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streaming;
using MarketData.Streams;
using MarketData.Tests.Integration;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Streams;

namespace MarketData.Tests.Streaming;

/// <summary>
/// A slow consumer behind the Orleans streams (a book grain that cannot keep up, a stream queue that is full) must cost
/// counted drops and a visible gap, never unbounded memory in the feed: the sink holds at most its capacity plus the
/// batch in flight, refuses the rest without blocking the receive loop, counts every refusal, and leaves a hole in the
/// stream's batch sequence so the book resyncs instead of silently missing diffs.
/// </summary>
public sealed class StreamSinkBackPressureTests
{
    private static readonly Instrument Btc = new("binance", "BTCUSDT");

    [Fact]
    public async Task A_stalled_stream_costs_counted_drops_and_bounded_memory_not_a_blocked_feed()
    {
        const int capacity = 1_000;
        var streams = new GatedStreamProvider();
        var counters = new FeedCounters(TimeProvider.System);
        await using var sink = new OrleansStreamSink(streams, "binance", FeedKind.BinanceSpot, counters, TimeProvider.System, NullLogger.Instance, capacity);

        // The consumer stalls: every publish waits at the gate. The feed keeps offering events as fast as it can.
        var offered = 200_000;
        var accepted = 0;
        long mostPending = 0;
        for (var i = 0; i < offered; i++)
        {
            if (sink.Publish(Btc, Diff(i))) accepted++;
            if ((i & 1023) == 0) mostPending = Math.Max(mostPending, sink.Pending);
        }
        mostPending = Math.Max(mostPending, sink.Pending);

        // Bounded: what the channel holds plus what the publish loop took out for the stalled batch.
        var bound = capacity + OrleansStreamSink.MaxBatchSize * 16;
        Assert.True(accepted <= bound, $"{accepted} events accepted while the consumer was stalled; the bound is {bound}");
        Assert.True(mostPending <= bound, $"{mostPending} events pending; the bound is {bound}");
        Assert.Equal(offered - accepted, counters.Dropped);
        Assert.True(counters.Dropped > offered / 2, "most of the flood must have been refused");

        // The consumer recovers: everything accepted is delivered, in order, and the next batch after the loss
        // skips a sequence number so the book sees the gap.
        streams.Open();
        await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sink.Publish(Btc, Diff(offered)));
        await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var batches = streams.Delivered(MarketStreams.Depth, Btc);
        Assert.Equal(accepted + 1, batches.Sum(b => b.Events.Length));
        var ids = batches.SelectMany(b => b.Events).Cast<DepthDiff>().Select(d => d.FinalUpdateId).ToList();
        Assert.Equal(ids.OrderBy(x => x), ids);
        var sequences = batches.Select(b => b.Sequence).ToList();
        Assert.Equal(sequences.OrderBy(x => x), sequences);
        Assert.True(sequences[^1] > sequences.Count, $"the batch sequence {string.Join(",", sequences)} (from 1) must skip where events were lost");
        Assert.Equal(0, sink.Pending);
    }

    [Fact]
    public async Task A_consumer_that_keeps_up_loses_nothing()
    {
        var streams = new GatedStreamProvider();
        streams.Open();
        var counters = new FeedCounters(TimeProvider.System);
        await using var sink = new OrleansStreamSink(streams, "binance", FeedKind.BinanceSpot, counters, TimeProvider.System, NullLogger.Instance, capacity: 100_000);
        for (var i = 0; i < 50_000; i++) Assert.True(sink.Publish(Btc, Diff(i)));
        await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, counters.Dropped);
        var batches = streams.Delivered(MarketStreams.Depth, Btc);
        Assert.Equal(50_000, batches.Sum(b => b.Events.Length));
        var sequences = batches.Select(b => b.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task When_the_host_stops_nothing_more_is_published_and_failing_streams_are_counted_not_reported()
    {
        var streams = new GatedStreamProvider();
        var counters = new FeedCounters(TimeProvider.System);
        using var hostStopping = new CancellationTokenSource();
        var sink = new OrleansStreamSink(streams, "binance", FeedKind.BinanceSpot, counters, TimeProvider.System, NullLogger.Instance, hostStopping: hostStopping.Token);
        for (var i = 0; i < 10; i++) Assert.True(sink.Publish(Btc, Diff(i)));
        await Eventually.WaitAsync(() => Task.FromResult(streams.Waiting), w => w > 0, "a publish waiting at the gate");

        // Shutdown begins while a publish is in flight; then the stream queue grains go away under it.
        await hostStopping.CancelAsync();
        Assert.False(sink.Publish(Btc, Diff(10)));
        streams.Fail(new InvalidOperationException("No active nodes are compatible with grain memorystreamqueue"));

        await sink.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)); // does not throw
        // Every event is accounted for once: the batch in flight and whatever was still queued are dropped, none published.
        Assert.Equal(11, counters.Dropped);
        Assert.Equal(0, counters.EventsPublished);
        Assert.Equal(0, sink.Pending);
        Assert.Null(counters.LastError);
        Assert.Empty(streams.Delivered(MarketStreams.Depth, Btc));
    }

    [Fact]
    public async Task A_stop_during_the_retry_back_off_drops_the_batch_counted_once()
    {
        var streams = new GatedStreamProvider();
        streams.Fail(new InvalidOperationException("queue full"));
        var counters = new FeedCounters(TimeProvider.System);
        using var hostStopping = new CancellationTokenSource();
        var sink = new OrleansStreamSink(streams, "binance", FeedKind.BinanceSpot, counters, TimeProvider.System, NullLogger.Instance, hostStopping: hostStopping.Token);
        for (var i = 0; i < 5; i++) Assert.True(sink.Publish(Btc, Diff(i)));
        await Eventually.WaitAsync(() => Task.FromResult(streams.Attempts), a => a >= 3, "the sink retrying a refused batch");

        await hostStopping.CancelAsync();
        await sink.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(5, counters.Dropped);
        Assert.Equal(0, counters.EventsPublished);
        Assert.Equal(0, sink.Pending);
        Assert.Null(counters.LastError); // given up because of the shutdown, not after the retries ran out
    }

    private static DepthDiff Diff(long id) => new()
    {
        FirstUpdateId = id,
        FinalUpdateId = id,
        EventTime = 1,
        Bids = [new PriceLevel(100 * FixedPoint.Scale, FixedPoint.Scale)],
        Asks = [],
    };

    /// <summary>Streams whose publishes wait until <see cref="Open"/>: a consumer that has stopped taking events.</summary>
    internal sealed class GatedStreamProvider : IStreamProvider
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<StreamId, ConcurrentQueue<MarketEventBatch>> _delivered = new();

        public string Name => "gated";
        public bool IsRewindable => false;

        private int _waiting;

        /// <summary>Publishes waiting at the gate.</summary>
        public int Waiting => Volatile.Read(ref _waiting);

        public void Open() => _gate.TrySetResult();

        /// <summary>Every publish, waiting or later, fails: the stream queue grains are gone.</summary>
        public void Fail(Exception error) => _gate.TrySetException(error);

        public IReadOnlyList<MarketEventBatch> Delivered(string streamNamespace, Instrument instrument)
            => _delivered.TryGetValue(StreamId.Create(streamNamespace, instrument.Key), out var queue) ? [.. queue] : [];

        public IAsyncStream<T> GetStream<T>(StreamId streamId)
        {
            var stream = DispatchProxy.Create<IAsyncStream<T>, GatedStream<T>>();
            ((GatedStream<T>)(object)stream).Attach(streamId, this);
            return stream;
        }

        private int _attempts;

        /// <summary>Publishes tried so far.</summary>
        public int Attempts => Volatile.Read(ref _attempts);

        internal async Task PublishAsync(StreamId id, object item)
        {
            Interlocked.Increment(ref _attempts);
            Interlocked.Increment(ref _waiting);
            try { await _gate.Task; }
            finally { Interlocked.Decrement(ref _waiting); }
            _delivered.GetOrAdd(id, _ => new ConcurrentQueue<MarketEventBatch>()).Enqueue((MarketEventBatch)item);
        }
    }

    /// <summary>The one stream member the sink uses, <c>OnNextAsync</c>; everything else is not part of this test.</summary>
    public class GatedStream<T> : DispatchProxy
    {
        private StreamId _id;
        private GatedStreamProvider? _provider;

        internal void Attach(StreamId id, GatedStreamProvider provider) => (_id, _provider) = (id, provider);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            nameof(IAsyncObserver<T>.OnNextAsync) => _provider!.PublishAsync(_id, args![0]!),
            "get_StreamId" => _id,
            _ => throw new NotSupportedException($"{targetMethod?.Name} is not used by the sink"),
        };
    }
}
