using System.Collections;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Books;
using MarketData.Domain.Heatmap;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Options;

namespace MarketData.Actors;

/// <summary>
/// A book's per-second life, outside Orleans types: which second is open (by exchange time), the trades of each
/// second, the aggregate or the gap (with its reason) when a second closes, the moving averages, 30 minutes of
/// history, the raw tick buffer and the heatmap cache. The owning grain calls it from its turns only.
/// </summary>
internal sealed class BookSeconds
{
    /// <summary>After a silence longer than the history, only the last history's worth of seconds is recorded.</summary>
    private readonly string _symbol;
    private readonly OrderBookSynchronizer _sync;
    private readonly IOptionsMonitor<CobOptions> _options;
    private readonly TimeProvider _time;
    private readonly BookAggregator _aggregator = new();
    private readonly ImbalanceAverager _averager = new();
    private readonly CobHistory _history;
    private readonly TickBuffer _ticks;
    private readonly HeatmapCache _heatmaps = new();
    private readonly SortedDictionary<long, TradeFlowAccumulator> _flows = [];
    // Seconds aggregated at their boundary (the book as it stood) but not yet committed: trades travel on their
    // own stream and may arrive a little after the next second's first diff, so the flow is added at commit.
    private readonly Queue<CobSecond> _pending = new();
    private CobOptions? _resolverSource;
    private BucketConfigResolver _resolver = new();
    private long _current = -1;
    private long _lastEventTime, _lastEventTimestamp;

    public BookSeconds(string symbol, OrderBookSynchronizer sync, IOptionsMonitor<CobOptions> options, TimeProvider time)
    {
        _symbol = symbol;
        _sync = sync;
        _options = options;
        _time = time;
        _history = new CobHistory(options.CurrentValue.HistorySeconds);
        // Start small and let the buffer double with the symbol's real rate: at the reference size every symbol
        // would hold 6.5 MB from its first tick, whatever its rate.
        _ticks = new TickBuffer(new TickBufferOptions { MaxBytes = options.CurrentValue.TickBufferMaxBytes, InitialEntries = 8_192, InitialDataBytes = 8_192 * 48 });
    }

    /// <summary>Trades that arrived after their second had been aggregated (counted, not lost from the tick buffer).</summary>
    public long LateTrades { get; private set; }

    public CobSecond? Latest => _history.Latest;

    /// <summary>Called with every second once it is final (aggregate, flow and averages): the archive's feed.</summary>
    public Action<CobSecond>? Committed { get; set; }

    /// <summary>Seconds with starts in [from, to], both inclusive.</summary>
    public CobSecond[] History(long from, long to) => _history.Query(from, to == long.MaxValue ? to : to + 1);

    /// <summary>Called before a diff is applied: seconds before the diff's second close on the book as it stands.</summary>
    public void BeforeDiff(DepthDiff diff)
    {
        _ticks.Add(diff);
        NoteExchangeTime(diff.EventTime);
        CloseUpTo(SecondOf(diff.EventTime));
        CommitUpTo(diff.EventTime);
    }

    /// <summary>A stored book state (DB replay) stands where a diff would: seconds before its time close on the book as it stands.</summary>
    public void BeforeStoredState(DepthSnapshot state)
    {
        NoteExchangeTime(state.StateTime);
        CloseUpTo(SecondOf(state.StateTime));
        CommitUpTo(state.StateTime);
    }

    public void OnTrade(TradeEvent trade)
    {
        _ticks.Add(trade);
        NoteExchangeTime(trade.EventTime);
        var second = SecondOf(trade.TradeTime);
        var firstOpen = _pending.Count > 0 ? _pending.Peek().Time : _current;
        if (firstOpen >= 0 && second < firstOpen)
        {
            LateTrades++;
            return;
        }
        if (!_flows.TryGetValue(second, out var flow)) _flows[second] = flow = new TradeFlowAccumulator();
        flow.Add(trade);
        CommitUpTo(trade.EventTime);
    }

