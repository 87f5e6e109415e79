namespace MarketData.Exchanges.Fallback;

/// <summary>The exchange market data is currently taken from.</summary>
public enum ExchangeSource { Binance, Mexc }

/// <summary>One switch of the policy, for <c>/api/v1/feeds</c> and logs.</summary>
public sealed record FallbackSwitch(DateTimeOffset At, ExchangeSource From, ExchangeSource To, ExchangeFailure Failure, string Reason);

/// <summary>A consistent copy of the policy's state.</summary>
public sealed record FallbackStatus(
    ExchangeSource Current,
    string? Reason,
    DateTimeOffset? SwitchedAt,
    ExchangeFailure LastBinanceFailure,
    string? LastBinanceFailureDetail,
    DateTimeOffset? LastBinanceFailureAt,
    int ConsecutiveProbeSuccesses,
    int ProbesRun,
    DateTimeOffset? NextProbeAt,
    IReadOnlyList<FallbackSwitch> History);

/// <summary>
/// Decides whether market data comes from Binance or from MEXC, from the outcomes callers report for their
/// Binance REST calls. Leaves Binance at once on connection refused, 451/403 (geo-block or WAF) and 418 (IP ban);
/// after <see cref="FallbackOptions.ServerErrorThreshold"/> server errors within the window; and after
/// <see cref="FallbackOptions.TimeoutThreshold"/> consecutive timeouts. A 429 is not a reason to leave: the
/// caller waits for Retry-After (the shared weight budget enforces it) and continues on Binance.
/// While on MEXC it probes Binance every <see cref="FallbackOptions.ProbeInterval"/> (timer on the injected
/// <see cref="TimeProvider"/>, when a probe delegate is given) and returns after
/// <see cref="FallbackOptions.ProbesToReturn"/> consecutive successful probes. Thread-safe; one per silo.
/// </summary>
public sealed class ExchangeFallbackPolicy : IDisposable
{
    private readonly FallbackOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<CancellationToken, Task>? _probe;
    private readonly object _lock = new();
    private readonly Queue<DateTimeOffset> _serverErrors = new();
    private readonly LinkedList<FallbackSwitch> _history = new();
    private readonly CancellationTokenSource _disposed = new();
    private ExchangeSource _current = ExchangeSource.Binance;
    private string? _reason;
    private DateTimeOffset? _switchedAt;
    private int _consecutiveTimeouts;
    private int _consecutiveProbeSuccesses;
    private int _probesRun;
    private int _probeInFlight;
    private ExchangeFailure _lastFailure;
    private string? _lastFailureDetail;
    private DateTimeOffset? _lastFailureAt;
    private DateTimeOffset? _nextProbeAt;
    private ITimer? _probeTimer;

    /// <param name="binanceProbe">
    /// Checks Binance's health: completes when healthy, throws when not (typically <c>BinanceRestClient.PingAsync</c>,
    /// see <see cref="BinanceProbe"/>). Null: no automatic probing; call <see cref="ReportProbe"/> yourself.
    /// </param>
    public ExchangeFallbackPolicy(FallbackOptions options, TimeProvider time, Func<CancellationToken, Task>? binanceProbe = null)
    {
        options.ThrowIfInvalid();
        _options = options;
        _time = time;
        _probe = binanceProbe;
    }

    /// <summary>Raised after every switch (outside the policy's lock).</summary>
    public event Action<FallbackSwitch>? Switched;

    public FallbackOptions Options => _options;
    public ExchangeSource Current { get { lock (_lock) return _current; } }
    /// <summary>Why the last switch happened (null before any switch).</summary>
    public string? Reason { get { lock (_lock) return _reason; } }
    public DateTimeOffset? SwitchedAt { get { lock (_lock) return _switchedAt; } }
    public IReadOnlyList<FallbackSwitch> History { get { lock (_lock) return _history.ToArray(); } }
    public int ProbesRun { get { lock (_lock) return _probesRun; } }
    public int ConsecutiveProbeSuccesses { get { lock (_lock) return _consecutiveProbeSuccesses; } }

    public FallbackStatus Status()
    {
        lock (_lock)
            return new FallbackStatus(_current, _reason, _switchedAt, _lastFailure, _lastFailureDetail, _lastFailureAt,
                _consecutiveProbeSuccesses, _probesRun, _current == ExchangeSource.Mexc ? _nextProbeAt : null, _history.ToArray());
    }

    /// <summary>A Binance REST call succeeded: resets the timeout streak.</summary>
    public void ReportBinanceSuccess()
    {
        lock (_lock) _consecutiveTimeouts = 0;
    }

    /// <summary>Reports a failed Binance REST call. Returns true when this report switched the source to MEXC.</summary>
    public bool ReportBinanceFailure(ExchangeRestException exception) => ReportBinanceFailure(exception.Failure, exception.Message);

