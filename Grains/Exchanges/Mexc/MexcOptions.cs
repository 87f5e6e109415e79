namespace MarketData.Exchanges.Mexc;

/// <summary>
/// Settings of the MEXC REST v3 client used as Binance's fallback, bound from configuration section
/// <c>Feeds:Mexc</c>. The base URL is configuration so tests point it at a loopback fake server.
/// </summary>
public sealed class MexcOptions
{
    public const string SectionName = "Feeds:Mexc";

    /// <summary>False: no MEXC fallback; Binance failures are reported but nothing switches.</summary>
    public bool Enabled { get; set; } = true;

    public string RestBaseUrl { get; set; } = "https://api.mexc.com";

    /// <summary>MEXC's IP limit: 500 requests per 10 s for each endpoint.</summary>
    public int RequestsPerWindowPerEndpoint { get; set; } = 500;
    public TimeSpan RequestWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Per-request timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these settings, one clear sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(RestBaseUrl) || !Uri.TryCreate(RestBaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            errors.Add($"RestBaseUrl '{RestBaseUrl}' must be an absolute http:// or https:// URL.");
        if (RequestsPerWindowPerEndpoint < 1) errors.Add($"RequestsPerWindowPerEndpoint {RequestsPerWindowPerEndpoint} must be positive.");
        if (RequestWindow <= TimeSpan.Zero) errors.Add($"RequestWindow {RequestWindow} must be positive.");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"RequestTimeout {RequestTimeout} must be positive.");
        return errors;
    }

    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException($"Invalid {SectionName} settings: " + string.Join(" ", errors));
    }
}
