using MarketData.Streams;
using MarketData.Feeds;
using MarketData.Recording;
using Microsoft.Extensions.Logging;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// Fetches REST depth snapshots that books asked for: one request per symbol at a time (repeats are merged
/// until the snapshot is published), one fetch at a time spaced by <c>SnapshotStagger</c>, and only once the
/// symbol's diff stream is open and has delivered a diff (the exchange's procedure buffers diffs first).
/// The snapshot is published under the symbol's gate, i.e. in the same ordered path as its diffs.
/// Two purposes share the queue: resyncs (a book lost sync) come first and are retried until they succeed; coverage
/// refreshes (a synced book's verified range runs out) wait behind every ready resync, are fetched only while the
/// minute's REST weight stays within <c>RefreshBudgetShare</c> of the limit, are tried once under
/// <c>RefreshFetchTimeout</c>, and a resync request for the same symbol takes their place.
/// </summary>
internal sealed class SnapshotScheduler : IDisposable
{
    private enum Purpose { Resync, Refresh }

    private sealed class PendingRequest(SymbolRoute route, string reason, Purpose purpose)
    {
        public SymbolRoute Route { get; } = route;
        public Purpose Purpose { get; set; } = purpose;
        public string Reason { get; set; } = reason;
        public int Failures { get; set; }
        public long NotBeforeTimestamp { get; set; }
    }

    private readonly List<PendingRequest> _queue = [];   // FIFO of pending requests; small (one per symbol at most)
    private readonly SemaphoreSlim _wake = new(0);
    private readonly BinanceRestClient _rest;
    private readonly RestWeightBudget _budget;
    private readonly BinanceFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FeedCounters _counters;
    private readonly IFrameRecorder? _recorder;
    private readonly Random _random;
    private long _lastFetchTimestamp;
    private bool _fetchedOnce;

    public SnapshotScheduler(BinanceRestClient rest, RestWeightBudget budget, BinanceFeedOptions options, TimeProvider time, ILogger logger,
        FeedCounters counters, IFrameRecorder? recorder, Random? random = null)
    {
        _rest = rest;
        _budget = budget;
        _options = options;
        _time = time;
        _logger = logger;
        _counters = counters;
        _recorder = recorder;
        _random = random ?? Random.Shared;
    }

    public void Dispose() => _wake.Dispose();

    public int Pending { get { lock (_queue) return _queue.Count; } }

    /// <summary>Queues a resync request; a symbol already waiting is not queued twice (a waiting refresh becomes a resync). Never blocks.</summary>
    public void Request(SymbolRoute route, string reason)
    {
        lock (_queue)
        {
            var queued = false;
            foreach (var r in _queue)
            {
                if (r.Route != route) continue;
                r.Reason = reason;
                r.Purpose = Purpose.Resync;
                queued = true;
                break;
            }
            if (!queued) _queue.Add(new PendingRequest(route, reason, Purpose.Resync));
        }
        _counters.ResyncRequested();
        Wake();
    }

    /// <summary>Queues a coverage refresh unless the symbol already waits for a snapshot (which serves it as well). Never blocks.</summary>
    public void RequestRefresh(SymbolRoute route, string reason)
    {
        _counters.CoverageRefreshRequested();
        lock (_queue)
        {
            foreach (var r in _queue)
                if (r.Route == route) return;
            _queue.Add(new PendingRequest(route, reason, Purpose.Refresh));
        }
        Wake();
    }

