using System.Globalization;
using System.Net;
using System.Text.Json;

namespace MarketData.Exchanges.Binance;

/// <summary>A REST call Binance refused or that failed; carries the exchange's error code and any Retry-After.</summary>
public sealed class BinanceRestException : Exception
{
    public BinanceRestException(string message, HttpStatusCode? status = null, int? code = null, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Code = code;
        RetryAfter = retryAfter;
    }

    public BinanceRestException() : this("Binance REST call failed.") { }
    public BinanceRestException(string message) : this(message, null, null, null, null) { }
    public BinanceRestException(string message, Exception inner) : this(message, null, null, null, inner) { }

    public HttpStatusCode? Status { get; }
    /// <summary>Binance error code from the body (<c>-1121</c> invalid symbol ...), when present.</summary>
    public int? Code { get; }
    public TimeSpan? RetryAfter { get; }
    public bool IsRateLimit => Status is HttpStatusCode.TooManyRequests or (HttpStatusCode)418;
}

/// <summary>
/// The public REST endpoints the feed needs. Every request first reserves its weight in the shared
/// <see cref="RestWeightBudget"/> (waiting while blocked or over the minute's limit) and every response,
/// good or bad, updates the budget.
/// </summary>
public sealed class BinanceRestClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    public BinanceRestClient(Uri baseUrl, RestWeightBudget budget, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        Budget = budget;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _ownsClient = true;
        _http.BaseAddress = baseUrl;
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(15);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("MarketData/1.0");
    }

    public RestWeightBudget Budget { get; }

    /// <summary>Raised after a 429/418 response (for counting).</summary>
    public event Action<HttpStatusCode, TimeSpan?>? RateLimited;

    /// <summary>
    /// GET <c>/api/v3/depth?symbol=..&amp;limit=..</c>; returns the raw UTF-8 body (parse it with the frame parser).
    /// Throws <see cref="BinanceRestException"/> for HTTP or exchange errors.
    /// </summary>
    public async Task<byte[]> GetDepthSnapshotAsync(string symbol, int limit, CancellationToken cancellationToken)
    {
        if (!BinanceFeedOptions.IsValidSymbol(symbol)) throw new ArgumentException($"Symbol '{symbol}' is invalid.", nameof(symbol));
        if (limit is < 1 or > 5000) throw new ArgumentOutOfRangeException(nameof(limit), limit, "Depth limit must be 1-5000.");
        await Budget.ReserveAsync(RestWeightBudget.DepthWeight(limit), cancellationToken).ConfigureAwait(false);
        var path = string.Create(CultureInfo.InvariantCulture, $"api/v3/depth?symbol={symbol}&limit={limit}");
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new BinanceRestException($"GET /api/v3/depth {symbol} failed: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BinanceRestException($"GET /api/v3/depth {symbol} timed out.", ex);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var retryAfter = ReadRetryAfter(response);
            if (Budget.OnResponse(response.StatusCode, ReadUsedWeight(response), retryAfter))
            {
                RateLimited?.Invoke(response.StatusCode, retryAfter);
                throw new BinanceRestException(
                    $"GET /api/v3/depth {symbol}: HTTP {(int)response.StatusCode} rate limit, retry after {retryAfter?.TotalSeconds.ToString(CultureInfo.InvariantCulture) ?? "?"} s. {ErrorText(body)}",
                    response.StatusCode, ReadErrorCode(body), retryAfter);
            }
            if (!response.IsSuccessStatusCode)
                throw new BinanceRestException($"GET /api/v3/depth {symbol}: HTTP {(int)response.StatusCode}. {ErrorText(body)}", response.StatusCode, ReadErrorCode(body));
            return body;
        }
    }

    public void Dispose()
    {
        if (_ownsClient) _http.Dispose();
    }

    private static int? ReadUsedWeight(HttpResponseMessage response)
        => response.Headers.TryGetValues("X-MBX-USED-WEIGHT-1M", out var values)
           && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var used) ? used : null;

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    private static int? ReadErrorCode(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("code", out var code) && code.TryGetInt32(out var value) ? value : null;
        }
        catch (JsonException) { return null; }
    }

    private static string ErrorText(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200));
        return text.Length == 0 ? "" : "Body: " + text;
    }
}
