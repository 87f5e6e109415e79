using System.Diagnostics;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Domain.Features;
using MarketData.Domain.Indicators;
using MarketData.Domain.Quality;
using MarketData.Feeds;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Pivots;
using MarketData.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace MarketData.Actors;

/// <summary>
/// The market-data grain of one instrument. Thin: it asks the candle, book, pivot and model-output grains for their
/// parts in parallel, computes indicators, lets <see cref="QualityScorer"/> judge the whole and
/// <see cref="FeatureVectorBuilder"/> flatten it. Holds no market state of its own, so it is reentrant: concurrent
/// requests overlap their fan-outs. When configured it also publishes snapshots on the <c>base-input</c> stream.
/// </summary>
[Reentrant]
public sealed class MarketDataGrain : Grain, IMarketDataGrain
{
    // A followed reference rarely stops being followed; an unfollowed one may be followed any moment (a replay
    // registers symbols as it meets them), so a "no" is trusted for a second only.
    private static readonly TimeSpan FollowedCacheFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan NotFollowedCacheFor = TimeSpan.FromSeconds(1);

    /// <summary>Williams levels in a snapshot: all five.</summary>
    public const int PivotLevels = 5;

    private readonly ILogger<MarketDataGrain> _logger;
    private readonly TimeProvider _time;
    private readonly LastValidOptions<BaseInputOptions> _options;
    private readonly FeatureVectorBuilder _features = new();
    private Instrument _instrument;
    private (string Symbol, bool Followed, long CheckedAt)? _reference;
    private IGrainTimer? _publisher;
    private bool _publishing;

