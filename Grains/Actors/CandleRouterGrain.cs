using MarketData.Candles;
using MarketData.Domain.Candles;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace MarketData.Actors;

/// <summary>
/// Consumes one instrument's trades and klines. For each timeframe, candles come from the kline stream while
/// it is alive, otherwise they are built from trades (replays carry trades only). Candle updates go to the
/// per-timeframe <see cref="CandleGrain"/> in one call per timeframe and batch.
/// </summary>
[ImplicitStreamSubscription(MarketStreams.Trades)]
[ImplicitStreamSubscription(MarketStreams.Klines)]
public sealed class CandleRouterGrain : Grain, ICandleRouterGrain, IStreamSubscriptionObserver, IAsyncObserver<MarketEventBatch>
{
    private readonly TimeProvider _time;
    private readonly ILogger<CandleRouterGrain> _logger;
    private readonly CandleOptions _options;
    private readonly Dictionary<long, TradeCandleBuilder> _builders = [];
    private readonly Dictionary<long, long> _lastKlineTimestamp = [];
    private readonly Dictionary<long, List<Candle>> _pending = [];
    private readonly StreamBatchSequence _tradeSequence = new();
    private readonly StreamBatchSequence _klineSequence = new();
    private Instrument _instrument;
    private bool? _aggregateTrades;
    private long _klineUpdates;
    // Exchange time: the last trade time seen, advanced by local time elapsed since it arrived.
    private long _lastTradeTime;
    private long _lastTradeTimestamp;

    public CandleRouterGrain(TimeProvider time, ILogger<CandleRouterGrain> logger, IOptions<CandleOptions> options)
    {
        _time = time;
        _logger = logger;
        _options = options.Value;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _instrument = Instrument.Parse(this.GetPrimaryKeyString());
        foreach (var timeframe in Timeframe.All)
        {
            _builders[timeframe.Milliseconds] = NewBuilder(timeframe);
            _pending[timeframe.Milliseconds] = [];
        }
        // Quiet intervals close on time, not only when the next trade arrives.
        this.RegisterGrainTimer(AdvanceAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(1), Period = TimeSpan.FromSeconds(1) });
        return Task.CompletedTask;
    }

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => await handleFactory.Create<MarketEventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(MarketEventBatch batch, StreamSequenceToken? token = null)
    {
        var isKlines = batch.Events.Length > 0 && batch.Events[0] is KlineEvent;
        if ((isKlines ? _klineSequence : _tradeSequence).Check(batch) == BatchOrder.Duplicate) return;

        foreach (var e in batch.Events)
        {
            switch (e)
            {
                case TradeEvent trade:
                    OnTrade(trade);
                    break;
                case KlineEvent kline:
                    _klineUpdates++;
                    // The stream now speaks for this timeframe: whatever trades had started must never close into a candle.
                    if (_builders[kline.Timeframe.Milliseconds].HasForming) _builders[kline.Timeframe.Milliseconds] = NewBuilder(kline.Timeframe);
                    _lastKlineTimestamp[kline.Timeframe.Milliseconds] = _time.GetTimestamp();
                    _pending[kline.Timeframe.Milliseconds].Add(kline.Candle);
                    break;
            }
        }
        await FlushAsync();
    }

    private void OnTrade(TradeEvent trade)
    {
        // Raw and aggregate trades describe the same flow: build from whichever kind came first, never both.
        _aggregateTrades ??= trade.IsAggregate;
        if (trade.IsAggregate != _aggregateTrades) return;
        _lastTradeTime = Math.Max(_lastTradeTime, trade.TradeTime);
        _lastTradeTimestamp = _time.GetTimestamp();
        foreach (var (interval, builder) in _builders)
        {
            if (KlineStreamAlive(interval)) continue;
            var result = builder.OnTrade(trade, out var closed);
            if (result == TradeApplyResult.AppliedAndClosed) _pending[interval].Add(closed);
            if (result is TradeApplyResult.Applied or TradeApplyResult.AppliedAndClosed && builder.Forming is { } forming)
                ReplaceForming(_pending[interval], forming);
        }
    }

    /// <summary>Only the newest state of the forming candle needs to travel.</summary>
    private static void ReplaceForming(List<Candle> pending, in Candle forming)
    {
        if (pending.Count > 0 && !pending[^1].IsClosed && pending[^1].OpenTime == forming.OpenTime) pending[^1] = forming;
        else pending.Add(forming);
    }

    private bool KlineStreamAlive(long interval)
        => _lastKlineTimestamp.TryGetValue(interval, out var last)
           && _time.GetElapsedTime(last) < TimeSpan.FromMilliseconds(Math.Max(10_000, interval * _options.KlineStreamSilentPeriods));

    private async Task AdvanceAsync(CancellationToken cancellationToken)
    {
        if (_lastTradeTimestamp == 0) return;
        var exchangeNow = _lastTradeTime + (long)_time.GetElapsedTime(_lastTradeTimestamp).TotalMilliseconds;
        foreach (var (interval, builder) in _builders)
            if (!KlineStreamAlive(interval) && builder.Advance(exchangeNow, out var closed)) _pending[interval].Add(closed);
        await FlushAsync();
    }

    /// <summary>Trades may arrive a little late (their own stream): a quiet interval closes only after this grace.</summary>
    private const long CloseGraceMs = 250;

    private static TradeCandleBuilder NewBuilder(Timeframe timeframe) => new(timeframe, CloseGraceMs);

    private async Task FlushAsync()
    {
        List<Task>? calls = null;
        foreach (var (interval, pending) in _pending)
        {
            if (pending.Count == 0) continue;
            var key = new CandleSeriesKey(_instrument, Timeframe.All.First(t => t.Milliseconds == interval));
            var candles = pending.ToArray();
            pending.Clear();
            (calls ??= []).Add(GrainFactory.GetGrain<ICandleGrain>(key.Key).ApplyAsync(candles));
        }
        if (calls is null) return;
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception ex)
        {
            // A candle grain that cannot take updates now repairs from REST later; never fail stream delivery.
            _logger.LogWarning(ex, "Candle updates for {Instrument} could not be delivered", _instrument);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        _logger.LogWarning(ex, "Trade/kline stream error for {Instrument}", _instrument);
        return Task.CompletedTask;
    }

    public Task<CandleRouterStatus> GetStatusAsync() => Task.FromResult(new CandleRouterStatus
    {
        TradesApplied = _builders.Values.Max(b => b.Counters.TradesApplied),
        TradeIdGaps = _builders.Values.Max(b => b.Counters.TradeIdGaps),
        KlineUpdates = _klineUpdates,
        Sources = _builders.ToDictionary(kv => Timeframe.All.First(t => t.Milliseconds == kv.Key).Name, kv => KlineStreamAlive(kv.Key) ? "stream" : "trades"),
    });
}
