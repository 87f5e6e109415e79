using MarketData.Candles;
using MarketData.Domain.Candles;
using MarketData.Feeds;
using MarketData.Pivots;
using MarketData.Storage;
using Microsoft.Extensions.DependencyInjection;
using MarketData.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace MarketData.Actors;

/// <summary>
/// The candle cache of one instrument and timeframe. Thin: a <see cref="CandleSeries"/> holds the rules.
/// On activation it backfills the latest candles from REST (through the instrument's feed grain, so within
/// the feed's weight budget and with its MEXC fallback); live updates arriving meanwhile wait, so the series
/// is always filled in time order. Every half period (at most 30 s) it refreshes from REST when no live
/// update came for a whole period, and repairs one known gap. Closed candles go on to the pivot grain.
/// Reentrant: REST fetches await without holding up live updates.
/// </summary>
[Reentrant]
public sealed class CandleGrain : Grain, ICandleGrain
{
    private readonly ILogger<CandleGrain> _logger;
    private readonly TimeProvider _time;
    private readonly CandleOptions _options;
    private CandleSeriesKey _key;
    private CandleSeries _series = null!;
    private readonly List<Candle> _heldDuringBackfill = [];
    private (long Version, int Limit, long? AsOf, Candle[] Candles)? _copied;
    private string _backfill = "pending";
    private bool _busy;
    private long _lastLiveTimestamp, _lastRefreshTimestamp;
    private TimeSpan _refreshPeriod;
    private string? _source, _sourceReason;

    private readonly IMarketDataArchive? _archive;
    private readonly ICandleHistory? _history;
    private bool _restored;

    public CandleGrain(ILogger<CandleGrain> logger, TimeProvider time, IOptions<CandleOptions> options, IServiceProvider services)
    {
        _logger = logger;
        _time = time;
        _options = options.Value;
        // Present only with a database: closed candles are archived there and a new activation starts from them.
        _archive = services.GetService<IMarketDataArchive>();
        _history = services.GetService<ICandleHistory>();
    }