    public MarketDataGrain(ILogger<MarketDataGrain> logger, TimeProvider time, LastValidOptions<BaseInputOptions> options)
    {
        _logger = logger;
        _time = time;
        _options = options;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _instrument = Instrument.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<BaseDataResult> GetBaseDataInputAsync(BaseDataRequest request)
    {
        var (input, report) = await AssembleAndScoreAsync(request);
        return new BaseDataResult { Input = report.Accepted ? input with { Quality = report } : null, Quality = report };
    }

    public async Task<FeatureResult> GetFeatureVectorAsync(BaseDataRequest request)
    {
        var (input, report) = await AssembleAndScoreAsync(request);
        if (!report.Accepted) return new FeatureResult { Quality = report };
        var options = _options.Value;
        var layout = FeatureLayouts.Create(input.Requirements, options.BucketSlots);
        var values = _features.Build(input with { Quality = report }, layout);
        return new FeatureResult
        {
            Vector = new FeatureVector { LayoutVersion = layout.Version, Timestamp = input.Timestamp, Values = values, Quality = report },
            Quality = report,
        };
    }

    public Task<FeatureLayout> GetFeatureLayoutAsync()
    {
        var options = _options.Value;
        return Task.FromResult(FeatureLayouts.Create(options.Requirements(), options.BucketSlots));
    }

    private async Task<(BaseDataInput Input, QualityReport Report)> AssembleAndScoreAsync(BaseDataRequest request, bool forStream = false)
    {
        CheckRequest(request, _time.GetUtcNow().ToUnixTimeMilliseconds());
        var started = Stopwatch.GetTimestamp();
        var options = _options.Value;
        var input = await AssembleAsync(request, options);
        var report = QualityScorer.Score(input, request.MinQuality, options.Quality);
        MarketDataMetrics.RecordAssembly(Stopwatch.GetElapsedTime(started), report.Accepted || forStream);
        return (input, report);
    }

    /// <summary>How far ahead of the silo's clock an <c>asOf</c> may lie (clock skew); later would not be reproducible.</summary>
    public static readonly TimeSpan MaxAsOfSkew = TimeSpan.FromSeconds(5);

    private static void CheckRequest(BaseDataRequest request, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!(request.MinQuality is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(request), request.MinQuality, "minQuality must be a number from 0 to 1.");
        if (request.AsOf is <= 0)
            throw new ArgumentOutOfRangeException(nameof(request), request.AsOf, "asOf must be a positive Unix time in milliseconds.");
        if (request.AsOf > nowMs + (long)MaxAsOfSkew.TotalMilliseconds)
            throw new ArgumentOutOfRangeException(nameof(request), request.AsOf, "asOf must not lie in the future: the same request must always give the same snapshot.");
        if (request.Model is { } model && !ModelOutputKey.IsValidModelName(model))
            throw new ArgumentException(ModelOutputKey.InvalidModelName(model), nameof(request));
    }

    /// <summary>Every part asked for at once; each grain answers from its own state, so the fan-out costs one round of calls.</summary>
    private async Task<BaseDataInput> AssembleAsync(BaseDataRequest request, BaseInputOptions options)
    {
        var requirements = options.Requirements();
        var now = _time.GetUtcNow();
        var asOf = request.AsOf;
        var timestamp = asOf ?? now.ToUnixTimeMilliseconds();
        // One rule for "known at T" across parts: a candle (or the candle confirming a pivot) closing at ms C is
        // known from C + 1, as the aggregate of second S is known from S + 1000. Grains count "closed by X" as
        // close time <= X, so they are asked for T - 1.
        long? closedBy = asOf - 1;

        var c1s = CandlesAsync(_instrument, Timeframe.OneSecond, requirements.Frames1s, closedBy);
        var c1m = CandlesAsync(_instrument, Timeframe.OneMinute, requirements.Frames1m, closedBy);
        var c1h = CandlesAsync(_instrument, Timeframe.OneHour, requirements.Frames1h, closedBy);
        var c1d = CandlesAsync(_instrument, Timeframe.OneDay, requirements.Frames1d, closedBy);
        var reference = ReferenceCandlesAsync(requirements, closedBy);
        var book = GrainFactory.GetGrain<IOrderBookGrain>(_instrument.Key).GetInputViewAsync(asOf, requirements.HeatmapSeconds, options.HeatmapMetric);
        var pivotGrain = GrainFactory.GetGrain<IPivotGrain>(new CandleSeriesKey(_instrument, requirements.PivotTimeframe).Key);
        var pivots = pivotGrain.GetPivotsAsync(PivotLevels, closedBy, options.PivotsPerLevel);
        var bounds = pivotGrain.GetBoundsAsync(closedBy);
        // Outputs always up to the snapshot's time: a model's clock may run ahead of the silo's by the allowed skew.
        var outputs = GrainFactory.GetGrain<IModelOutputIndexGrain>(_instrument.Key).GetLatestAsync(request.Model, timestamp);
        await Task.WhenAll(c1s, c1m, c1h, c1d, reference, book, pivots, bounds, outputs);

        var candles1s = Frames(c1s.Result, requirements.Frames1s);
        var candles1m = Frames(c1m.Result, requirements.Frames1m);
        var candles1h = Frames(c1h.Result, requirements.Frames1h);
        var candles1d = Frames(c1d.Result, requirements.Frames1d);
        var bookView = book.Result;
        var pivotView = pivots.Result;
        return new BaseDataInput
        {
            Exchange = _instrument.Exchange,
            Symbol = _instrument.Symbol,
            Timestamp = timestamp,
            AssembledAt = now.UtcDateTime,
            Requirements = requirements,
            Candles1s = candles1s,
            Candles1m = candles1m,
            Candles1h = candles1h,
            Candles1d = candles1d,
            Reference1s = reference.Result,
            Book = bookView,
            Microstructure = MicrostructureOf(bookView),
            Pivots = new PivotSet
            {
                Timeframe = requirements.PivotTimeframe,
                Levels = pivotView.Levels,
                Trends = pivotView.Trends,
                Bounds = bounds.Result,
                Progress = pivotView.Progress.State,
            },
            Indicators =
            [
                Indicators(candles1s, options.Indicators),
                Indicators(candles1m, options.Indicators),
                Indicators(candles1h, options.Indicators),
                Indicators(candles1d, options.Indicators),
            ],
            ModelOutputs = outputs.Result,
            Quality = Unscored(timestamp),
        };
    }

    /// <summary>Stands in for the report until the scorer has judged the snapshot; never leaves the grain.</summary>
    private static QualityReport Unscored(long asOf) => new()
    {
        Completeness = new QualityComponent { Name = "completeness", Explanation = "not scored yet" },
        Freshness = new QualityComponent { Name = "freshness", Explanation = "not scored yet" },
        Consistency = new QualityComponent { Name = "consistency", Explanation = "not scored yet" },
        Problems = [],
        AsOf = asOf,
    };

    private Task<CandleSeriesView> CandlesAsync(Instrument instrument, Timeframe timeframe, int frames, long? asOf)
        => GrainFactory.GetGrain<ICandleGrain>(new CandleSeriesKey(instrument, timeframe).Key).GetCandlesAsync(frames, asOf);

    /// <summary>The reference symbol's 1s candles; an unfollowed reference gives an empty series (the report says so) rather than a cache that can never fill.</summary>
    private async Task<CandleFrames> ReferenceCandlesAsync(InputRequirements requirements, long? asOf)
    {
        var symbol = requirements.ReferenceSymbol;
        var instrument = new Instrument(_instrument.Exchange, symbol);
        if (!await IsFollowedAsync(symbol))
            return new CandleFrames { Symbol = symbol, Timeframe = Timeframe.OneSecond, Requested = requirements.ReferenceFrames1s, Candles = [], Source = "not followed" };
        return Frames(await CandlesAsync(instrument, Timeframe.OneSecond, requirements.ReferenceFrames1s, asOf), requirements.ReferenceFrames1s);
    }

    private async Task<bool> IsFollowedAsync(string symbol)
    {
        if (symbol == _instrument.Symbol) return true;
        var now = _time.GetTimestamp();
        if (_reference is { } known && known.Symbol == symbol
            && _time.GetElapsedTime(known.CheckedAt) < (known.Followed ? FollowedCacheFor : NotFollowedCacheFor)) return known.Followed;
        var followed = await GrainFactory.GetGrain<IFeedRegistryGrain>(0).IsFollowedAsync(_instrument.Exchange, symbol);
        _reference = (symbol, followed, now);
        return followed;
    }

    private static CandleFrames Frames(CandleSeriesView view, int requested) => new()
    {
        Symbol = view.Symbol,
        Timeframe = view.Timeframe,
        Requested = requested,
        Candles = PackedCandles.From(view.Candles),
        Gaps = view.Gaps,
        Source = view.Source,
        Backfill = view.Backfill,
    };

    private static IndicatorSet Indicators(CandleFrames frames, IndicatorSettings settings)
    {
        var candles = frames.Candles is PackedCandles packed ? packed.Span : [.. frames.Candles];
        return TechnicalIndicators.Compute(frames.Timeframe, candles, settings);
    }

    /// <summary>Spread, depth, imbalance and flow of the aggregated second: the same book state the aggregate describes.</summary>
    private static Microstructure? MicrostructureOf(BookInputView book)
    {
        if (book.Aggregate is not { IsGap: false } a) return null;
        return new Microstructure
        {
            Time = a.Time,
            BookUpdateId = a.BookUpdateId,
            Mid = a.Mid,
            Spread = a.Spread,
            SpreadBps = a.Mid > 0 ? (double)a.Spread / a.Mid * 10_000 : 0,
            BidDepth = a.BidDepth,
            AskDepth = a.AskDepth,
            Imbalance = a.Imbalance,
            LastSecond = a.Flow,
            LastMinute = book.RecentFlow,
            BidTouchVerified = a.BidTouchVerified,
            AskTouchVerified = a.AskTouchVerified,
        };
    }

    public Task EnsurePublishingAsync()
    {
        var interval = _options.Value.PublishInterval;
        if (interval <= TimeSpan.Zero) return Task.CompletedTask;
        if (_publisher is not null && interval == _publishInterval) return Task.CompletedTask;
        _publisher?.Dispose();
        _publishInterval = interval;
        _publisher = this.RegisterGrainTimer(PublishAsync, new GrainTimerCreationOptions
        {
            DueTime = interval,
            Period = interval,
            Interleave = false,
            KeepAlive = true,
        });
        return Task.CompletedTask;
    }

    private TimeSpan _publishInterval;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _publisher?.Dispose();
        _publisher = null;
        return Task.CompletedTask;
    }

