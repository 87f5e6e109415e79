namespace MarketData.Exchanges.Fallback;

/// <summary>
/// Thresholds of <see cref="ExchangeFallbackPolicy"/> and retry settings of <see cref="KlineFetcher"/>, bound from
/// configuration section <c>Feeds:Fallback</c>.
/// </summary>
public sealed class FallbackOptions
{
    public const string SectionName = "Feeds:Fallback";

    /// <summary>False: failures are tracked and shown but the policy never leaves Binance.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Server errors (5xx, dropped connections, unparsable bodies) within <see cref="ServerErrorWindow"/> that trigger a switch.</summary>
    public int ServerErrorThreshold { get; set; } = 3;
    public TimeSpan ServerErrorWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Consecutive timeouts that trigger a switch (a success in between resets the count).</summary>
    public int TimeoutThreshold { get; set; } = 3;

    /// <summary>While on MEXC, how often Binance is probed (<c>/api/v3/ping</c>).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Consecutive successful probes before returning to Binance.</summary>
    public int ProbesToReturn { get; set; } = 3;

    /// <summary>How many switches the policy remembers (oldest dropped first).</summary>
    public int HistoryCapacity { get; set; } = 32;

    /// <summary>Pause before retrying a Binance page after a failure that did not (yet) cause a switch.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts per kline page (over both exchanges) before the fetch gives up with the last error.</summary>
    public int MaxAttemptsPerPage { get; set; } = 8;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ServerErrorThreshold < 1) errors.Add($"ServerErrorThreshold {ServerErrorThreshold} must be at least 1.");
        if (ServerErrorWindow <= TimeSpan.Zero) errors.Add($"ServerErrorWindow {ServerErrorWindow} must be positive.");
        if (TimeoutThreshold < 1) errors.Add($"TimeoutThreshold {TimeoutThreshold} must be at least 1.");
        if (ProbeInterval <= TimeSpan.Zero) errors.Add($"ProbeInterval {ProbeInterval} must be positive.");
        if (ProbesToReturn < 1) errors.Add($"ProbesToReturn {ProbesToReturn} must be at least 1.");
        if (HistoryCapacity < 1) errors.Add($"HistoryCapacity {HistoryCapacity} must be at least 1.");
        if (RetryDelay < TimeSpan.Zero) errors.Add($"RetryDelay {RetryDelay} must not be negative.");
        if (MaxAttemptsPerPage < 1) errors.Add($"MaxAttemptsPerPage {MaxAttemptsPerPage} must be at least 1.");
        return errors;
    }

    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException($"Invalid {SectionName} settings: " + string.Join(" ", errors));
    }
}
