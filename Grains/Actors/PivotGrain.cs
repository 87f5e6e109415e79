using MarketData.Candles;
using MarketData.Domain.Pivots;
using MarketData.Feeds;
using MarketData.Pivots;
using MarketData.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace MarketData.Actors;

/// <summary>What a pivot grain keeps across activations: the engine's snapshot.</summary>
[GenerateSerializer, Alias("MarketData.PivotGrainState")]
public sealed class PivotGrainState
{
    /// <summary>The snapshot as Orleans fields: what earlier builds saved. Read on activation, never written now.</summary>
    [Id(0)] public PivotEngineSnapshot? Engine { get; set; }

    /// <summary>The snapshot in <see cref="PivotSnapshotCodec"/> form, a third of the size of <see cref="Engine"/>.</summary>
    [Id(1)] public byte[]? EncodedEngine { get; set; }
}

/// <summary>
/// Williams market structure of one instrument and timeframe. Thin: a <see cref="WilliamsPivotEngine"/> holds the
/// rules. The analysis window (1s: 30 days = 2,592,000 candles) fills from REST, oldest first, one request of
/// 1,000 candles per <see cref="CandleOptions.PivotFillRequestInterval"/> so the fill never crowds the REST
/// budget; closed candles from the candle grain wait until the fill reaches them, so the engine sees every
/// candle once and in order. State is saved periodically and on deactivation; a reactivated grain continues
/// from its snapshot and fills only what it missed. Reentrant: fetches await without holding up queries.
/// </summary>
[Reentrant]
public sealed class PivotGrain(
    [PersistentState("pivots", StorageNames.MarketData)] IPersistentState<PivotGrainState> state,
    ILogger<PivotGrain> logger,
    TimeProvider time,
    IOptions<CandleOptions> options) : Grain, IPivotGrain
{
    private const int FetchSize = 1_000;
    private readonly CandleOptions _options = options.Value;
    private readonly List<Candle> _waiting = [];
    private CandleSeriesKey _key;
    private WilliamsPivotEngine _engine = null!;
    private string _fill = "pending";
    private long _windowStart, _fillFrom, _fetched;
    private string? _lastError;
    private bool _fetching, _started, _dirty;
    private IFeedGrain? _feed;
    private IGrainTimer? _fillTimer;

    private Timeframe Timeframe => _key.Timeframe;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = CandleSeriesKey.Parse(this.GetPrimaryKeyString());
        var window = (long)_options.PivotWindow(Timeframe).TotalMilliseconds;
        var pivotOptions = new PivotOptions
        {
            WindowMs = window,
            // On short timeframes level-1 points are a third of all candles: support/resistance from level 2 up.
            SupportResistanceMinLevel = Timeframe.Milliseconds >= Timeframe.OneHour.Milliseconds ? 1 : 2,
        };
        if (Restore(state.State, time, out var restored, out var error))
        {
            _engine = restored!;
        }
        else
        {
            if (error is not null) logger.LogWarning("Pivot state for {Key} not usable ({Error}); starting over", _key, error);
            _engine = new WilliamsPivotEngine(pivotOptions, time);
        }
        // Imported: the engine holds the data now (see SaveAsync).
        state.State.Engine = null;
        state.State.EncodedEngine = null;
        _windowStart = Timeframe.OpenTimeOf(time.GetUtcNow().ToUnixTimeMilliseconds()) - window;
        _fillFrom = _engine.LastCloseTime is { } last ? Timeframe.OpenTimeOf(last) + Timeframe.Milliseconds : _windowStart;
        this.RegisterGrainTimer(SaveAsync, new GrainTimerCreationOptions { DueTime = FirstSaveDelay(_options.PivotSaveInterval), Period = _options.PivotSaveInterval });
        // Fill (or top up, after a reactivation) right away rather than waiting for the next closed candle,
        // which for 1d may be a day away.
        return EnsureStartedAsync();
    }

    /// <summary>
    /// How long the grain stays active after a closed candle without another call: two periods of its timeframe. Its
    /// candle grain calls it once a closed candle, so with Orleans' idle collection alone (15 minutes by default) a 1h
    /// or 1d grain would be collected between closes and, at the next one, restored from storage and topped up from
    /// REST: for every symbol at once, at the top of every hour. Only closed candles (which come from a followed
    /// instrument) extend it, so a grain a caller merely queried is collected at the default age. The 1s and 1m grains
    /// are called often enough for the default.
    /// </summary>
    internal static TimeSpan KeepActiveFor(Timeframe timeframe) => TimeSpan.FromMilliseconds(2.0 * timeframe.Milliseconds);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!SavesOnDeactivation(reason, ServiceProvider.GetService<GrainStateDurability>()))
        {
            await base.OnDeactivateAsync(reason, cancellationToken);
            return;
        }
        try
        {
            await SaveAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // Deactivation cannot be retried (at silo shutdown the storage may already be gone): say what is lost.
            logger.LogWarning("Pivot state of {Key} not saved on deactivation ({Reason}): {Error}; it is refilled on the next activation",
                _key, reason.Description, ex.Message);
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>
    /// Whether a deactivation saves the engine: always, except when the silo shuts down with memory storage, which dies
    /// with the process (and whose grains are deactivating at the same moment, so the write could only fail).
    /// </summary>
    internal static bool SavesOnDeactivation(DeactivationReason reason, GrainStateDurability? durability)
        => !(reason.ReasonCode == DeactivationReasonCode.ShuttingDown && durability is { OutlivesSilo: false });

    /// <summary>The engine saved in <paramref name="saved"/>: false with no error when nothing was saved, with the reason when it is not usable.</summary>
    internal static bool Restore(PivotGrainState saved, TimeProvider time, out WilliamsPivotEngine? engine, out string? error)
    {
        engine = null;
        error = null;
        PivotEngineSnapshot? snapshot;
        if (saved.EncodedEngine is { } encoded)
        {
            if (!PivotSnapshotCodec.TryDecode(encoded, out snapshot, out error)) return false;
        }
        else
        {
            snapshot = saved.Engine;
        }
        return snapshot is not null && WilliamsPivotEngine.TryImport(snapshot, time, out engine, out error);
    }

    /// <summary>
    /// A random point within the first interval. Grains activated together (every symbol at silo start) would
    /// otherwise all export their engines in the same instant of every interval: a burst of garbage the size of
    /// every window at once (a resident-memory sawtooth at the interval in the one-hour soak). Spread out, each
    /// save's copy is collected before the next grain makes its own.
    /// </summary>
    internal static TimeSpan FirstSaveDelay(TimeSpan interval, double? unit = null)
        => TimeSpan.FromTicks(Math.Max(1, (long)(interval.Ticks * (1 - (unit ?? Random.Shared.NextDouble())))));

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (!_dirty) return;
        var encoded = PivotSnapshotCodec.Encode(_engine.Export());
        // Cleared before the write (and after the export, which could throw): candles added while it awaits (the
        // grain is reentrant) mark it dirty again.
        _dirty = false;
        state.State.Engine = null;
        state.State.EncodedEngine = encoded;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _dirty = true;
            throw;
        }
        finally
        {
            // The snapshot is a full copy of the engine (12 MB encoded at a 30-day 1s window): written, it is the
            // storage's to keep, not this grain's. Activation reads it back; every save exports anew.
            state.State.EncodedEngine = null;
        }
    }

    public Task EnsureStartedAsync()
    {
        if (_started) return Task.CompletedTask;
        _started = true;
        if (!_options.PivotFill)
        {
            _fill = "off";
            return Task.CompletedTask;
        }
        _fill = "running";
        _fillTimer = this.RegisterGrainTimer(FillStepAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = _options.PivotFillRequestInterval });
        return Task.CompletedTask;
    }

    public async Task OnClosedCandlesAsync(Candle[] candles)
    {
        DelayDeactivation(KeepActiveFor(Timeframe));
        await EnsureStartedAsync();
        if (_fill == "running") _waiting.AddRange(candles);
        else Add(candles);
    }

    private void Add(IEnumerable<Candle> candles)
    {
        foreach (var candle in candles)
            if (_engine.Add(candle) == CandleAddResult.Added) _dirty = true;
    }

    /// <summary>One REST request towards the window; when the fill meets the live candles, it hands over to them.</summary>
    private async Task FillStepAsync(CancellationToken cancellationToken)
    {
        if (_fill != "running" || _fetching) return;
        _fetching = true;
        try
        {
            var liveFrom = _waiting.Count > 0 ? _waiting[0].OpenTime : Timeframe.OpenTimeOf(time.GetUtcNow().ToUnixTimeMilliseconds());
            var to = Math.Min(_fillFrom + (FetchSize - 1) * Timeframe.Milliseconds, liveFrom - Timeframe.Milliseconds);
            if (_fillFrom > to)
            {
                FinishFill("done");
                return;
            }
            _feed ??= await FeedGrains.ForInstrumentAsync(GrainFactory, _key.Instrument);
            if (_feed is null)
            {
                _failedSteps++;
                return;
            }
            var fetch = await _feed.FetchKlinesAsync(_key.Instrument.Symbol, Timeframe, _fillFrom, to);
            if (fetch.Source == "replay")
            {
                FinishFill("unavailable: a replay has no REST; pivots come from the replayed candles only");
                return;
            }
            Add(fetch.Candles);
            _fetched += fetch.Candles.Length;
            if (!fetch.Complete && fetch.NextOpenTime <= _fillFrom) _failedSteps++;
            else _failedSteps = 0;
            _lastError = fetch.Warnings.Count > 0 ? string.Join("; ", fetch.Warnings) : null;
            // A complete answer moves past the range even when it was empty (an exchange outage); an incomplete
            // one resumes where it stopped, or retries the same range on the next step.
            if (fetch.Complete) _fillFrom = to + Timeframe.Milliseconds;
            else if (fetch.NextOpenTime > _fillFrom) _fillFrom = fetch.NextOpenTime;
        }
        catch (Exception ex)
        {
            _lastError = ex.Message;
            _failedSteps++;
            logger.LogWarning(ex, "Pivot window fill for {Key} failed; retrying", _key);
        }
        finally
        {
            _fetching = false;
        }
        // REST that keeps refusing must not park live candles forever: give up the history, keep the present.
        if (_fill == "running" && (_failedSteps >= MaxFailedFillSteps || _waiting.Count > MaxWaiting))
        {
            logger.LogWarning("Pivot window fill for {Key} gave up after {Steps} failed steps: {Error}", _key, _failedSteps, _lastError);
            FinishFill($"failed: {_lastError ?? "no feed serves REST for this instrument"}");
        }
    }

    /// <summary>About two minutes of failed requests at the default spacing.</summary>
    private const int MaxFailedFillSteps = 480;
    private const int MaxWaiting = 200_000;
    private int _failedSteps;

    private void FinishFill(string outcome)
    {
        _fill = outcome;
        // The fill never runs again in this activation: an idle timer would still cost a grain turn per interval
        // (every 250 ms, for each of a silo's thousands of pivot grains, for as long as they stay active).
        _fillTimer?.Dispose();
        _fillTimer = null;
        Add(_waiting);
        _waiting.Clear();
        _waiting.TrimExcess(); // it held the candle grain's backfill (up to 1,500 candles, 80 KB) and is never used again
    }


    public Task<PivotsView> GetPivotsAsync(int levels, long? asOf = null, int maxPerLevel = 500)
    {
        if (levels < 1 || levels > _engine.Levels) throw new ArgumentOutOfRangeException(nameof(levels), levels, $"levels must be between 1 and {_engine.Levels}");
        if (maxPerLevel < 1) throw new ArgumentOutOfRangeException(nameof(maxPerLevel), maxPerLevel, "maxPerLevel must be positive");
        var all = _engine.GetAllPivots(asOf, maxPerLevel);
        return Task.FromResult(new PivotsView
        {
            Exchange = _key.Instrument.Exchange,
            Symbol = _key.Instrument.Symbol,
            Timeframe = Timeframe,
            Levels = all.Take(levels).ToArray(),
            Trends = Enumerable.Range(1, levels).Select(level => _engine.TrendOf(level, asOf)).ToArray(),
            AsOf = asOf ?? _engine.LastCloseTime ?? 0,
            CandlesAnalysed = _engine.CandleCount,
            Progress = Progress(),
        });
    }

    public Task<PivotBounds?> GetBoundsAsync(long? asOf = null) => Task.FromResult(_engine.GetBounds(asOf));

    private PivotProgress Progress()
    {
        var span = Math.Max(1, Timeframe.OpenTimeOf(time.GetUtcNow().ToUnixTimeMilliseconds()) - _windowStart);
        var filledUntil = Math.Max(_windowStart, _fillFrom);
        return new PivotProgress
        {
            State = _fill,
            WindowStart = _windowStart,
            FilledUntil = filledUntil,
            Fraction = _fill.StartsWith("done", StringComparison.Ordinal) ? 1 : Math.Clamp((double)(filledUntil - _windowStart) / span, 0, 1),
            CandlesFetched = _fetched,
            LastError = _lastError,
        };
    }
}
