using MarketData.Actors;
using MarketData.Streams;

namespace MarketData.Tests.Actors;

public class StreamBatchSequenceTests
{
    private static MarketEventBatch B(long sequence, long incarnation = 1, string feed = "binance") => new()
    {
        FeedId = feed, FeedKind = FeedKind.BinanceSpot, FeedIncarnation = incarnation, Sequence = sequence, Events = [],
    };

    [Fact]
    public void Repeats_are_duplicates_and_jumps_are_gaps()
    {
        var s = new StreamBatchSequence();
        Assert.Equal(BatchOrder.Next, s.Check(B(5)));   // first batch seen: whatever its number
        Assert.Equal(BatchOrder.Next, s.Check(B(6)));
        Assert.Equal(BatchOrder.Duplicate, s.Check(B(6)));
        Assert.Equal(BatchOrder.Duplicate, s.Check(B(3)));
        Assert.Equal(BatchOrder.Gap, s.Check(B(9)));
        Assert.Equal(BatchOrder.Next, s.Check(B(10)));
        Assert.Equal(2, s.Duplicates);
        Assert.Equal(1, s.Gaps);
    }

    [Fact]
    public void A_restarted_or_different_feed_starts_a_new_sequence()
    {
        var s = new StreamBatchSequence();
        s.Check(B(100));
        Assert.Equal(BatchOrder.Next, s.Check(B(1, incarnation: 2)));
        Assert.Equal(BatchOrder.Next, s.Check(B(1, incarnation: 2, feed: "replay")));
        Assert.Equal(BatchOrder.Next, s.Check(B(2, incarnation: 2, feed: "replay")));
        Assert.Equal(0, s.Gaps);
    }
}
