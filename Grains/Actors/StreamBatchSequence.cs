using MarketData.Streams;

namespace MarketData.Actors;

public enum BatchOrder { Next, Duplicate, Gap }

/// <summary>
/// Orleans streams deliver at least once: a consumer sees repeats after retries and never learns of a lost
/// batch unless it counts. This tracks the last sequence seen per (feed, incarnation).
/// </summary>
public sealed class StreamBatchSequence
{
    private string? _feedId;
    private long _incarnation;
    private long _last;

    public long Duplicates { get; private set; }
    public long Gaps { get; private set; }

    public BatchOrder Check(MarketEventBatch batch)
    {
        if (batch.FeedId != _feedId || batch.FeedIncarnation != _incarnation)
        {
            // A new feed (or the same feed restarted): its sequence starts over.
            _feedId = batch.FeedId;
            _incarnation = batch.FeedIncarnation;
            _last = batch.Sequence;
            return BatchOrder.Next;
        }
        if (batch.Sequence <= _last) { Duplicates++; return BatchOrder.Duplicate; }
        var order = batch.Sequence == _last + 1 ? BatchOrder.Next : BatchOrder.Gap;
        if (order == BatchOrder.Gap) Gaps++;
        _last = batch.Sequence;
        return order;
    }
}
