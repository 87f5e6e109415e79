using MarketData.Candles;

namespace MarketData.Domain.Candles;

/// <summary>What <see cref="CandleAggregator.Add"/> did with a shorter candle.</summary>
public enum AggregateResult : byte
{
    /// <summary>Taken into the current longer period, which is not complete yet.</summary>
    Accumulated,
    /// <summary>It was the last constituent of a complete period: the longer candle is returned.</summary>
    Completed,
    /// <summary>Not closed, misaligned, of the wrong length, or not after the previous constituent: ignored, counted.</summary>
    Rejected,
}

/// <summary>What one <see cref="CandleAggregator"/> did since it was created.</summary>
public sealed class CandleAggregatorCounters
{
    public long Accepted { get; internal set; }
    public long Rejected { get; internal set; }
    public long Completed { get; internal set; }
    /// <summary>Periods abandoned because a constituent was missing: no longer candle was produced for them.</summary>
    public long Incomplete { get; internal set; }
}

/// <summary>
/// Aggregates closed candles of a shorter timeframe into a longer one (1s→1m, 1m→1h, 1h→1d, ...): open of
/// the first constituent, close of the last, highest high, lowest low, sums of volumes and trade counts.
/// <para>
/// Completeness: a longer candle is produced only when every constituent interval of its period is present
/// (e.g. all 24 hours of a day). A period with a missing constituent produces nothing and is counted in
/// <see cref="CandleAggregatorCounters.Incomplete"/> when a candle of a later period arrives: a partial
/// candle would look like a real one with a wrong range and volume. Repair the shorter series first and
/// aggregate again (<see cref="TryAggregate"/> over a contiguous run) to fill it.
/// </para>
/// The result's close time is the last constituent's (so a period ending in a cut-short candle is cut
/// short too), its source is <see cref="CandleSource.Aggregated"/>, and it is flagged Closed (plus CutShort
/// when the close time is early, plus Repaired when any constituent was). Allocation-free; not thread-safe.
/// </summary>
public sealed class CandleAggregator
{
    private readonly long _short;
    private readonly long _long;
    private readonly int _perPeriod;
    private bool _hasPeriod;
    private long _periodOpen;
    private long _lastConstituentOpen = long.MinValue;
    private int _constituents;
    private Candle _acc;

    public CandleAggregator(Timeframe source, Timeframe target)
    {
        if (source.Milliseconds <= 0 || target.Milliseconds <= source.Milliseconds || target.Milliseconds % source.Milliseconds != 0)
            throw new ArgumentException($"Cannot aggregate {source} into {target}: the target must be a longer multiple of the source.", nameof(target));
        Source = source;
        Target = target;
        _short = source.Milliseconds;
        _long = target.Milliseconds;
        _perPeriod = (int)(_long / _short);
    }

    public Timeframe Source { get; }
    public Timeframe Target { get; }
    /// <summary>Constituents in one complete period (24 for 1h→1d).</summary>
    public int ConstituentsPerPeriod => _perPeriod;
    public CandleAggregatorCounters Counters { get; } = new();

    /// <summary>Adds the next closed shorter candle (oldest first). When it completes a period the longer candle is in <paramref name="completed"/>.</summary>
    public AggregateResult Add(in Candle candle, out Candle completed)
    {
        completed = default;
        if (!candle.IsClosed || candle.OpenTime % _short != 0 || candle.CloseTime < candle.OpenTime
            || candle.CloseTime > candle.OpenTime + _short - 1 || candle.OpenTime <= _lastConstituentOpen)
        {
            Counters.Rejected++;
            return AggregateResult.Rejected;
        }
        _lastConstituentOpen = candle.OpenTime;
        Counters.Accepted++;

        var periodOpen = candle.OpenTime - (((candle.OpenTime % _long) + _long) % _long);
        if (_hasPeriod && periodOpen != _periodOpen)
        {
            // Constituents arrive in order, so the old period can no longer be completed.
            Counters.Incomplete++;
            _hasPeriod = false;
        }
        if (!_hasPeriod)
        {
            _hasPeriod = true;
            _periodOpen = periodOpen;
            _constituents = 0;
            _acc = candle;
        }
        else
        {
            _acc = Merge(_acc, candle);
        }
        _constituents++;

        // Open times are strictly increasing and aligned, so n of them inside the period means all are there.
        if (_constituents < _perPeriod) return AggregateResult.Accumulated;
        completed = Finish(_acc, _periodOpen, _long);
        _hasPeriod = false;
        Counters.Completed++;
        return AggregateResult.Completed;
    }

    /// <summary>
    /// Aggregates one whole period from <paramref name="constituents"/> (oldest first). True only when they are
    /// exactly the period's constituents: all present, closed, aligned, in order, within one period of <paramref name="target"/>.
    /// </summary>
    public static bool TryAggregate(ReadOnlySpan<Candle> constituents, Timeframe source, Timeframe target, out Candle result)
    {
        result = default;
        var step = source.Milliseconds;
        var length = target.Milliseconds;
        if (step <= 0 || length <= step || length % step != 0 || constituents.Length != length / step) return false;
        var periodOpen = constituents[0].OpenTime;
        if (periodOpen % length != 0) return false;
        var acc = constituents[0];
        for (var i = 0; i < constituents.Length; i++)
        {
            ref readonly var c = ref constituents[i];
            if (!c.IsClosed || c.OpenTime != periodOpen + i * step || c.CloseTime < c.OpenTime || c.CloseTime > c.OpenTime + step - 1)
                return false;
            if (i > 0) acc = Merge(acc, c);
        }
        result = Finish(acc, periodOpen, length);
        return true;
    }

    private static Candle Merge(in Candle acc, in Candle next) => acc with
    {
        CloseTime = next.CloseTime,
        High = Math.Max(acc.High, next.High),
        Low = Math.Min(acc.Low, next.Low),
        Close = next.Close,
        Volume = acc.Volume + next.Volume,
        QuoteVolume = acc.QuoteVolume + next.QuoteVolume,
        TradeCount = acc.TradeCount + next.TradeCount,
        TakerBuyVolume = acc.TakerBuyVolume + next.TakerBuyVolume,
        TakerBuyQuoteVolume = acc.TakerBuyQuoteVolume + next.TakerBuyQuoteVolume,
        Flags = acc.Flags | (next.Flags & CandleFlags.Repaired),
    };

    private static Candle Finish(in Candle acc, long periodOpen, long length)
    {
        var flags = CandleFlags.Closed | (acc.Flags & CandleFlags.Repaired);
        if (acc.CloseTime < periodOpen + length - 1) flags |= CandleFlags.CutShort;
        return acc with { OpenTime = periodOpen, Source = CandleSource.Aggregated, Flags = flags };
    }
}
