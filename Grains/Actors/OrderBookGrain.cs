using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Domain.Heatmap;
using MarketData.Domain.Books;
using MarketData.Instruments;
using MarketData.Storage;
using MarketData.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace MarketData.Actors;

/// <summary>
/// The L2 book of one instrument. Thin: it owns an <see cref="OrderBookSynchronizer"/> (all the sync rules
/// live there), feeds it from the depth stream, asks the publishing feed for snapshots when the synchroniser
/// says so, and turns silence into <see cref="BookStatus.Stale"/>. It also owns the book's per-second aggregation
/// (<see cref="BookSeconds"/>), its 30-minute raw tick buffer and heatmap, since they read the book as it stands.
/// </summary>
[ImplicitStreamSubscription(MarketStreams.Depth)]
[ImplicitStreamSubscription(MarketStreams.Trades)]
public sealed class OrderBookGrain : Grain, IOrderBookGrain, IStreamSubscriptionObserver, IAsyncObserver<MarketEventBatch>
{
    public const int MaxDepth = 5000;

    private readonly ILogger<OrderBookGrain> _logger;
    private readonly TimeProvider _time;
    private readonly OrderBookOptions _options;
    private readonly StreamBatchSequence _sequence = new();
    private readonly StreamBatchSequence _tradeSequence = new();
    private readonly IOptionsMonitor<CobOptions> _cobOptions;
    private BookSeconds _seconds = null!;
    private OrderBookSynchronizer _sync = null!;
    private Instrument _instrument;
    private (string FeedId, FeedKind Kind)? _feed;
    private DateTime _lastHeard;
    private DateTime? _snapshotRequestedAt;
    private string? _snapshotRequestReason;
    private Domain.Books.CoverageRefreshRule _refreshRule = null!;
    private TimeSpan _refreshPeriod;
    private DateTime? _refreshRequestedAt;      // when this book last asked for a refresh (the minimum interval)
    private DateTime? _refreshOutstandingSince; // when the refresh under way began (or was first seen, if not asked for)
    private long _refreshSeen;                  // which one: the synchroniser's count of refreshes begun

    private readonly IMarketDataArchive? _archive;
    private readonly BookArchiveOptions _archiveOptions;
    private long _lastArchivedSnapshot;

    // Metrics: tags built once per activation, so recording allocates nothing; the status last told to the silo's registry.
    private readonly BookStatusRegistry? _statuses;
    private BookStatus? _reportedStatus;
    private KeyValuePair<string, object?> _exchangeTag, _symbolTag;

