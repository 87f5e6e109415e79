using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Recording;
using MarketData.Streams;
using Microsoft.Extensions.Logging.Abstractions;

namespace MarketData.Tests.Recording;

/// <summary>At full speed the reader outruns any stream: the replay must wait for its sink, never overflow it.</summary>
public class ReplayBackPressureTests
{
    /// <summary>Refuses events beyond its capacity until flushed, like a full stream sink.</summary>
    private sealed class BoundedSink(int capacity) : IMarketEventSink
    {
        private int _pending;
        public int Accepted { get; private set; }
        public int Refused { get; private set; }
        public int MostPending { get; private set; }

        public bool Publish(Instrument instrument, MarketEvent marketEvent)
        {
            if (_pending >= capacity) { Refused++; return false; }
            _pending++;
            Accepted++;
            MostPending = Math.Max(MostPending, _pending);
            return true;
        }

        public async Task FlushAsync(CancellationToken cancellationToken = default)
        {
            await Task.Yield(); // drained asynchronously, as the stream sink is
            _pending = 0;
        }
    }

    [SkippableFact]
    public async Task A_max_speed_replay_never_overflows_a_sink_smaller_than_the_recording()
    {
        var sample = RecordingTestFiles.Sample();
        if (sample is null) throw new SkipException("samples/ missing");
        var sink = new BoundedSink(capacity: ReplayFeedBase.FlushEvery);
        await using var replay = new ReplayFeed(new ReplayOptions { Files = [sample], Speed = 0 }, sink, TimeProvider.System, NullLogger.Instance);
        await replay.StartAsync(CancellationToken.None);
        await replay.Completion;

        var status = replay.GetStatus();
        Assert.Equal(FeedState.Completed, status.State);
        Assert.True(status.MessagesReceived > ReplayFeedBase.FlushEvery, "the sample must be larger than the sink for this test to mean anything");
        Assert.Equal(0, sink.Refused);
        Assert.Equal(0, status.Dropped);
        Assert.Equal(status.MessagesReceived, sink.Accepted);
        Assert.True(sink.MostPending <= ReplayFeedBase.FlushEvery);
    }
}
