using System.Threading.Channels;
using MarketData.Feeds;
using Microsoft.Extensions.Logging;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// One slot of symbols that share a WebSocket connection. A single loop owns the slot's state and reacts to
/// signals (connection ended, handover due, handover done): it reconnects with backoff after a loss, and
/// replaces the connection make-before-break at its planned lifetime, on <c>serverShutdown</c>, or when a silence
/// watchdog (one timer per slot, on the injected clock) finds that the connection delivered no frame at all for its
/// <see cref="ConnectionSilence"/> limit, which WebSocket keep-alive cannot see while the peer still answers pings.
/// </summary>
internal sealed class ConnectionShard
{
    private abstract record Signal;
    private sealed record Ended(BinanceConnection Connection, string Reason) : Signal;
    private sealed record HandoverDue(BinanceConnection Connection, string Reason) : Signal;
    private sealed record HandoverDone(BinanceConnection Replacement, bool TimedOut) : Signal;

    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>();
    private readonly BinanceFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FeedCounters _counters;
    private readonly BinanceConnection.FrameHandler _frameHandler;
    private readonly ReconnectBackoff _backoff;
    private readonly Uri _uri;
    private readonly object _lock = new();
    private readonly List<ITimer> _timers = [];
    private BinanceConnection? _active;
    private BinanceConnection? _replacement;
    private int _switchedDuringHandover;
    private bool _everConnected;
    private readonly ConnectionSilence _silence;
    private ITimer? _watchdog;
    private bool _stopped;
    /// <summary>The connection the watchdog found silent (replaced without waiting for bridging diffs); null once replaced.</summary>
    private BinanceConnection? _silent;
    /// <summary>The handover in flight replaces a silent connection (not a planned handover).</summary>
    private bool _handoverSilent;