    /// <summary>Something changed that may make a queued request ready (first diff, connection up).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var parser = new BinanceFrameParser();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var (request, retryIn) = NextReady();
                if (request is null)
                {
                    // Nothing ready: wait for a wake-up, or for the earliest retry time on the injected clock.
                    if (retryIn is { } delay)
                    {
                        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        var wake = _wake.WaitAsync(linked.Token);
                        var timer = Task.Delay(delay, _time, linked.Token);
                        await Task.WhenAny(wake, timer).ConfigureAwait(false);
                        await linked.CancelAsync().ConfigureAwait(false);
                        try { await wake.ConfigureAwait(false); } catch (OperationCanceledException) { }
                        try { await timer.ConfigureAwait(false); } catch (OperationCanceledException) { }
                    }
                    else await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                await StaggerAsync(cancellationToken).ConfigureAwait(false);
                await FetchAsync(request, parser, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    /// <summary>How often a refresh waiting for budget headroom looks again.</summary>
    private static readonly TimeSpan BudgetRecheck = TimeSpan.FromSeconds(5);

    private (PendingRequest? Ready, TimeSpan? RetryIn) NextReady()
    {
        var now = _time.GetTimestamp();
        TimeSpan? earliest = null;
        PendingRequest[] queued;
        // Lock order is gate before queue (requests arrive from under a symbol's gate), so copy first.
        lock (_queue) queued = [.. _queue];
        PendingRequest? refresh = null;
        foreach (var r in queued)
        {
            bool connected;
            lock (r.Route.Gate) connected = r.Route.Owner is not null && (r.Route.DiffSinceConnect || !r.Route.HasDepthStream);
            if (!connected) continue;
            if (r.NotBeforeTimestamp > now)
            {
                var wait = _time.GetElapsedTime(now, r.NotBeforeTimestamp);
                if (earliest is null || wait < earliest) earliest = wait;
                continue;
            }
            if (r.Purpose == Purpose.Resync) return (r, null); // every ready resync before any refresh
            refresh ??= r;
        }
        if (refresh is null) return (null, earliest);
        if (!_budget.IsBlocked && _budget.Used + RestWeightBudget.DepthWeight(_options.SnapshotLimit) <= _budget.Limit * _options.RefreshBudgetShare)
            return (refresh, null);
        // No headroom for a refresh now: look again shortly (resyncs still wake the loop at once).
        return (null, earliest is { } e && e < BudgetRecheck ? e : BudgetRecheck);
    }

    private async Task StaggerAsync(CancellationToken cancellationToken)
    {
        if (!_fetchedOnce || _options.SnapshotStagger <= TimeSpan.Zero) return;
        var since = _time.GetElapsedTime(_lastFetchTimestamp);
        if (since < _options.SnapshotStagger)
            await Task.Delay(_options.SnapshotStagger - since, _time, cancellationToken).ConfigureAwait(false);
    }

    private async Task FetchAsync(PendingRequest request, BinanceFrameParser parser, CancellationToken cancellationToken)
    {
        var route = request.Route;
        _fetchedOnce = true;
        _lastFetchTimestamp = _time.GetTimestamp();
        var isRefresh = request.Purpose == Purpose.Refresh;
        byte[] body;
        // A refresh is bounded by its own timeout, so a hanging one holds a waiting resync up for seconds at most.
        using var timeout = isRefresh ? new CancellationTokenSource(_options.RefreshFetchTimeout, _time) : null;
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            body = await _rest.GetDepthSnapshotAsync(route.Symbol, _options.SnapshotLimit, linked?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BinanceRestException or HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var error = timeout is { IsCancellationRequested: true } ? $"no answer within {_options.RefreshFetchTimeout.TotalSeconds:0.#} s" : ex.Message;
            Fail(request, error, ex is BinanceRestException { IsRateLimit: true });
            return;
        }
        var receivedAt = _time.GetUtcNow().UtcDateTime;
        _recorder?.Record(receivedAt, "rest:depth:" + route.Symbol, body);
        var kind = parser.Parse(body);
        if (kind != BinanceFrameKind.DepthSnapshot)
        {
            _counters.MessageRejected();
            Fail(request, $"depth snapshot for {route.Symbol} could not be parsed ({kind}): {parser.Error}", rateLimited: false);
            return;
        }
        if (isRefresh && request.Purpose == Purpose.Resync)
        {
            // The book lost sync while the refresh was in flight: this snapshot is its resync (published below).
            isRefresh = false;
        }
        // The limit tells the book whether the snapshot may have cut off deeper levels.
        var snapshot = ((DepthSnapshot)parser.ToEvent(receivedAt)) with { Limit = _options.SnapshotLimit };
        lock (route.Gate)
        {
            // Removing under the gate: a request that arrives after this publication queues a new fetch.
            lock (_queue) _queue.Remove(request);
            route.Publish(snapshot);
        }
        _counters.SnapshotFetched();
        if (isRefresh)
        {
            _counters.CoverageRefreshFetched();
            _logger.LogDebug("Binance refresh snapshot {Symbol} lastUpdateId {LastUpdateId} published ({Reason}).", route.Symbol, parser.LastUpdateId, request.Reason);
        }
        else _logger.LogInformation("Binance snapshot {Symbol} lastUpdateId {LastUpdateId} published ({Reason}).", route.Symbol, parser.LastUpdateId, request.Reason);
    }

    private void Fail(PendingRequest request, string error, bool rateLimited)
    {
        lock (_queue)
        {
            if (request.Purpose == Purpose.Refresh)
            {
                // Tried once: the book gives the refresh up after its own timeout and asks again later.
                _queue.Remove(request);
                _counters.CoverageRefreshFailed();
                _counters.Error($"Binance refresh snapshot {request.Route.Symbol}: {error}");
                _logger.LogInformation("Binance refresh snapshot {Symbol} failed: {Error}; the book stays synced and asks again later.", request.Route.Symbol, error);
                return;
            }
        }
        request.Failures++;
        // Rate-limit refusals already block the budget until Retry-After; other failures back off per symbol.
        var ceiling = Math.Min(60_000, 1_000 * Math.Pow(2, Math.Min(request.Failures - 1, 10)));
        var delay = rateLimited ? TimeSpan.Zero : TimeSpan.FromMilliseconds(500 + _random.NextDouble() * (ceiling - 500));
        request.NotBeforeTimestamp = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        _counters.Error($"Binance snapshot {request.Route.Symbol}: {error}");
        _logger.LogWarning("Binance snapshot {Symbol} failed (attempt {Attempt}): {Error}; retrying in {Delay}.", request.Route.Symbol, request.Failures, error, delay);
    }
}
