using System.Net;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// Client-side view of Binance's per-IP REST weight limit (per clock minute). Spending is reserved before a
/// request and corrected from the <c>X-MBX-USED-WEIGHT-1M</c> header of every response; a 429 or 418 with
/// <c>Retry-After</c> blocks all REST until then (continuing past a 429 earns an IP ban). Thread-safe.
/// </summary>
public sealed class RestWeightBudget
{
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private long _minute;          // Unix minute the counters belong to
    private int _used;
    private DateTime? _blockedUntil;

    public RestWeightBudget(int limitPerMinute, TimeProvider time)
    {
        if (limitPerMinute <= 0) throw new ArgumentOutOfRangeException(nameof(limitPerMinute), limitPerMinute, "The limit must be positive.");
        Limit = limitPerMinute;
        _time = time;
        _minute = CurrentMinute();
    }

    public int Limit { get; }

    /// <summary>Weight used in the current minute (server-reported where known).</summary>
    public int Used { get { lock (_lock) { Roll(); return _used; } } }

    /// <summary>Until when the exchange told us to stay away (UTC), or null.</summary>
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

    /// <summary>Request weight of <c>/api/v3/depth</c> for a limit (the exchange clamps above 5000).</summary>
    public static int DepthWeight(int limit) => limit switch
    {
        <= 100 => 5,
        <= 500 => 25,
        <= 1000 => 50,
        _ => 250,
    };

    /// <summary>
    /// Reserves <paramref name="weight"/> if it fits in the current minute and REST is not blocked; otherwise
    /// returns false with how long to wait (until the block ends or the minute rolls over).
    /// </summary>
    public bool TryReserve(int weight, out TimeSpan wait)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            Roll();
            if (_blockedUntil is { } until)
            {
                if (until > now.UtcDateTime) { wait = until - now.UtcDateTime; return false; }
                _blockedUntil = null;
            }
            if (_used + weight > Limit)
            {
                wait = TimeSpan.FromMinutes(_minute + 1) - TimeSpan.FromMilliseconds(now.ToUnixTimeMilliseconds());
                if (wait <= TimeSpan.Zero) wait = TimeSpan.FromMilliseconds(1);
                return false;
            }
            _used += weight;
            wait = TimeSpan.Zero;
            return true;
        }
    }

    /// <summary>Waits (on the injected clock) until <paramref name="weight"/> can be spent, then reserves it.</summary>
    public async Task ReserveAsync(int weight, CancellationToken cancellationToken)
    {
        if (weight > Limit) throw new ArgumentOutOfRangeException(nameof(weight), weight, $"Weight exceeds the per-minute limit {Limit}.");
        while (!TryReserve(weight, out var wait))
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes in what a response said: the used-weight header, and 429/418 with Retry-After.</summary>
    /// <returns>True when the response was a rate-limit refusal (429 or 418).</returns>
    public bool OnResponse(HttpStatusCode status, int? usedWeightHeader, TimeSpan? retryAfter)
    {
        lock (_lock)
        {
            Roll();
            if (usedWeightHeader is { } used && used >= 0) _used = used;
            if (status is HttpStatusCode.TooManyRequests or (HttpStatusCode)418)
            {
                // Without Retry-After, stay away for the rest of the minute at least.
                var now = _time.GetUtcNow().UtcDateTime;
                var until = retryAfter is { } ra && ra > TimeSpan.Zero
                    ? now + ra
                    : DateTime.UnixEpoch + TimeSpan.FromMinutes(_minute + 1);
                if (_blockedUntil is null || until > _blockedUntil) _blockedUntil = until;
                return true;
            }
            return false;
        }
    }

    private long CurrentMinute() => _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;

    private void Roll()
    {
        var minute = CurrentMinute();
        if (minute != _minute)
        {
            _minute = minute;
            _used = 0;
        }
    }
}
