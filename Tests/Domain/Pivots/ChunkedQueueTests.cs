using MarketData.Domain.Pivots;

namespace MarketData.Tests.Domain.Pivots;

public class ChunkedQueueTests
{
    /// <summary>Random adds and front removals against a plain queue: every element stays addressable by its sequence.</summary>
    [Theory]
    [InlineData(1, 0.5)]   // stays short: the first chunk compacts and grows
    [InlineData(2, 0.3)]   // grows past several full chunks
    [InlineData(3, 0.49)]  // hovers around a steady length
    public void Behaves_like_a_queue_addressed_by_sequence(int seed, double removeProbability)
    {
        var random = new Random(seed);
        var queue = new ChunkedQueue<long>();
        var reference = new List<long>();
        long firstSeq = 0, next = 0;
        for (var step = 0; step < 60_000; step++)
        {
            if (reference.Count > 0 && random.NextDouble() < removeProbability)
            {
                Assert.Equal(reference[0], queue.First);
                queue.RemoveFirst();
                reference.RemoveAt(0);
                firstSeq++;
            }
            else
            {
                queue.Add(next);
                reference.Add(next++);
            }
            Assert.Equal(reference.Count, queue.Count);
            Assert.Equal(firstSeq, queue.FirstSeq);
            if (step % 997 == 0)
                for (var i = 0; i < reference.Count; i++) Assert.Equal(reference[i], queue[firstSeq + i]);
        }
        for (var i = 0; i < reference.Count; i++) Assert.Equal(reference[i], queue[firstSeq + i]);
    }

    [Fact]
    public void A_short_sliding_window_keeps_a_short_chunk()
    {
        var queue = new ChunkedQueue<long>();
        for (long i = 0; i < 100_000; i++)
        {
            queue.Add(i);
            if (queue.Count > 20) queue.RemoveFirst();
        }
        Assert.Equal(20, queue.Count);
        Assert.Equal(99_980, queue.First);
        // 20 longs in a 64-element chunk; a full 4,096-element chunk would be 32 KB.
        Assert.True(queue.AllocatedBytes <= 64 * sizeof(long), $"allocated {queue.AllocatedBytes} B");
    }

    [Fact]
    public void A_long_queue_uses_full_chunks_and_reset_starts_over()
    {
        var queue = new ChunkedQueue<long>();
        for (long i = 0; i < 10_000; i++) queue.Add(i);
        Assert.Equal(3 * 4096 * sizeof(long), queue.AllocatedBytes);
        Assert.Equal(9_999, queue[9_999]);

        queue.Reset(500);
        Assert.Equal(0, queue.Count);
        queue.Add(7);
        Assert.Equal(7, queue[500]);
        Assert.Equal(501, queue.EndSeq);
    }
}