    public ConnectionShard(int index, IReadOnlyList<SymbolRoute> symbols, Uri uri, BinanceFeedOptions options, TimeProvider time,
        ILogger logger, FeedCounters counters, BinanceConnection.FrameHandler frameHandler, Random? random = null)
    {
        Index = index;
        Symbols = symbols;
        _uri = uri;
        _options = options;
        _time = time;
        _logger = logger;
        _counters = counters;
        _frameHandler = frameHandler;
        _backoff = new ReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, random);
        _silence = new ConnectionSilence(ConnectionSilence.BaseTimeoutFor(options.Streams, options.SilenceTimeout, options.EventOnlySilenceTimeout));
        foreach (var symbol in symbols) symbol.Switched = OnSymbolSwitched;
    }

    public int Index { get; }
    public IReadOnlyList<SymbolRoute> Symbols { get; }
    public Uri Uri => _uri;

    public bool IsConnected { get { lock (_lock) return _active is { IsOpen: true }; } }
    public bool EverConnected { get { lock (_lock) return _everConnected; } }
    public int OpenConnections
    {
        get
        {
            lock (_lock) return (_active is { IsOpen: true } ? 1 : 0) + (_replacement is { IsOpen: true } ? 1 : 0);
        }
    }
    public bool HandoverInProgress { get { lock (_lock) return _replacement is not null; } }
    /// <summary>The silence limit of a connection that delivers frames (<see cref="TimeSpan.Zero"/>: watchdog off).</summary>
    public TimeSpan SilenceTimeout => _silence.BaseTimeout;

    /// <summary>A frame on <paramref name="connection"/> said the server is going away: replace it now.</summary>
    public void OnServerShutdown(BinanceConnection connection) => _signals.Writer.TryWrite(new HandoverDue(connection, "serverShutdown"));

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var afterLoss = false;
        if (_silence.Enabled)
            lock (_lock) _watchdog = _time.CreateTimer(_ => CheckSilence(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (CurrentActive() is null)
                {
                    var connection = await ConnectWithBackoffAsync(afterLoss, cancellationToken).ConfigureAwait(false);
                    Adopt(connection, afterLoss);
                    afterLoss = false;
                    continue;
                }

                var signal = await _signals.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                switch (signal)
                {
                    case HandoverDue due when due.Connection == CurrentActive() && CurrentReplacement() is null:
                        await BeginHandoverAsync(due.Connection, due.Reason, cancellationToken).ConfigureAwait(false);
                        break;
                    case HandoverDone done when done.Replacement == CurrentReplacement():
                        await CompleteHandoverAsync(done.Replacement, done.TimedOut ? "handover timeout" : "all symbols switched").ConfigureAwait(false);
                        break;
                    case Ended ended when !ended.Connection.ClosingByUs:
                        afterLoss = OnConnectionEnded(ended.Connection, ended.Reason);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        finally
        {
            BinanceConnection? active, replacement;
            lock (_lock)
            {
                active = _active; replacement = _replacement;
                _active = null; _replacement = null; _silent = null;
                _stopped = true;
                _watchdog?.Dispose();
                _watchdog = null;
                foreach (var t in _timers) t.Dispose();
                _timers.Clear();
            }
            if (active is not null) await active.CloseAsync("shutdown").ConfigureAwait(false);
            if (replacement is not null) await replacement.CloseAsync("shutdown").ConfigureAwait(false);
        }
    }

    private BinanceConnection? CurrentActive() { lock (_lock) return _active; }
    private BinanceConnection? CurrentReplacement() { lock (_lock) return _replacement; }

    private async Task<BinanceConnection> ConnectWithBackoffAsync(bool afterLoss, CancellationToken cancellationToken)
    {
        var wait = afterLoss;
        while (true)
        {
            if (wait)
            {
                var delay = _backoff.NextDelay();
                _logger.LogInformation("Binance shard {Shard}: reconnecting in {Delay} (attempt {Attempt}).", Index, delay, _backoff.Attempt);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            wait = true;
            try
            {
                return await BinanceConnection.ConnectAsync(_uri, Index, _options, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _counters.Error($"Binance shard {Index}: connect to {_uri.GetLeftPart(UriPartial.Path)} failed: {ex.Message}");
                _logger.LogWarning("Binance shard {Shard}: connect failed: {Error}", Index, ex.Message);
            }
        }
    }

    private void Adopt(BinanceConnection connection, bool afterLoss)
    {
        foreach (var symbol in Symbols)
            lock (symbol.Gate) symbol.Adopt(connection);
        lock (_lock)
        {
            _active = connection;
            _silent = null;
            _everConnected = true;
            ArmWatchdog(connection);
        }
        if (afterLoss) _counters.Reconnected();
        Watch(connection);
        connection.Start(_frameHandler);
        _logger.LogInformation("Binance shard {Shard}: connected (connection {Id}, {Count} symbols).", Index, connection.Id, Symbols.Count);
    }

    /// <summary>Schedules the planned replacement and reports the end of the receive loop to this shard's loop.</summary>
    private void Watch(BinanceConnection connection)
    {
        var timer = _time.CreateTimer(_ => _signals.Writer.TryWrite(new HandoverDue(connection, "planned lifetime reached")),
            null, _options.ConnectionLifetime, Timeout.InfiniteTimeSpan);
        lock (_lock) _timers.Add(timer);
        _ = connection.Completion.ContinueWith(t =>
        {
            timer.Dispose();
            lock (_lock) _timers.Remove(timer);
            _signals.Writer.TryWrite(new Ended(connection, t.Result));
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task BeginHandoverAsync(BinanceConnection old, string reason, CancellationToken cancellationToken)
    {
        bool silent;
        lock (_lock) silent = old == _silent;
        _logger.LogInformation("Binance shard {Shard}: replacing connection {Id} ({Reason}).", Index, old.Id, reason);
        BinanceConnection replacement;
        try
        {
            replacement = await BinanceConnection.ConnectAsync(_uri, Index, _options, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Keep the old connection and try again after a backoff delay; if it dies meanwhile, the normal reconnect path runs.
            var delay = _backoff.NextDelay();
            _counters.Error($"Binance shard {Index}: replacement connection failed: {ex.Message}");
            _logger.LogWarning("Binance shard {Shard}: replacement connection failed ({Error}); retrying in {Delay}.", Index, ex.Message, delay);
            Once(delay, () => _signals.Writer.TryWrite(new HandoverDue(old, reason)));
            return;
        }
        if (!old.IsOpen)
        {
            // The old connection ended while we were connecting: its loss signal is queued; treat this one as fresh.
            await replacement.CloseAsync("superseded").ConfigureAwait(false);
            return;
        }
        // Armed before the replacement is visible (its signal is read by this loop, after this method), so a test that
        // sees the replacement in place may step the clock past the timeout.
        Once(_options.HandoverTimeout, () => _signals.Writer.TryWrite(new HandoverDone(replacement, TimedOut: true)));
        lock (_lock)
        {
            _replacement = replacement;
            _switchedDuringHandover = 0;
            _handoverSilent = silent;
        }
        // A silent old connection has nothing left to bridge: each symbol switches on the replacement's first event for it.
        foreach (var symbol in Symbols)
            lock (symbol.Gate) symbol.BeginHandover(old, replacement, oldIsSilent: silent);
        Watch(replacement);
        replacement.Start(_frameHandler);
    }

    /// <summary>A one-shot timer that forgets itself once fired, so weeks of handovers leave no timers behind.</summary>
    private void Once(TimeSpan due, Action action)
    {
        ITimer? timer = null;
        timer = _time.CreateTimer(_ =>
        {
            lock (_lock) _timers.Remove(timer!);
            timer!.Dispose();
            action();
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_lock) _timers.Add(timer);
        timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Called under a symbol's gate when that symbol forwarded its first event from the replacement.</summary>
    private void OnSymbolSwitched(SymbolRoute symbol, BinanceConnection replacement)
    {
        bool all;
        lock (_lock)
        {
            if (replacement != _replacement) return;
            all = ++_switchedDuringHandover >= Symbols.Count;
        }
        if (all) _signals.Writer.TryWrite(new HandoverDone(replacement, TimedOut: false));
    }

    private async Task CompleteHandoverAsync(BinanceConnection replacement, string why)
    {
        foreach (var symbol in Symbols)
            lock (symbol.Gate) symbol.ForceSwitch();
        BinanceConnection? old;
        bool silent;
        lock (_lock)
        {
            old = _active;
            silent = _handoverSilent;
            _active = replacement;
            _replacement = null;
            _silent = null;
            _handoverSilent = false;
            ArmWatchdog(replacement);
        }
        // Handovers counts planned replacements; a silent one was counted when the watchdog found it.
        if (!silent) _counters.HandoverCompleted();
        _logger.LogInformation("Binance shard {Shard}: handover to connection {Id} complete ({Why}{Silent}).", Index, replacement.Id, why, silent ? ", silent connection replaced" : "");
        if (old is not null)
        {
            // The old connection's own timers would only re-trigger a handover; its Ended signal is ignored (closed by us).
            await old.CloseAsync("handover").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The watchdog's timer callback: judges the speaking connection's silence (every frame on it counts, so a quiet
    /// symbol beside a busy one never does) and re-arms for the moment it would become silent. A silent connection is
    /// reported once: counted, in <c>lastError</c>, its books interrupted with the reason, and a handover signalled.
    /// While a handover or reconnect is in flight it only looks again later; <see cref="Adopt"/> and
    /// <see cref="CompleteHandoverAsync"/> re-arm it for the connection that speaks next.
    /// </summary>
    private void CheckSilence()
    {
        try
        {
            BinanceConnection? silent = null;
            TimeSpan limit = default;
            lock (_lock)
            {
                if (_stopped) return;
                var active = _active;
                if (active is null || _replacement is not null || active == _silent || !active.IsOpen)
                {
                    Rearm(_silence.BaseTimeout);
                }
                else
                {
                    var verdict = _silence.Judge(_time.GetElapsedTime(active.LastFrameTimestamp), active.ReceivedAnyFrame);
                    if (verdict.Silent)
                    {
                        silent = active;
                        _silent = active;
                        limit = verdict.Limit;
                        Rearm(_silence.BaseTimeout); // a safety net only: the replacement re-arms it
                    }
                    else Rearm(NextCheck(verdict.TimeLeft));
                }
            }
            if (silent is null) return;

            var reason = ConnectionSilence.Describe(limit);
            _counters.SilentReplacement();
            _counters.Error($"Binance shard {Index}: connection {silent.Id} is silent ({reason}, though open); replacing it");
            _logger.LogWarning("Binance shard {Shard}: connection {Id} delivered {What} ({Reason}) though the socket is open; replacing it make-before-break.",
                Index, silent.Id, silent.ReceivedAnyFrame ? "no frame lately" : "no frame since it opened", reason);
            var now = _time.GetUtcNow().UtcDateTime;
            foreach (var symbol in Symbols)
                lock (symbol.Gate) symbol.Interrupt(silent, "connection silent: " + reason, now);
            _signals.Writer.TryWrite(new HandoverDue(silent, reason));
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Binance shard {Shard}: silence check failed.", Index);
        }
    }

    /// <summary>Arms the watchdog for the moment <paramref name="connection"/> would become silent. Caller holds <see cref="_lock"/>.</summary>
    private void ArmWatchdog(BinanceConnection connection)
    {
        if (!_silence.Enabled) return;
        var left = _silence.LimitFor(connection.ReceivedAnyFrame) - _time.GetElapsedTime(connection.LastFrameTimestamp);
        Rearm(NextCheck(left));
    }

    /// <summary>
    /// When to look next: when the connection would become silent, but at least every base limit, because a backed-off
    /// limit no longer applies once a frame arrives (from then on the base limit counts from the last frame).
    /// </summary>
    private TimeSpan NextCheck(TimeSpan timeLeft) => timeLeft < _silence.BaseTimeout ? timeLeft : _silence.BaseTimeout;

    /// <summary>
    /// Sets the watchdog's next check, rounded up to whole milliseconds and at least one (timers count milliseconds, and a
    /// zero due time would run the check at once, inside this call). Caller holds <see cref="_lock"/>.
    /// </summary>
    private void Rearm(TimeSpan due)
    {
        if (_stopped || _watchdog is null) return;
        var ms = Math.Max(1, Math.Ceiling(due.TotalMilliseconds));
        _watchdog.Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Returns true when the shard must reconnect (no replacement could take over).</summary>
    private bool OnConnectionEnded(BinanceConnection connection, string reason)
    {
        BinanceConnection? active, replacement;
        lock (_lock) { active = _active; replacement = _replacement; }

        if (connection == replacement)
        {
            _logger.LogWarning("Binance shard {Shard}: replacement connection {Id} lost during handover: {Reason}.", Index, connection.Id, reason);
            var lostAt = _time.GetUtcNow().UtcDateTime;
            var owner = active is { IsOpen: true } ? active : null;
            foreach (var symbol in Symbols)
                lock (symbol.Gate) symbol.CancelHandover(connection, owner, lostAt);
            lock (_lock) _replacement = null;
            // Retry after a backoff delay: a server that accepts and drops replacements must not get a tight
            // connect loop (Binance bans IPs beyond 300 connection attempts in 5 minutes).
            if (active is not null)
            {
                var delay = _backoff.NextDelay();
                Once(delay, () => _signals.Writer.TryWrite(new HandoverDue(active, "retry after failed handover")));
            }
            return false;
        }
        if (connection != active) return false;

        var healthy = _time.GetElapsedTime(connection.OpenedAtTimestamp) >= _options.HealthyConnectionAge;
        if (healthy) _backoff.Reset();
        _counters.Error($"Binance shard {Index}: {reason}");

        if (replacement is { IsOpen: true })
        {
            // Mid-handover: the replacement is already subscribed, so it takes over without an interruption.
            _logger.LogWarning("Binance shard {Shard}: connection {Id} lost during handover ({Reason}); replacement takes over.", Index, connection.Id, reason);
            _signals.Writer.TryWrite(new HandoverDone(replacement, TimedOut: false));
            return false;
        }

        _logger.LogWarning("Binance shard {Shard}: connection {Id} lost: {Reason}.", Index, connection.Id, reason);
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var symbol in Symbols)
            lock (symbol.Gate) symbol.Disown(connection, "connection lost: " + reason, now);
        lock (_lock) { _active = null; _replacement = null; }
        if (replacement is not null) _ = replacement.CloseAsync("superseded");
        return true;
    }
}