    private Timeframe Timeframe => _key.Timeframe;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = CandleSeriesKey.Parse(this.GetPrimaryKeyString());
        _series = new CandleSeries(Timeframe, _options.Capacity);
        // Ticks at least every second so a pending backfill starts promptly; refreshes run every half period.
        _refreshPeriod = TimeSpan.FromMilliseconds(Math.Clamp(Timeframe.Milliseconds / 2, 500, 30_000));
        this.RegisterGrainTimer(RefreshAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromMilliseconds(100),
            Period = _refreshPeriod < TimeSpan.FromSeconds(1) ? _refreshPeriod : TimeSpan.FromSeconds(1),
        });
        return Task.CompletedTask;
    }

    public async Task ApplyAsync(Candle[] candles)
    {
        _lastLiveTimestamp = _time.GetTimestamp();
        _source ??= candles.Length > 0 ? SourceName(candles[^1].Source) : null;
        if (_backfill is "pending" or "running")
        {
            _heldDuringBackfill.AddRange(candles);
            if (_heldDuringBackfill.Count <= MaxHeldDuringBackfill) return;
            // Whatever holds the backfill up, live data must not wait without bound.
            _backfill = "failed: backfill did not complete while live candles piled up";
            var held = _heldDuringBackfill.ToArray();
            _heldDuringBackfill.Clear();
            await ApplyAndForwardAsync(held);
            return;
        }
        await ApplyAndForwardAsync(candles);
    }

    private async Task ApplyAndForwardAsync(IEnumerable<Candle> candles)
    {
        List<Candle>? closed = null;
        foreach (var candle in candles)
        {
            var outcome = _series.Apply(candle);
            if (outcome.Result == CandleApplyResult.Rejected) LogRejection(candle, outcome.Reason);
            if (_archive is not null && candle.IsClosed && outcome.Result is CandleApplyResult.Appended or CandleApplyResult.Closed or CandleApplyResult.Repaired)
                _archive.TryAddCandle(_key.Instrument, Timeframe, candle with { Flags = candle.Flags | CandleFlags.Closed | (outcome.Result == CandleApplyResult.Repaired ? CandleFlags.Repaired : 0) });
            if (outcome.Result is CandleApplyResult.Appended or CandleApplyResult.Closed && _series.LastClosed is { } last && last.OpenTime == candle.OpenTime)
                (closed ??= []).Add(last);
        }
        if (closed is null) return;
        try
        {
            await GrainFactory.GetGrain<IPivotGrain>(_key.Key).OnClosedCandlesAsync([.. closed]);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Pivot grain {Key} did not take {Count} closed candles", _key, closed.Count);
        }
    }

    private readonly HashSet<CandleRejectReason> _loggedReasons = [];

    /// <summary>Every rejection is counted by reason in the series; each reason is logged once per activation, with the candle.</summary>
    private void LogRejection(in Candle candle, CandleRejectReason reason)
    {
        if (_loggedReasons.Add(reason))
            _logger.LogWarning("Candle {Key} rejected ({Reason}): open {OpenTime}, close time {CloseTime}, O/H/L/C {Open}/{High}/{Low}/{Close}, volume {Volume}, source {Source}; further {Reason} rejections are only counted",
                _key, reason, candle.OpenTime, candle.CloseTime, candle.Open, candle.High, candle.Low, candle.Close, candle.Volume, candle.Source, reason);
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_busy) return;
        _busy = true;
        try
        {
            var nowOpen = Timeframe.OpenTimeOf(_time.GetUtcNow().ToUnixTimeMilliseconds());
            var lastComplete = nowOpen - Timeframe.Milliseconds;
            if (_backfill is "pending" or "running")
            {
                var from = nowOpen - _options.Capacity * Timeframe.Milliseconds;
                // With a database, start from the stored candles and fetch only the tail they miss.
                if (await RestoreAsync(cancellationToken) is { } lastStored) from = Math.Max(from, lastStored + Timeframe.Milliseconds);
                if (from > lastComplete)
                {
                    await FinishBackfillAsync("done");
                    return;
                }
                await BackfillAsync(from, lastComplete);
                return;
            }
            if (_lastRefreshTimestamp != 0 && _time.GetElapsedTime(_lastRefreshTimestamp) < _refreshPeriod) return;
            _lastRefreshTimestamp = _time.GetTimestamp();
            var liveSilent = _time.GetElapsedTime(_lastLiveTimestamp) > Timeframe.Duration || _lastLiveTimestamp == 0;
            if (liveSilent && _backfill == "done")
            {
                var from = _series.LastClosed is { } last ? last.OpenTime + Timeframe.Milliseconds : nowOpen - _options.Capacity * Timeframe.Milliseconds;
                if (from <= lastComplete) await FetchAndApplyAsync(from, lastComplete);
            }
            if (_series.Gaps.Count > 0 && _backfill == "done") await RepairOneGapAsync();
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Candle refresh for {Key} failed", _key);
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Loads the stored candles once per activation; the open time of the newest, or null when none (or no database).</summary>
    private async Task<long?> RestoreAsync(CancellationToken cancellationToken)
    {
        if (_history is null) return null;
        if (!_restored)
        {
            try
            {
                var stored = await _history.LatestClosedAsync(_key.Instrument, Timeframe, _options.Capacity, cancellationToken);
                foreach (var candle in stored) _series.Apply(candle); // straight into the cache: pivots have their own saved state
                _restored = true;
                if (stored.Length > 0) _logger.LogInformation("Candle cache {Key} restored {Count} candles from the database", _key, stored.Length);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database is down: fall back to a full REST backfill rather than waiting for it.
                _restored = true;
                _logger.LogWarning(ex, "Candle cache {Key} could not be restored from the database; backfilling from REST", _key);
            }
        }
        return _series.LastClosed?.OpenTime;
    }

    private async Task FinishBackfillAsync(string state)
    {
        _backfill = state;
        var held = _heldDuringBackfill.ToArray();
        _heldDuringBackfill.Clear();
        await ApplyAndForwardAsync(held);
    }

    /// <summary>Live candles held while the backfill waits for REST; beyond this the backfill gives up rather than hold them forever.</summary>
    private const int MaxHeldDuringBackfill = 100_000;

    private async Task BackfillAsync(long from, long to)
    {
        _backfill = "running";
        var fetch = await FetchAsync(from, to);
        if (fetch is null)
        {
            _backfill = "pending"; // no feed has registered this instrument yet
            return;
        }
        if (fetch.Source == "replay")
        {
            _backfill = "unavailable: " + string.Join("; ", fetch.Warnings);
        }
        else if (fetch.Candles.Length == 0 && !fetch.Complete)
        {
            // REST refused: try again on the next tick while live updates keep waiting, but not forever.
            if (_heldDuringBackfill.Count < MaxHeldDuringBackfill)
            {
                _backfill = "pending";
                return;
            }
            _backfill = "failed: " + _sourceReason;
        }
        else
        {
            await ApplyAndForwardAsync(fetch.Candles);
            _backfill = "done"; // an incomplete answer leaves gaps that the refresh repairs; the warnings are in SourceReason
        }
        var held = _heldDuringBackfill.ToArray();
        _heldDuringBackfill.Clear();
        await ApplyAndForwardAsync(held);
    }

    /// <summary>Gaps REST could not fill (an exchange outage has no candles), with how often they were asked for.</summary>
    private readonly Dictionary<long, int> _gapAttempts = [];
    private const int MaxGapAttempts = 3;

    /// <summary>Repairs the first gap not yet given up on; a gap REST cannot fill never blocks the ones after it.</summary>
    private async Task RepairOneGapAsync()
    {
        if (_gapAttempts.Count > 4 * MaxGapAttempts * Math.Max(1, _series.Gaps.Count))
        {
            // Forget gaps that have left the cache, so the bookkeeping stays as small as the gap list.
            var open = _series.Gaps.Select(g => g.FromOpenTime).ToHashSet();
            foreach (var key in _gapAttempts.Keys.Where(k => !open.Contains(k)).ToList()) _gapAttempts.Remove(key);
        }
        foreach (var gap in _series.Gaps)
        {
            var attempts = _gapAttempts.GetValueOrDefault(gap.FromOpenTime);
            if (attempts >= MaxGapAttempts) continue;
            _gapAttempts[gap.FromOpenTime] = attempts + 1;
            await FetchAndApplyAsync(gap.FromOpenTime, gap.ToOpenTime);
            return;
        }
    }

    private async Task FetchAndApplyAsync(long from, long to)
    {
        var fetch = await FetchAsync(from, to);
        if (fetch is { Candles.Length: > 0 }) await ApplyAndForwardAsync(fetch.Candles);
    }

    private async Task<KlineFetch?> FetchAsync(long from, long to)
    {
        var feed = await FeedGrains.ForInstrumentAsync(GrainFactory, _key.Instrument);
        if (feed is null) return null;
        var fetch = await feed.FetchKlinesAsync(_key.Instrument.Symbol, Timeframe, from, to);
        _source = fetch.Source;
        _sourceReason = fetch.SourceReason ?? (fetch.Warnings.Count > 0 ? string.Join("; ", fetch.Warnings) : null);
        return fetch;
    }


    private static string SourceName(CandleSource source) => source switch
    {
        CandleSource.BinanceStream => "binance stream",
        CandleSource.BinanceRest => "binance",
        CandleSource.MexcRest => "mexc",
        CandleSource.Trades => "trades",
        _ => "aggregated",
    };

    public Task<CandleSeriesView> GetCandlesAsync(int limit, long? asOf = null)
    {
        if (limit is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be between 1 and 100000");
        // Snapshots ask for the same candles many times a second: copy them out once per change of the series.
        if (_copied is not { } copied || copied.Version != _series.Version || copied.Limit != limit || copied.AsOf != asOf)
            _copied = copied = (_series.Version, limit, asOf, asOf is { } t ? _series.AsOf(t, limit) : _series.Latest(limit));
        var candles = copied.Candles;
        return Task.FromResult(new CandleSeriesView
        {
            Exchange = _key.Instrument.Exchange,
            Symbol = _key.Instrument.Symbol,
            Timeframe = Timeframe,
            Candles = candles,
            Forming = asOf is null ? _series.Forming : null,
            Gaps = [.. _series.Gaps.Select(g => new CandleGapView(g.FromOpenTime, g.ToOpenTime, g.Count(Timeframe.Milliseconds)))],
            Source = _source,
            SourceReason = _sourceReason,
            Rejected = _series.Counters.Rejected,
            Backfill = _backfill,
        });
    }
}
