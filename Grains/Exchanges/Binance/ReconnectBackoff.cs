namespace MarketData.Exchanges.Binance;

/// <summary>
/// Exponential reconnect backoff with jitter: the ceiling doubles from <c>min</c> up to <c>max</c> with every
/// failed attempt, and each delay is drawn uniformly between <c>min</c> and that ceiling so that many clients
/// (or shards) that lost their connections together do not come back in lock-step. Never gives up; a
/// connection that stayed healthy calls <see cref="Reset"/>. Not thread-safe: one per connection slot.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Random _random;

    public ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
    {
        if (min <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(min), min, "The minimum delay must be positive.");
        if (max < min) throw new ArgumentOutOfRangeException(nameof(max), max, "The maximum delay must not be below the minimum.");
        _min = min;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>Failed attempts since the last reset.</summary>
    public int Attempt { get; private set; }

    /// <summary>The ceiling for the next delay: min * 2^attempt, capped at max.</summary>
    public TimeSpan CurrentCeiling
    {
        get
        {
            // Past 2^30 the product overflows long before it matters; the cap is reached far earlier.
            var factor = Math.Pow(2, Math.Min(Attempt, 30));
            var ticks = Math.Min(_max.Ticks, _min.Ticks * factor);
            return TimeSpan.FromTicks((long)ticks);
        }
    }

    /// <summary>The delay before the next attempt; advances the attempt count.</summary>
    public TimeSpan NextDelay()
    {
        var ceiling = CurrentCeiling;
        Attempt++;
        var span = ceiling.Ticks - _min.Ticks;
        return span <= 0 ? _min : TimeSpan.FromTicks(_min.Ticks + (long)(_random.NextDouble() * span));
    }

    public void Reset() => Attempt = 0;
}
