using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MarketData.Actors;

/// <summary>
/// Options that survive a bad configuration reload: after an invalid edit of appsettings.json,
/// <see cref="IOptionsMonitor{T}.CurrentValue"/> throws on every read, which would break every call that reads it.
/// This keeps serving the last valid value and logs the problem once per distinct message.
/// </summary>
public sealed class LastValidOptions<T> where T : class
{
    private readonly IOptionsMonitor<T> _monitor;
    private readonly ILogger _logger;
    private T _last;
    private string? _loggedError;

    public LastValidOptions(IOptionsMonitor<T> monitor, ILogger<LastValidOptions<T>> logger)
    {
        _monitor = monitor;
        _logger = logger;
        _last = monitor.CurrentValue; // invalid at start-up: fail now, as ValidateOnStart does
    }

    public T Value
    {
        get
        {
            try
            {
                var current = _monitor.CurrentValue;
                _last = current;
                return current;
            }
            catch (OptionsValidationException ex)
            {
                if (ex.Message != Volatile.Read(ref _loggedError))
                {
                    Volatile.Write(ref _loggedError, ex.Message);
                    _logger.LogError("Configuration of {Options} refused, the previous settings stay: {Error}", typeof(T).Name, ex.Message);
                }
                return _last;
            }
        }
    }
}
