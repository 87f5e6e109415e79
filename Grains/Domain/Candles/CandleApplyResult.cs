namespace MarketData.Domain.Candles;

/// <summary>What <see cref="CandleSeries.Apply(in MarketData.Candles.Candle)"/> did with a candle.</summary>
public enum CandleApplyResult : byte
{
    /// <summary>A closed candle newer than every closed candle so far was added.</summary>
    Appended,
    /// <summary>The forming candle was started or updated (the closed candles did not change).</summary>
    UpdatedForming,
    /// <summary>The forming candle of the same open time closed: the closed version was added and the forming one cleared.</summary>
    Closed,
    /// <summary>A closed candle filled a known gap, or replaced a locally built candle with the exchange's own; flagged <c>Repaired</c>.</summary>
    Repaired,
    /// <summary>The same candle was already held: nothing changed.</summary>
    Duplicate,
    /// <summary>Not applied; see <see cref="CandleRejectReason"/>. The cache keeps its last good state.</summary>
    Rejected,
}

/// <summary>Why a candle was rejected. Every rejection is counted by reason in <see cref="CandleSeriesCounters"/>.</summary>
public enum CandleRejectReason : byte
{
    None = 0,
    /// <summary>High below low.</summary>
    HighBelowLow,
    /// <summary>Open outside [low, high].</summary>
    OpenOutsideRange,
    /// <summary>Close outside [low, high].</summary>
    CloseOutsideRange,
    /// <summary>A price of zero or below.</summary>
    NonPositivePrice,
    /// <summary>Negative base, quote or taker-buy volume.</summary>
    NegativeVolume,
    /// <summary>Taker-buy volume larger than the candle's volume.</summary>
    TakerBuyAboveVolume,
    /// <summary>Negative trade count.</summary>
    NegativeCount,
    /// <summary>Open time not a multiple of the timeframe (UTC-aligned), or negative.</summary>
    Misaligned,
    /// <summary>Close time before the open time or after open + interval - 1: the candle is not of this timeframe.</summary>
    InvalidCloseTime,
    /// <summary>A closed candle older than the newest closed one that fills no known gap, or older than the cache can hold.</summary>
    OutOfOrder,
    /// <summary>A closed candle with the open time of one already held but different numbers (a restatement, not a repair).</summary>
    ConflictingDuplicate,
    /// <summary>A forming update for an interval that is already closed, or for an interval before the forming one.</summary>
    StaleForming,
    /// <summary>A forming update with less volume or fewer trades than the forming candle held: an older update delivered late.</summary>
    FormingWentBackwards,
}

/// <summary>The outcome of applying one candle: what happened and, when rejected, why.</summary>
public readonly record struct CandleApplyOutcome(CandleApplyResult Result, CandleRejectReason Reason = CandleRejectReason.None)
{
    /// <summary>True when the cache changed (closed candles or the forming one).</summary>
    public bool Changed => Result is CandleApplyResult.Appended or CandleApplyResult.UpdatedForming
        or CandleApplyResult.Closed or CandleApplyResult.Repaired;

    public static CandleApplyOutcome Reject(CandleRejectReason reason) => new(CandleApplyResult.Rejected, reason);
}

/// <summary>A run of missing closed candles: open times <see cref="FromOpenTime"/> to <see cref="ToOpenTime"/> inclusive.</summary>
public readonly record struct CandleGap(long FromOpenTime, long ToOpenTime)
{
    /// <summary>Number of missing candles in the run for a timeframe of <paramref name="intervalMs"/>.</summary>
    public long Count(long intervalMs) => (ToOpenTime - FromOpenTime) / intervalMs + 1;
}

/// <summary>What one <see cref="CandleSeries"/> did since it was created (or restored).</summary>
public sealed class CandleSeriesCounters
{
    private readonly long[] _rejectedByReason = new long[Enum.GetValues<CandleRejectReason>().Length];

    public long Appended { get; internal set; }
    public long Closed { get; internal set; }
    public long FormingUpdates { get; internal set; }
    public long Repaired { get; internal set; }
    public long Duplicates { get; internal set; }
    public long Rejected { get; internal set; }
    /// <summary>Accepted closed candles flagged cut short.</summary>
    public long CutShort { get; internal set; }
    /// <summary>Gaps detected between closed candles (runs, not candles).</summary>
    public long GapsDetected { get; internal set; }
    /// <summary>Candles missing in the detected gaps, after truncation to what the cache can hold.</summary>
    public long MissingDetected { get; internal set; }
    /// <summary>Intervals skipped between two candles built from trades: quiet intervals, not gaps.</summary>
    public long EmptyIntervals { get; internal set; }
    /// <summary>Closed candles dropped (oldest first) because the ring was full.</summary>
    public long Evicted { get; internal set; }
    /// <summary>Forming candles that were replaced by a later interval without ever closing.</summary>
    public long FormingAbandoned { get; internal set; }

    public long RejectedBy(CandleRejectReason reason) => _rejectedByReason[(int)reason];

    internal void CountRejection(CandleRejectReason reason)
    {
        Rejected++;
        _rejectedByReason[(int)reason]++;
    }

    internal void Reset()
    {
        Appended = Closed = FormingUpdates = Repaired = Duplicates = Rejected = CutShort = 0;
        GapsDetected = MissingDetected = EmptyIntervals = Evicted = FormingAbandoned = 0;
        Array.Clear(_rejectedByReason);
    }
}