    /// <summary>Closes seconds that ended (plus a grace) by exchange time, extrapolated with local time since the last event: quiet seconds still close.</summary>
    public void Advance()
    {
        if (_lastEventTimestamp == 0) return;
        var exchangeNow = _lastEventTime + (long)_time.GetElapsedTime(_lastEventTimestamp).TotalMilliseconds;
        CloseUpTo(SecondOf(exchangeNow - (long)_options.CurrentValue.SecondGrace.TotalMilliseconds));
        CommitUpTo(exchangeNow);
    }

    /// <summary>Commits pending seconds whose grace has passed by <paramref name="exchangeNow"/>: their trade flow is complete.</summary>
    private void CommitUpTo(long exchangeNow)
    {
        var grace = (long)_options.CurrentValue.SecondGrace.TotalMilliseconds;
        while (_pending.Count > 0 && _pending.Peek().Time + 1000 + grace <= exchangeNow)
        {
            var second = _pending.Dequeue();
            var committed = _averager.Apply(second with { Flow = TakeFlow(second.Time) });
            _history.Add(committed);
            _heatmaps.OnSecond(second.Time);
            Committed?.Invoke(committed);
        }
    }

    /// <summary>
    /// The aggregate of the latest second that ended by <paramref name="asOf"/> (Unix ms; null: the latest one), the trade
    /// flow of the minute up to it and a heatmap of <paramref name="heatmapSeconds"/> seconds ending with it: all from one
    /// turn, so they describe the same history.
    /// </summary>
    public (CobSecond? Aggregate, bool IsLatest, TradeFlow RecentFlow, int FlowSeconds, Heatmap? Heatmap) InputView(long? asOf, int heatmapSeconds, HeatmapMetric metric)
    {
        var index = asOf is { } t ? _history.LastAtOrBefore(t - 1000) : _history.Count - 1;
        if (index < 0) return (null, false, default, 0, null);
        var aggregate = _history.At(index);

        long buy = 0, sell = 0, quote = 0;
        int trades = 0, seconds = 0;
        for (var i = index; i >= 0; i--)
        {
            if (_history.TimeAt(i) <= aggregate.Time - RecentFlowMs) break;
            if (_history.IsGapAt(i)) continue;
            var flow = _history.FlowAt(i);
            seconds++;
            buy += flow.BuyVolume;
            sell += flow.SellVolume;
            quote += flow.QuoteVolume;
            trades += flow.TradeCount;
        }
        var vwap = buy + sell > 0 ? (long)((Int128)quote * FixedPoint.Scale / (buy + sell)) : 0;

        var list = new HistoryList(_history);
        Heatmap map;
        if (index == _history.Count - 1)
        {
            map = _heatmaps.GetOrBuild(list, heatmapSeconds, metric);
        }
        else
        {
            var start = _history.FirstAtOrAfter(aggregate.Time - (heatmapSeconds - 1) * 1000L);
            map = Domain.Heatmap.HeatmapBuilder.Build(list, start, index - start + 1, metric);
        }
        return (aggregate, index == _history.Count - 1, new TradeFlow(buy, sell, trades, vwap, quote), seconds, map);
    }

    /// <summary>The trade flow a model sees beside the last second: one minute.</summary>
    public const long RecentFlowMs = 60_000;

    public Heatmap Heatmap(int seconds, HeatmapMetric metric) => _heatmaps.GetOrBuild(new HistoryList(_history), seconds, metric);

    public TickRange Ticks(long from, long to, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var events = new List<MarketEvent>(Math.Min(max, 4096));
        var matched = _ticks.Query(AsTime(from), AsTime(to), events, max);
        return new TickRange
        {
            Ticks = [.. events],
            Truncated = matched > max,
            Held = _ticks.Count,
            Overflowed = _ticks.Overflowed,
            OldestTime = _ticks.OldestReceivedAt is { } oldest ? (long)(oldest - DateTime.UnixEpoch).TotalMilliseconds : 0,
        };
    }