    /// <summary>One snapshot per interval; a slow assembly skips ticks rather than piling them up.</summary>
    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (_publishing) return;
        var options = _options.Value;
        if (options.PublishInterval != _publishInterval)
        {
            // Reconfigured: zero stops publishing (and lets the grain go idle); another interval takes over.
            _publisher?.Dispose();
            _publisher = null;
            await EnsurePublishingAsync();
            return;
        }
        _publishing = true;
        try
        {
            var (input, report) = await AssembleAndScoreAsync(new BaseDataRequest { MinQuality = options.PublishMinQuality }, forStream: true);
            var result = new BaseDataResult { Input = report.Accepted ? input with { Quality = report } : null, Quality = report };
            if (result.Input is null)
            {
                MarketDataMetrics.SnapshotsWithheld.Add(1);
                return;
            }
            var stream = this.GetStreamProvider(MarketStreams.SnapshotProvider).GetStream<BaseDataInput>(StreamId.Create(MarketStreams.BaseInput, _instrument.Key));
            await stream.OnNextAsync(result.Input);
            MarketDataMetrics.SnapshotsPublished.Add(1);
        }
        catch (Exception ex)
        {
            // The next tick tries again; a failed publish is counted and logged, never thrown into the timer.
            MarketDataMetrics.SnapshotsFailed.Add(1);
            _logger.LogWarning(ex, "Publishing the snapshot of {Instrument} failed", _instrument);
        }
        finally
        {
            _publishing = false;
        }
    }
}