    public OrderBookGrain(ILogger<OrderBookGrain> logger, TimeProvider time, IOptions<OrderBookOptions> options, IOptionsMonitor<CobOptions> cobOptions,
        IServiceProvider services)
    {
        _logger = logger;
        _time = time;
        _options = options.Value;
        _cobOptions = cobOptions;
        // Present only with a database: the embedded default keeps everything in memory.
        _archive = services.GetService<IMarketDataArchive>();
        _archiveOptions = services.GetService<IOptions<BookArchiveOptions>>()?.Value ?? new BookArchiveOptions();
        _statuses = services.GetService<BookStatusRegistry>();
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _instrument = Instrument.Parse(this.GetPrimaryKeyString());
        _sync = new OrderBookSynchronizer(_options.MaxBufferedDiffs);
        _refreshRule = _options.RefreshRule();
        _refreshPeriod = SpreadPeriod();
        _seconds = new BookSeconds(_instrument.Symbol, _sync, _cobOptions, _time);
        if (_archive is { } archive) _seconds.Committed = second => archive.TryAddCob(_instrument, second);
        _lastHeard = Now;
        _exchangeTag = new("exchange", _instrument.Exchange);
        _symbolTag = new("symbol", _instrument.Symbol);
        ReportStatus();
        this.RegisterGrainTimer(CheckAsync, new GrainTimerCreationOptions
        {
            DueTime = _options.CheckInterval,
            Period = _options.CheckInterval,
            Interleave = false,
            KeepAlive = false,
        });
        return Task.CompletedTask;
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>The publishing feed when it is live (it can be restarted and can fetch); null for a replay or before the first batch.</summary>
    private (string FeedId, FeedKind Kind)? LiveFeed => _feed is { Kind: not FeedKind.Replay } feed ? feed : null;

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => await handleFactory.Create<MarketEventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(MarketEventBatch batch, StreamSequenceToken? token = null)
    {
        if (batch.Events.Length > 0 && batch.Events[0] is TradeEvent)
        {
            // Trades feed the second's trade flow and the tick buffer; they never touch the book.
            if (_tradeSequence.Check(batch) == BatchOrder.Duplicate) return;
            try
            {
                // Archived first and apart: a fault in the aggregation must not cost the archive a trade.
                if (_archive is { } archive)
                    foreach (var e in batch.Events)
                        if (e is TradeEvent trade) archive.TryAddTrade(_instrument, trade);
                foreach (var e in batch.Events)
                    if (e is TradeEvent trade) _seconds.OnTrade(trade);
            }
            catch (Exception ex)
            {
                // A bug in the aggregation must not cost the stream delivery; the book itself is untouched.
                _logger.LogError(ex, "Per-second aggregation of {Instrument} failed on trades", _instrument);
            }
            return;
        }
        switch (_sequence.Check(batch))
        {
            case BatchOrder.Duplicate:
                return; // at-least-once delivery: already applied
            case BatchOrder.Gap:
                // Stream batches were lost: the next diff will show a gap, but say so now.
                _sync.MarkStale("stream batches lost between feed and book");
                break;
        }
        _feed = (batch.FeedId, batch.FeedKind);
        _lastHeard = Now;
        var counters = _sync.Counters;
        long appliedBefore = counters.DiffsApplied, gapsBefore = counters.Gaps, resyncsBefore = counters.Resyncs;
        // A replay's event times are the recording's, not now: its lag would measure the recording's age.
        var measureLag = batch.FeedKind != FeedKind.Replay && BookMetrics.UpdateLag.Enabled;

        foreach (var e in batch.Events)
        {
            // Seconds close by exchange time: a diff of a later second first closes the seconds before it,
            // aggregating the book as it stood at their end.
            if (e is DepthDiff d) SecondsBeforeDiff(d);
            var action = e switch
            {
                DepthDiff diff => ApplyDiff(diff, measureLag),
                DepthSnapshot snapshot => OnSnapshot(snapshot),
                FeedInterrupted interrupted => MarkStale(interrupted.Reason),
                _ => SyncAction.None, // heartbeats only refresh _lastHeard
            };
            if (action.RequestSnapshot)
                await RequestSnapshotAsync(action.Reason ?? "snapshot needed");
            ArchiveSnapshot();
        }
        RecordBatch(counters.DiffsApplied - appliedBefore, counters.Gaps - gapsBefore, counters.Resyncs - resyncsBefore);
    }

    /// <summary>Applies a diff; when it went into the book (not buffered, not dropped), records its end-to-end lag.</summary>
    private SyncAction ApplyDiff(DepthDiff diff, bool measureLag)
    {
        var applied = _sync.Counters.DiffsApplied;
        var action = _sync.OnDiff(diff);
        if (measureLag && diff.EventTime > 0 && _sync.Counters.DiffsApplied != applied)
        {
            var lag = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds - diff.EventTime;
            BookMetrics.UpdateLag.Record(Math.Max(0, lag), _exchangeTag);
        }
        return action;
    }

    /// <summary>One batch's worth of book counters (one add per batch, not per diff) and the status the batch left.</summary>
    private void RecordBatch(long applied, long gaps, long resyncs)
    {
        if (applied > 0) BookMetrics.Updates.Add(applied, _exchangeTag, _symbolTag);
        if (gaps > 0) BookMetrics.Gaps.Add(gaps, _exchangeTag, _symbolTag);
        if (resyncs > 0) BookMetrics.Resyncs.Add(resyncs, _exchangeTag, _symbolTag);
        ReportStatus();
    }

    private static readonly KeyValuePair<string, object?> OutcomeRequested = new("outcome", "requested"), OutcomeApplied = new("outcome", "applied"),
        OutcomeDiscarded = new("outcome", "discarded"), OutcomeFailed = new("outcome", "failed"), LevelsFilled = new("kind", "filled"), LevelsCorrected = new("kind", "corrected");
    private long _refreshApplied, _refreshDiscarded, _refreshFailed, _refreshFills, _refreshCorrections;

    /// <summary>Refresh outcomes since the last report, as metrics (a few comparisons when nothing changed).</summary>
    private void ReportRefreshes()
    {
        var c = _sync.Counters;
        Report(c.RefreshesApplied, ref _refreshApplied, BookMetrics.Refreshes, OutcomeApplied);
        Report(c.RefreshesDiscarded, ref _refreshDiscarded, BookMetrics.Refreshes, OutcomeDiscarded);
        Report(c.RefreshesFailed, ref _refreshFailed, BookMetrics.Refreshes, OutcomeFailed);
        Report(c.RefreshFills, ref _refreshFills, BookMetrics.RefreshLevels, LevelsFilled);
        if (c.RefreshCorrections != _refreshCorrections)
            _logger.LogWarning("{Instrument}: a coverage refresh corrected {Levels} level(s) inside the verified range: {LastRefresh}", _instrument,
                c.RefreshCorrections - _refreshCorrections, _sync.LastRefresh);
        Report(c.RefreshCorrections, ref _refreshCorrections, BookMetrics.RefreshLevels, LevelsCorrected);

        void Report(long now, ref long reported, System.Diagnostics.Metrics.Counter<long> counter, KeyValuePair<string, object?> tag)
        {
            if (now == reported) return;
            counter.Add(now - reported, _exchangeTag, _symbolTag, tag);
            reported = now;
        }
    }

    /// <summary>Tells the silo's registry when the status changed (cheap to call after every batch and check).</summary>
    private void ReportStatus()
    {
        ReportRefreshes();
        if (_statuses is null) return;
        var status = _sync.Status;
        if (_reportedStatus == status) return;
        if (_reportedStatus is { } before) _statuses.Changed(before, status);
        else _statuses.Added(status);
        _reportedStatus = status;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_reportedStatus is { } status) _statuses?.Removed(status);
        _reportedStatus = null;
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Closes seconds before the diff is applied; a failure there must never keep the diff from the book.</summary>
    private void SecondsBeforeDiff(DepthDiff diff)
    {
        try
        {
            _seconds.BeforeDiff(diff);
            if (_seconds.ConfigError is { } error && error != _loggedConfigError)
            {
                _loggedConfigError = error;
                _logger.LogWarning("{Instrument}: {Error}", _instrument, error);
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Per-second aggregation of {Instrument} failed", _instrument);
        }
    }

    private string? _loggedConfigError;

    private SyncAction OnSnapshot(DepthSnapshot snapshot)
    {
        if (snapshot.IsStoredState)
        {
            try { _seconds.BeforeStoredState(snapshot); }
            catch (Exception ex) { _logger.LogError(ex, "Per-second aggregation of {Instrument} failed", _instrument); }
        }
        _snapshotRequestedAt = null;
        return _sync.OnSnapshot(snapshot);
    }

    private SyncAction MarkStale(string reason)
    {
        _sync.MarkStale($"feed interrupted: {reason}");
        return SyncAction.None;
    }

    private async Task RequestSnapshotAsync(string reason)
    {
        if (_feed is not { } feed) return;
        _snapshotRequestedAt = Now;
        _snapshotRequestReason = reason;
        try
        {
            await FeedGrains.Get(GrainFactory, feed.Kind, feed.FeedId).RequestSnapshotAsync(_instrument.Symbol, reason);
        }
        catch (Exception ex)
        {
            // The periodic check asks again; a failed request must not fail stream delivery.
            _logger.LogWarning(ex, "Snapshot request for {Instrument} to feed {Feed} failed", _instrument, feed.FeedId);
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = Now;
        try { _seconds.Advance(); }
        catch (Exception ex) { _logger.LogError(ex, "Per-second aggregation of {Instrument} failed", _instrument); }
        var silentFor = now - _lastHeard;
        if (_sync.Status == BookStatus.Synced && silentFor > _options.StaleAfter)
            _sync.MarkStale($"no data from the feed for {silentFor.TotalSeconds:F0} s");
        ReportStatus();

        // A live feed that went silent may have been deactivated: poking it brings ingestion back well
        // before its reminder would.
        if (silentFor > _options.StaleAfter && LiveFeed is { } feed)
        {
            try { await FeedGrains.Get(GrainFactory, feed.Kind, feed.FeedId).EnsureStartedAsync(); }
            catch (Exception ex) { _logger.LogWarning(ex, "Could not restart feed {Feed} for silent book {Instrument}", feed.FeedId, _instrument); }
        }

        var waiting = _sync.Status is BookStatus.Syncing or BookStatus.Resyncing;
        if (waiting && _snapshotRequestedAt is { } asked && now - asked > _options.SnapshotRetryAfter)
            await RequestSnapshotAsync($"{_snapshotRequestReason} (no snapshot after {_options.SnapshotRetryAfter.TotalSeconds:F0} s, asking again)");
        await CheckCoverageAsync(now);
    }

    /// <summary>
    /// Coverage refresh of a live synced book: gives up one whose snapshot did not come in time, and asks the feed for a
    /// fresh snapshot when the rule says so (the touch nears the verified bound, or the period passed). A replay cannot
    /// fetch, so its books never ask.
    /// </summary>
    private async Task CheckCoverageAsync(DateTime now)
    {
        if (!_sync.RefreshOutstanding) _refreshOutstandingSince = null;
        else
        {
            // A refresh this grain did not begin (a snapshot nobody asked for, held until the diffs reach it) starts the
            // clock when first seen; so does one begun after the last check saw another.
            if (_refreshSeen != _sync.Counters.RefreshRequests || _refreshOutstandingSince is null)
            {
                _refreshSeen = _sync.Counters.RefreshRequests;
                _refreshOutstandingSince = now;
            }
            if (now - _refreshOutstandingSince.Value > _options.RefreshTimeout)
            {
                _sync.AbandonRefresh($"no snapshot merged within {_options.RefreshTimeout.TotalSeconds:F0} s");
                _refreshOutstandingSince = null;
            }
        }
        if (LiveFeed is not { } feed) return;
        string? reason;
        try { reason = _refreshRule.Reason(_sync, now, _refreshRequestedAt, _refreshPeriod); }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Coverage check of {Instrument} failed", _instrument);
            return;
        }
        if (reason is null || !_sync.BeginRefresh(reason)) return;
        _refreshRequestedAt = _refreshOutstandingSince = now;
        _refreshSeen = _sync.Counters.RefreshRequests;
        _refreshPeriod = SpreadPeriod();
        BookMetrics.Refreshes.Add(1, _exchangeTag, _symbolTag, OutcomeRequested);
        try
        {
            await FeedGrains.Get(GrainFactory, feed.Kind, feed.FeedId).RequestCoverageRefreshAsync(_instrument.Symbol, reason);
        }
        catch (Exception ex)
        {
            _sync.AbandonRefresh("the feed could not be asked: " + ex.Message);
            _logger.LogWarning(ex, "Coverage refresh request for {Instrument} to feed {Feed} failed", _instrument, feed.FeedId);
        }
    }

    /// <summary>This book's refresh period: 75-100 % of the configured one, so books activated together spread out.</summary>
    private TimeSpan SpreadPeriod() => _options.RefreshPeriod * (0.75 + 0.25 * Random.Shared.NextDouble());

    /// <summary>
    /// Every <see cref="BookArchiveOptions.BookSnapshotInterval"/> of exchange time, a synced book's top levels go to the
    /// archive (for <c>--replay-db</c> and research). Exchange time, so a replay stores them at the live cadence.
    /// </summary>
    private void ArchiveSnapshot()
    {
        if (_archive is null || _sync.Status != BookStatus.Synced || _archiveOptions.BookSnapshotInterval <= TimeSpan.Zero) return;
        var time = _sync.LastEventTime;
        if (time - _lastArchivedSnapshot < (long)_archiveOptions.BookSnapshotInterval.TotalMilliseconds) return;
        _lastArchivedSnapshot = time;
        var depth = Math.Clamp(_archiveOptions.BookSnapshotDepth, 1, MaxDepth);
        var bids = new PriceLevel[Math.Min(depth, _sync.Book.BidCount)];
        var asks = new PriceLevel[Math.Min(depth, _sync.Book.AskCount)];
        _sync.Book.CopyBids(bids);
        _sync.Book.CopyAsks(asks);
        // Every level up to the stored depth, as the views serve them, with the range the stored levels can vouch for:
        // the book's, narrowed to the last stored level on a side cut at the depth.
        var verified = _sync.Verified.Stored(bids, bids.Length < _sync.Book.BidCount, asks, asks.Length < _sync.Book.AskCount);
        _archive.TryAddBookSnapshot(_instrument, time, _sync.Book.LastUpdateId, bids, asks, verified);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        _logger.LogWarning(ex, "Depth stream error for {Instrument}", _instrument);
        return Task.CompletedTask;
    }

    public Task<OrderBookView> GetSnapshotAsync(int depth)
    {
        if (depth is < 1 or > MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be between 1 and {MaxDepth}");
        return Task.FromResult(BookViews.Create(_instrument, _sync, depth));
    }

    public Task<CobSecond?> GetLatestCobAsync() => Task.FromResult(_seconds.Latest);

    public Task<IReadOnlyList<CobSecond>> GetCobHistoryAsync(long from, long to)
        => Task.FromResult<IReadOnlyList<CobSecond>>(_seconds.History(from, to));

    public Task<Heatmap> GetHeatmapAsync(int seconds, HeatmapMetric metric) => Task.FromResult(_seconds.Heatmap(seconds, metric));

    public Task<byte[]> GetHeatmapPngAsync(int seconds, HeatmapMetric metric)
        => Task.FromResult(HeatmapPng.Render(_seconds.Heatmap(seconds, metric), title: _instrument.Symbol));

    public Task<BookInputView> GetInputViewAsync(long? asOf, int heatmapSeconds, HeatmapMetric metric)
    {
        if (heatmapSeconds is < 1 or > 1800)
            throw new ArgumentOutOfRangeException(nameof(heatmapSeconds), heatmapSeconds, "heatmapSeconds must be between 1 and 1800");
        var (aggregate, _, flow, flowSeconds, heatmap) = _seconds.InputView(asOf, heatmapSeconds, metric);
        var view = new BookInputView
        {
            Status = _sync.Status,
            StatusReason = _sync.StatusReason,
            LastUpdateId = _sync.Book.LastUpdateId,
            UpdatedAt = BookViews.EventTime(_sync.LastEventTime),
            ReceivedAt = _sync.LastReceivedAt,
            Aggregate = aggregate,
            RecentFlow = flow,
            RecentFlowSeconds = flowSeconds,
            Heatmap = heatmap,
            Coverage = _sync.Status is BookStatus.Synced or BookStatus.Stale ? _sync.Coverage() : null,
        };
        if (asOf is not null)
        {
            // As of T the book is described as it stood at the last second that ended by T (what its aggregate saw),
            // never as it is now: the live status and update times may be later than T.
            if (aggregate is null)
            {
                view = view with { Status = BookStatus.Syncing, StatusReason = "no second had been aggregated by then", LastUpdateId = 0, UpdatedAt = null, ReceivedAt = null, Coverage = null };
            }
            else
            {
                var end = DateTime.UnixEpoch.AddMilliseconds(aggregate.Time + 1000);
                view = view with
                {
                    Status = aggregate.IsGap ? BookStatus.Stale : BookStatus.Synced,
                    StatusReason = aggregate.IsGap ? $"as of {end:O}: {aggregate.GapReason}" : null,
                    LastUpdateId = aggregate.BookUpdateId,
                    UpdatedAt = end,
                    ReceivedAt = end,
                    // As of then: only what the aggregated second recorded about its touches.
                    Coverage = aggregate.IsGap ? null : new BookCoverage { BidTouchVerified = aggregate.BidTouchVerified, AskTouchVerified = aggregate.AskTouchVerified },
                };
            }
        }
        return Task.FromResult(view);
    }

    public Task<TickRange> GetTicksAsync(long from, long to, int max) => Task.FromResult(_seconds.Ticks(from, to, max));

    public Task<TopOfBook> GetTopOfBookAsync()
    {
        var view = BookViews.Create(_instrument, _sync, 1);
        return Task.FromResult(new TopOfBook(view.Status, view.LastUpdateId, view.BestBid, view.BestAsk, view.UpdatedAt));
    }

    public Task<BookHealth> GetHealthAsync()
    {
        var c = _sync.Counters;
        return Task.FromResult(new BookHealth
        {
            Status = _sync.Status,
            StatusReason = _sync.StatusReason,
            LastUpdateId = _sync.Book.LastUpdateId,
            DiffsApplied = c.DiffsApplied,
            DiffsDroppedStale = c.DiffsDroppedStale,
            Gaps = c.Gaps,
            CrossedBooks = c.CrossedBooks,
            BadLevels = c.BadLevels,
            Resyncs = c.Resyncs,
            SnapshotsApplied = c.SnapshotsApplied,
            BidLevels = _sync.Book.BidCount,
            AskLevels = _sync.Book.AskCount,
            UpdatedAt = BookViews.EventTime(_sync.LastEventTime),
            SyncedSince = _sync.SyncedSince,
            BufferedDiffs = _sync.BufferedDiffs,
            BufferOverflows = c.BufferOverflows,
            LateTrades = _seconds.LateTrades,
            RefreshRequests = c.RefreshRequests,
            RefreshesApplied = c.RefreshesApplied,
            RefreshesDiscarded = c.RefreshesDiscarded,
            RefreshesFailed = c.RefreshesFailed,
            RefreshCorrections = c.RefreshCorrections,
            RefreshFills = c.RefreshFills,
            LastRefresh = _sync.LastRefresh,
            Coverage = _sync.Status is BookStatus.Synced or BookStatus.Stale ? _sync.Coverage() : null,
        });
    }
}
