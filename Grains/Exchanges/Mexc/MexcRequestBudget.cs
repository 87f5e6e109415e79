using System.Net;

namespace MarketData.Exchanges.Mexc;

/// <summary>
/// Client-side view of MEXC's IP limit: a count of requests per endpoint in fixed windows (500 per 10 s by
/// default), plus a block for everything after a 429 or 418 until its Retry-After (MEXC escalates bans for
/// clients that keep calling). Time comes from the injected <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
public sealed class MexcRequestBudget
{
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<string, (long Window, int Count)> _endpoints = new(StringComparer.Ordinal);
    private DateTime? _blockedUntil;

    public MexcRequestBudget(int requestsPerWindow, TimeSpan window, TimeProvider time)
    {
        if (requestsPerWindow < 1) throw new ArgumentOutOfRangeException(nameof(requestsPerWindow), requestsPerWindow, "Must be positive.");
        if (window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(window), window, "Must be positive.");
        Limit = requestsPerWindow;
        Window = window;
        _time = time;
    }

    public int Limit { get; }
    public TimeSpan Window { get; }

    public DateTime? BlockedUntil
    {
        get
        {
            lock (_lock)
            {
                if (_blockedUntil is { } until && until <= _time.GetUtcNow().UtcDateTime) _blockedUntil = null;
                return _blockedUntil;
            }
        }
    }

    public bool IsBlocked => BlockedUntil is not null;

    /// <summary>Requests counted for <paramref name="endpoint"/> in the current window.</summary>
    public int Used(string endpoint)
    {
        lock (_lock)
            return _endpoints.TryGetValue(endpoint, out var e) && e.Window == CurrentWindow() ? e.Count : 0;
    }

    public bool TryReserve(string endpoint, out TimeSpan wait)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            if (_blockedUntil is { } until)
            {
                if (until > now) { wait = until - now; return false; }
                _blockedUntil = null;
            }
            var window = CurrentWindow();
            var count = _endpoints.TryGetValue(endpoint, out var e) && e.Window == window ? e.Count : 0;
            if (count >= Limit)
            {
                var windowEnd = DateTime.UnixEpoch + TimeSpan.FromTicks((window + 1) * Window.Ticks);
                wait = windowEnd - now;
                if (wait <= TimeSpan.Zero) wait = TimeSpan.FromMilliseconds(1);
                return false;
            }
            _endpoints[endpoint] = (window, count + 1);
            wait = TimeSpan.Zero;
            return true;
        }
    }

    /// <summary>Waits (on the injected clock) until a request to <paramref name="endpoint"/> may be sent.</summary>
    public async Task ReserveAsync(string endpoint, CancellationToken cancellationToken)
    {
        while (!TryReserve(endpoint, out var wait))
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes in a 429/418 with its Retry-After. Returns true when the response was such a refusal.</summary>
    public bool OnResponse(HttpStatusCode status, TimeSpan? retryAfter)
    {
        if (status is not (HttpStatusCode.TooManyRequests or (HttpStatusCode)418)) return false;
        lock (_lock)
        {
            // Without Retry-After stay away for a whole window (the FAQ says access resumes after minutes at worst).
            var until = _time.GetUtcNow().UtcDateTime + (retryAfter is { } ra && ra > TimeSpan.Zero ? ra : Window);
            if (_blockedUntil is null || until > _blockedUntil) _blockedUntil = until;
        }
        return true;
    }

    private long CurrentWindow() => (_time.GetUtcNow().UtcDateTime - DateTime.UnixEpoch).Ticks / Window.Ticks;
}
