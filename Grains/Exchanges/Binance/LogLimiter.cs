using Microsoft.Extensions.Logging;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// Logs a warning once per key, then at most once per interval with how many were suppressed in between,
/// so a stream of identical bad frames cannot flood the logs. Thread-safe.
/// </summary>
internal sealed class LogLimiter(ILogger logger, TimeProvider time, TimeSpan interval)
{
    private readonly Dictionary<string, (long LastTimestamp, long Suppressed)> _seen = new(StringComparer.Ordinal);

    public void Warn(string key, string message)
    {
        long suppressed;
        lock (_seen)
        {
            var now = time.GetTimestamp();
            if (_seen.TryGetValue(key, out var entry) && time.GetElapsedTime(entry.LastTimestamp, now) < interval)
            {
                _seen[key] = (entry.LastTimestamp, entry.Suppressed + 1);
                return;
            }
            suppressed = entry.Suppressed;
            _seen[key] = (now, 0);
            if (_seen.Count > 1024) _seen.Clear(); // keys carry symbols and kinds; bound them anyway
        }
        if (suppressed > 0) logger.LogWarning("{Message} ({Suppressed} similar warnings suppressed)", message, suppressed);
        else logger.LogWarning("{Message}", message);
    }
}