    private static readonly long MaxUnixMs = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    private static DateTime AsTime(long unixMs)
        => new(DateTime.UnixEpoch.Ticks + Math.Clamp(unixMs, 0, MaxUnixMs) * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    private static long SecondOf(long unixMs) => unixMs - (((unixMs % 1000) + 1000) % 1000);

    private void NoteExchangeTime(long eventTime)
    {
        if (eventTime <= _lastEventTime) return;
        _lastEventTime = eventTime;
        _lastEventTimestamp = _time.GetTimestamp();
    }

    private void CloseUpTo(long second)
    {
        if (_current < 0)
        {
            _current = second; // the first second seen is the first one recorded
            return;
        }
        var oldestWorth = second - (long)_history.Capacity * 1000;
        if (_current < oldestWorth) _current = oldestWorth;
        while (_current < second)
        {
            Emit(_current);
            _current += 1000;
        }
    }

    /// <summary>Aggregates the book as it stands for <paramref name="second"/>; the trade flow joins at commit.</summary>
    private void Emit(long second)
    {
        CobSecond aggregate;
        if (_sync.Status != BookStatus.Synced)
        {
            aggregate = BookAggregator.Gap(second, $"book {_sync.Status.ToString().ToLowerInvariant()}: {_sync.StatusReason}", default);
        }
        else if (!_sync.Book.TryGetBestBid(out var bid) || !_sync.Book.TryGetBestAsk(out var ask))
        {
            aggregate = BookAggregator.Gap(second, "book has an empty side", default);
        }
        else if (!Resolver().TryResolve(_symbol, (bid.Price + ask.Price) / 2, out var config))
        {
            aggregate = BookAggregator.Gap(second, $"no bucket configuration for {_symbol}", default);
        }
        else
        {
            aggregate = _aggregator.Aggregate(second, _sync.Book, config, default, _sync.Book.LastUpdateId, _sync.Verified);
        }
        _pending.Enqueue(aggregate);
    }

    private TradeFlow TakeFlow(long second)
    {
        TradeFlow flow = default;
        while (_flows.Count > 0)
        {
            var (start, accumulator) = _flows.First();
            if (start > second) break;
            _flows.Remove(start);
            if (start == second) flow = accumulator.Take();
            else LateTrades += accumulator.TradeCount; // a second that closed without a diff reaching it: not expected
        }
        return flow;
    }

    /// <summary>The per-symbol bucket settings, rebuilt when configuration changes (no restart needed).</summary>
    private BucketConfigResolver Resolver()
    {
        var options = _options.CurrentValue;
        if (ReferenceEquals(options, _resolverSource)) return _resolver;
        _resolverSource = options; // a bad reload is reported once and then ignored until the next change
        try
        {
            _resolver = new BucketConfigResolver(options.Buckets.Select(kv => KeyValuePair.Create(kv.Key.ToUpperInvariant(), kv.Value.ToConfig())));
            ConfigError = null;
        }
        catch (ArgumentException ex)
        {
            ConfigError = $"Cob:Buckets ignored, the previous settings stay: {ex.Message}";
        }
        return _resolver;
    }

    /// <summary>Why the latest bucket settings were refused, if they were (the grain logs it).</summary>
    public string? ConfigError { get; private set; }

    /// <summary>
    /// The history as a list for the heatmap builder, for the length of one call: each second it touches is materialised
    /// once (the builder reads a second several times), and only the seconds it touches.
    /// </summary>
    private sealed class HistoryList(CobHistory history) : IReadOnlyList<CobSecond>
    {
        private readonly CobSecond?[] _read = new CobSecond?[history.Count];

        public CobSecond this[int index] => _read[index] ??= history.At(index);
        public int Count => _read.Length;

        public IEnumerator<CobSecond> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
