using System.Globalization;
using System.Net;
using MarketData.Candles;

namespace MarketData.Exchanges.Binance;

/// <summary>A REST call Binance refused or that failed; carries the exchange's error code, any Retry-After and the classified failure.</summary>
public sealed class BinanceRestException : ExchangeRestException
{
    public BinanceRestException(string message, HttpStatusCode? status = null, int? code = null, TimeSpan? retryAfter = null, Exception? inner = null, ExchangeFailure? failure = null)
        : base("binance", message, failure ?? ExchangeFailures.Classify(status, inner), status, code, retryAfter, inner)
    {
    }

    public BinanceRestException() : this("Binance REST call failed.") { }
    public BinanceRestException(string message) : this(message, null, null, null, null) { }
    public BinanceRestException(string message, Exception inner) : this(message, null, null, null, inner) { }
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
    public Task<byte[]> GetDepthSnapshotAsync(string symbol, int limit, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        if (limit is < 1 or > 5000) throw new ArgumentOutOfRangeException(nameof(limit), limit, "Depth limit must be 1-5000.");
        return GetAsync(string.Create(CultureInfo.InvariantCulture, $"api/v3/depth?symbol={symbol}&limit={limit}"), RestWeightBudget.DepthWeight(limit), $"/api/v3/depth {symbol}", cancellationToken);
    }

    /// <summary>
    /// GET <c>/api/v3/klines</c> (weight 2): at most <paramref name="limit"/> (1-1000) rows, oldest first, of 12 columns.
    /// With <paramref name="startTime"/> the oldest rows from it; with only <paramref name="endTime"/> the newest up to it
    /// (both inclusive, Unix ms, matched against open times). Returns the raw body.
    /// </summary>
    public Task<byte[]> GetKlinesAsync(string symbol, Timeframe timeframe, long? startTime, long? endTime, int limit, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        if (timeframe.Name is null) throw new ArgumentException("Timeframe is not initialised.", nameof(timeframe));
        if (limit is < 1 or > MaxKlineLimit) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"Kline limit must be 1-{MaxKlineLimit}.");
        var path = string.Create(CultureInfo.InvariantCulture, $"api/v3/klines?symbol={symbol}&interval={timeframe.Name}&limit={limit}")
                   + (startTime is { } s ? string.Create(CultureInfo.InvariantCulture, $"&startTime={s}") : "")
                   + (endTime is { } e ? string.Create(CultureInfo.InvariantCulture, $"&endTime={e}") : "");
        return GetAsync(path, KlinesWeight, $"/api/v3/klines {symbol} {timeframe.Name}", cancellationToken);
    }

    /// <summary>GET <c>/api/v3/ticker/price?symbol=..</c> (weight 2): the last traded price.</summary>
    public async Task<TickerPrice> GetTickerPriceAsync(string symbol, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        var body = await GetAsync($"api/v3/ticker/price?symbol={symbol}", TickerPriceWeight, $"/api/v3/ticker/price {symbol}", cancellationToken).ConfigureAwait(false);
        try { return ExchangeFailures.ParseTickerPrice(body, symbol); }
        catch (FormatException ex) { throw new BinanceRestException($"GET /api/v3/ticker/price {symbol}: {ex.Message}", HttpStatusCode.OK, null, null, ex, ExchangeFailure.BadResponse); }
    }

    /// <summary>GET <c>/api/v3/ticker/24hr?symbol=..</c> (weight 2 for one symbol); returns the raw body.</summary>
    public Task<byte[]> GetTicker24hAsync(string symbol, CancellationToken cancellationToken)
    {
        CheckSymbol(symbol);
        return GetAsync($"api/v3/ticker/24hr?symbol={symbol}", Ticker24hWeight, $"/api/v3/ticker/24hr {symbol}", cancellationToken);
    }

    /// <summary>GET <c>/api/v3/ping</c> (weight 1): completes when Binance answered 2xx; used to probe health during a fallback.</summary>
    public Task PingAsync(CancellationToken cancellationToken) => GetAsync("api/v3/ping", 1, "/api/v3/ping", cancellationToken);

    public const int MaxKlineLimit = 1000;
    public const int KlinesWeight = 2;
    /// <summary>Binance's documented weight for one symbol's price ticker (4 without a symbol).</summary>
    public const int TickerPriceWeight = 2;
    public const int Ticker24hWeight = 2;

    /// <summary>
    /// One GET: reserves <paramref name="weight"/> in the shared budget, sends, feeds the response into the budget,
    /// and throws a classified <see cref="BinanceRestException"/> for anything but 2xx.
    /// </summary>
    private async Task<byte[]> GetAsync(string path, int weight, string what, CancellationToken cancellationToken)
    {
        await Budget.ReserveAsync(weight, cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new BinanceRestException($"GET {what} failed: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BinanceRestException($"GET {what} timed out after {_http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", null, null, null, ex, ExchangeFailure.Timeout);
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
                throw new BinanceRestException($"GET {what}: HTTP {(int)response.StatusCode}, body not received: {ex.Message}", null, null, null, ex,
                    ex is OperationCanceledException ? ExchangeFailure.Timeout : ExchangeFailure.ConnectionLost);
            }
            var retryAfter = ExchangeFailures.ReadRetryAfter(response, TimeProvider.System);
            var (code, _) = response.IsSuccessStatusCode ? (null, null) : ExchangeFailures.ReadError(body);
            if (Budget.OnResponse(response.StatusCode, ReadUsedWeight(response), retryAfter))
            {
                RateLimited?.Invoke(response.StatusCode, retryAfter);
                throw new BinanceRestException(
                    $"GET {what}: HTTP {(int)response.StatusCode} rate limit, retry after {retryAfter?.TotalSeconds.ToString(CultureInfo.InvariantCulture) ?? "?"} s. {ExchangeFailures.ErrorText(body)}",
                    response.StatusCode, code, retryAfter);
            }
            if (!response.IsSuccessStatusCode)
                throw new BinanceRestException($"GET {what}: HTTP {(int)response.StatusCode}. {ExchangeFailures.ErrorText(body)}", response.StatusCode, code);
            return body;
        }
    }

    public void Dispose()
    {
        if (_ownsClient) _http.Dispose();
    }

    private static void CheckSymbol(string symbol)
    {
        if (!BinanceFeedOptions.IsValidSymbol(symbol)) throw new ArgumentException($"Symbol '{symbol}' is invalid.", nameof(symbol));
    }

    private static int? ReadUsedWeight(HttpResponseMessage response)
        => response.Headers.TryGetValues("X-MBX-USED-WEIGHT-1M", out var values)
           && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var used) ? used : null;
}