    /// <summary>Reports a failed Binance REST call. Returns true when this report switched the source to MEXC.</summary>
    public bool ReportBinanceFailure(ExchangeFailure failure, string detail)
    {
        FallbackSwitch? change = null;
        lock (_lock)
        {
            if (ExchangeFailures.IsHealthNeutral(failure)) return false;
            var now = _time.GetUtcNow();
            _lastFailure = failure;
            _lastFailureDetail = detail;
            _lastFailureAt = now;
            if (_current == ExchangeSource.Mexc)
            {
                // Evidence Binance is still unwell: the probe streak starts again.
                _consecutiveProbeSuccesses = 0;
                return false;
            }
            string? reason = null;
            switch (failure)
            {
                case ExchangeFailure.ConnectionRefused:
                    reason = "Binance connection refused or unreachable";
                    break;
                case ExchangeFailure.GeoBlocked:
                    reason = "Binance geo-block or WAF block (HTTP 451/403)";
                    break;
                case ExchangeFailure.Banned:
                    reason = "Binance IP ban (HTTP 418)";
                    break;
                case ExchangeFailure.Timeout:
                    _consecutiveTimeouts++;
                    if (_consecutiveTimeouts >= _options.TimeoutThreshold) reason = $"{_consecutiveTimeouts} consecutive Binance timeouts";
                    break;
                case ExchangeFailure.ServerError or ExchangeFailure.ConnectionLost or ExchangeFailure.BadResponse:
                    _serverErrors.Enqueue(now);
                    while (_serverErrors.Count > 0 && now - _serverErrors.Peek() > _options.ServerErrorWindow) _serverErrors.Dequeue();
                    if (_serverErrors.Count >= _options.ServerErrorThreshold)
                        reason = $"{_serverErrors.Count} Binance server errors within {_options.ServerErrorWindow.TotalSeconds:0} s";
                    break;
            }
            if (reason is null || !_options.Enabled) return false;
            change = SwitchLocked(ExchangeSource.Mexc, failure, $"{reason}: {detail}", now);
        }
        Switched?.Invoke(change);
        return true;
    }

    /// <summary>
    /// Records the outcome of one health probe of Binance (made by the policy's own timer or by the caller).
    /// Returns true when this probe switched the source back to Binance.
    /// </summary>
    public bool ReportProbe(bool success, string? detail = null)
    {
        FallbackSwitch? change = null;
        lock (_lock)
        {
            _probesRun++;
            if (_current != ExchangeSource.Mexc) return false;
            if (!success)
            {
                _consecutiveProbeSuccesses = 0;
                if (detail is not null) { _lastFailureDetail = detail; _lastFailureAt = _time.GetUtcNow(); }
                return false;
            }
            _consecutiveProbeSuccesses++;
            if (_consecutiveProbeSuccesses < _options.ProbesToReturn) return false;
            change = SwitchLocked(ExchangeSource.Binance, ExchangeFailure.None,
                $"Binance healthy again: {_consecutiveProbeSuccesses} consecutive successful probes", _time.GetUtcNow());
        }
        Switched?.Invoke(change);
        return true;
    }

    /// <summary>Runs the probe delegate once now (skipped when another probe is running) and reports its outcome.</summary>
    /// <returns>The probe's outcome, or null when none ran.</returns>
    public async Task<bool?> ProbeNowAsync(CancellationToken cancellationToken = default)
    {
        if (_probe is null) throw new InvalidOperationException("No Binance probe was given to the policy.");
        if (Interlocked.Exchange(ref _probeInFlight, 1) == 1) return null;
        bool ok;
        string? detail = null;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            try
            {
                await _probe(linked.Token).ConfigureAwait(false);
                ok = true;
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex)
            {
                ok = false;
                detail = "probe failed: " + ex.Message;
            }
        }
        finally
        {
            // Free the slot before reporting, so whoever sees the report can start the next probe at once.
            Volatile.Write(ref _probeInFlight, 0);
        }
        ReportProbe(ok, detail);
        return ok;
    }

    /// <summary>
    /// A probe for <see cref="ExchangeFallbackPolicy"/> built on <c>/api/v3/ping</c>. It does not call Binance while
    /// the weight budget is blocked by a 429/418 (calling during a ban lengthens it); that counts as a failed probe.
    /// </summary>
    public static Func<CancellationToken, Task> BinanceProbe(Binance.BinanceRestClient client)
        => cancellationToken => client.Budget.BlockedUntil is { } until
            ? throw new Binance.BinanceRestException($"Binance REST is blocked until {until:O} (429/418).", failure: ExchangeFailure.Banned)
            : client.PingAsync(cancellationToken);

    public void Dispose()
    {
        lock (_lock)
        {
            _probeTimer?.Dispose();
            _probeTimer = null;
        }
        // Cancelled, not disposed: a probe started by a timer tick may still link to its token.
        _disposed.Cancel();
    }

    private FallbackSwitch SwitchLocked(ExchangeSource to, ExchangeFailure failure, string reason, DateTimeOffset now)
    {
        var change = new FallbackSwitch(now, _current, to, failure, reason);
        _current = to;
        _reason = reason;
        _switchedAt = now;
        _consecutiveTimeouts = 0;
        _consecutiveProbeSuccesses = 0;
        _serverErrors.Clear();
        _history.AddLast(change);
        while (_history.Count > _options.HistoryCapacity) _history.RemoveFirst();

        _probeTimer?.Dispose();
        _probeTimer = null;
        _nextProbeAt = null;
        if (to == ExchangeSource.Mexc && _probe is not null && !_disposed.IsCancellationRequested)
        {
            _nextProbeAt = now + _options.ProbeInterval;
            _probeTimer = _time.CreateTimer(static state => ((ExchangeFallbackPolicy)state!).OnProbeTimer(), this, _options.ProbeInterval, _options.ProbeInterval);
        }
        return change;
    }

    private void OnProbeTimer()
    {
        lock (_lock)
        {
            if (_current != ExchangeSource.Mexc) return;
            _nextProbeAt = _time.GetUtcNow() + _options.ProbeInterval;
        }
        _ = ProbeNowAsync();
    }
}
