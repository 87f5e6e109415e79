using System.Globalization;
using System.Net;
using MarketData.Candles;

namespace MarketData.Exchanges.Mexc;

/// <summary>A MEXC REST call that failed; <see cref="ExchangeRestException.Code"/> and the message carry MEXC's <c>{"code","msg"}</c>.</summary>
public sealed class MexcRestException : ExchangeRestException
{
    public MexcRestException(string message, HttpStatusCode? status = null, int? code = null, TimeSpan? retryAfter = null, Exception? inner = null, ExchangeFailure? failure = null)
        : base("mexc", message, failure ?? ExchangeFailures.Classify(status, inner), status, code, retryAfter, inner)
    {
    }

    public MexcRestException() : this("MEXC REST call failed.") { }
    public MexcRestException(string message) : this(message, null, null, null, null) { }
    public MexcRestException(string message, Exception inner) : this(message, null, null, null, inner) { }
}

/// <summary>
/// The public MEXC spot REST v3 endpoints used while Binance is failing. Paths and shapes mirror Binance, with
/// MEXC's differences: 8-column kline rows, its own interval names (<c>60m</c> for one hour, no <c>1s</c>),
/// and a request-count limit per endpoint instead of weights (see <see cref="MexcRequestBudget"/>).
/// Bodies are returned raw (or as a minimal parsed record); errors throw <see cref="MexcRestException"/>.
/// </summary>
public sealed class MexcRestClient : IDisposable
{
    public const int MaxKlineLimit = 1000;

    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public MexcRestClient(MexcOptions options, TimeProvider time, HttpMessageHandler? handler = null)
    {
        options.ThrowIfInvalid();
        _time = time;
        Budget = new MexcRequestBudget(options.RequestsPerWindowPerEndpoint, options.RequestWindow, time);
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = new Uri(options.RestBaseUrl.TrimEnd('/') + "/");
        _http.Timeout = options.RequestTimeout;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("MarketData/1.0");
    }

    public MexcRequestBudget Budget { get; }

    /// <summary>MEXC's REST interval name for <paramref name="timeframe"/>; throws <see cref="NotSupportedException"/> for 1s, which MEXC does not have.</summary>
    public static string IntervalName(Timeframe timeframe)
        => timeframe.MexcName ?? throw new NotSupportedException(
            $"MEXC has no '{timeframe.Name}' klines (its REST intervals are 1m 5m 15m 30m 60m 4h 1d 1W 1M); {timeframe.Name} candles are only available from Binance.");

    /// <summary>
    /// GET <c>/api/v3/klines</c>: at most <paramref name="limit"/> (1-1000) 8-column rows
    /// <c>[openTime, open, high, low, close, volume, closeTime, quoteVolume]</c>, oldest first. Returns the raw body.
    /// </summary>
    public Task<byte[]> GetKlinesAsync(string symbol, Timeframe timeframe, long? startTime, long? endTime, int limit, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        var interval = IntervalName(timeframe);
        if (limit is < 1 or > MaxKlineLimit) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"Kline limit must be 1-{MaxKlineLimit}.");
        var path = string.Create(CultureInfo.InvariantCulture, $"api/v3/klines?symbol={symbol}&interval={interval}&limit={limit}")
                   + (startTime is { } s ? string.Create(CultureInfo.InvariantCulture, $"&startTime={s}") : "")
                   + (endTime is { } e ? string.Create(CultureInfo.InvariantCulture, $"&endTime={e}") : "");
        return GetAsync("klines", path, $"/api/v3/klines {symbol} {interval}", cancellationToken);
    }

    /// <summary>GET <c>/api/v3/depth</c>: <c>{"lastUpdateId","bids","asks"}</c> like Binance (the id is MEXC's book version). Raw body.</summary>
    public Task<byte[]> GetDepthSnapshotAsync(string symbol, int limit, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        if (limit is < 1 or > 5000) throw new ArgumentOutOfRangeException(nameof(limit), limit, "Depth limit must be 1-5000.");
        return GetAsync("depth", string.Create(CultureInfo.InvariantCulture, $"api/v3/depth?symbol={symbol}&limit={limit}"), $"/api/v3/depth {symbol}", cancellationToken);
    }

    /// <summary>GET <c>/api/v3/ticker/price?symbol=..</c>: the last price.</summary>
    public async Task<TickerPrice> GetTickerPriceAsync(string symbol, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        var body = await GetAsync("ticker/price", $"api/v3/ticker/price?symbol={symbol}", $"/api/v3/ticker/price {symbol}", cancellationToken).ConfigureAwait(false);
        try { return ExchangeFailures.ParseTickerPrice(body, symbol); }
        catch (FormatException ex) { throw new MexcRestException($"GET /api/v3/ticker/price {symbol}: {ex.Message}", HttpStatusCode.OK, null, null, ex, ExchangeFailure.BadResponse); }
    }

    /// <summary>
    /// GET <c>/api/v3/ticker/24hr?symbol=..</c>. Raw body: Binance's field names, but <c>priceChangePercent</c> is a
    /// fraction, <c>bidQty</c>/<c>askQty</c> may be empty strings and <c>quoteVolume</c>/<c>count</c> may be null.
    /// </summary>
    public Task<byte[]> GetTicker24hAsync(string symbol, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        return GetAsync("ticker/24hr", $"api/v3/ticker/24hr?symbol={symbol}", $"/api/v3/ticker/24hr {symbol}", cancellationToken);
    }

    public Task PingAsync(CancellationToken cancellationToken) => GetAsync("ping", "api/v3/ping", "/api/v3/ping", cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<byte[]> GetAsync(string endpoint, string path, string what, CancellationToken cancellationToken)
    {
        await Budget.ReserveAsync(endpoint, cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new MexcRestException($"MEXC GET {what} failed: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MexcRestException($"MEXC GET {what} timed out after {_http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", null, null, null, ex, ExchangeFailure.Timeout);
        }
        using (response)
        {
            byte[] body;
            try
            {
                body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new MexcRestException($"MEXC GET {what}: HTTP {(int)response.StatusCode}, body not received: {ex.Message}", null, null, null, ex,
                    ex is OperationCanceledException ? ExchangeFailure.Timeout : ExchangeFailure.ConnectionLost);
            }
            var retryAfter = ExchangeFailures.ReadRetryAfter(response, _time);
            if (response.IsSuccessStatusCode) return body;
            var (code, _) = ExchangeFailures.ReadError(body);
            var limited = Budget.OnResponse(response.StatusCode, retryAfter);
            var suffix = limited ? string.Create(CultureInfo.InvariantCulture, $" rate limit, retry after {retryAfter?.TotalSeconds.ToString(CultureInfo.InvariantCulture) ?? "?"} s.") : ".";
            throw new MexcRestException($"MEXC GET {what}: HTTP {(int)response.StatusCode}{suffix} {ExchangeFailures.ErrorText(body)}", response.StatusCode, code, retryAfter);
        }
    }

    private static void CheckSymbol(string symbol)
    {
        if (string.IsNullOrEmpty(symbol) || symbol.Length > 20 || !symbol.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9'))
            throw new ArgumentException($"Symbol '{symbol}' is invalid: expected 1-20 upper-case letters or digits.", nameof(symbol));
    }
}
