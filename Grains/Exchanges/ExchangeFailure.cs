using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace MarketData.Exchanges;

/// <summary>
/// Why an exchange REST call failed, classified so a fallback policy can decide what it means for the
/// exchange's health. Only some kinds are reasons to leave an exchange (see <c>ExchangeFallbackPolicy</c>).
/// </summary>
public enum ExchangeFailure
{
    None = 0,
    /// <summary>No TCP connection could be made: refused, host or network unreachable, name not resolved, TLS failed.</summary>
    ConnectionRefused,
    /// <summary>A connection was made but dropped before a whole response arrived (reset, response ended, invalid HTTP).</summary>
    ConnectionLost,
    /// <summary>HTTP 451 (legal) or 403 (Binance's WAF and geo-block answer): this IP is not served.</summary>
    GeoBlocked,
    /// <summary>HTTP 5xx: the exchange is unwell (the request's outcome is unknown).</summary>
    ServerError,
    /// <summary>No answer within the client's timeout.</summary>
    Timeout,
    /// <summary>HTTP 429: too many requests; wait for Retry-After, it is not an outage.</summary>
    RateLimited,
    /// <summary>HTTP 418: the IP is banned after ignoring 429s (minutes to days).</summary>
    Banned,
    /// <summary>A 2xx body that could not be parsed (truncated, wrong shape, bad numbers).</summary>
    BadResponse,
    /// <summary>Other HTTP 4xx with an exchange error code (bad symbol, bad interval): our request was wrong.</summary>
    BadRequest,
}

/// <summary>A REST call an exchange refused or that failed, with its classified <see cref="ExchangeFailure"/>.</summary>
public class ExchangeRestException : Exception
{
    public ExchangeRestException(string exchange, string message, ExchangeFailure failure, HttpStatusCode? status = null, int? code = null, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Exchange = exchange;
        Failure = failure;
        Status = status;
        Code = code;
        RetryAfter = retryAfter;
    }

    public ExchangeRestException() : this("unknown", "Exchange REST call failed.", ExchangeFailure.None) { }
    public ExchangeRestException(string message) : this("unknown", message, ExchangeFailure.None) { }
    public ExchangeRestException(string message, Exception inner) : this("unknown", message, ExchangeFailures.Classify(null, inner), inner: inner) { }

    /// <summary>Lower-case exchange name (<c>binance</c>, <c>mexc</c>).</summary>
    public string Exchange { get; }
    public ExchangeFailure Failure { get; }
    public HttpStatusCode? Status { get; }
    /// <summary>The exchange's error code from a <c>{"code":..,"msg":..}</c> body, when present.</summary>
    public int? Code { get; }
    public TimeSpan? RetryAfter { get; }
    public bool IsRateLimit => Failure is ExchangeFailure.RateLimited or ExchangeFailure.Banned;
}

/// <summary>Last traded price of a symbol from <c>/api/v3/ticker/price</c> (fixed-point 1e8).</summary>
public readonly record struct TickerPrice(string Symbol, long Price);

/// <summary>Classification and small response helpers shared by the exchange REST clients.</summary>
public static class ExchangeFailures
{
    /// <summary>Classifies an HTTP status and/or a transport exception.</summary>
    public static ExchangeFailure Classify(HttpStatusCode? status, Exception? exception)
    {
        if (status is { } s)
        {
            var code = (int)s;
            if (code is >= 200 and < 300) return exception is null ? ExchangeFailure.None : ExchangeFailure.BadResponse;
            if (code == 429) return ExchangeFailure.RateLimited;
            if (code == 418) return ExchangeFailure.Banned;
            if (code is 451 or 403) return ExchangeFailure.GeoBlocked;
            if (code >= 500) return ExchangeFailure.ServerError;
            return ExchangeFailure.BadRequest;
        }
        return exception switch
        {
            null => ExchangeFailure.None,
            HttpRequestException http => ClassifyTransport(http),
            OperationCanceledException => ExchangeFailure.Timeout,
            TimeoutException => ExchangeFailure.Timeout,
            SocketException socket => IsUnreachable(socket.SocketErrorCode) ? ExchangeFailure.ConnectionRefused : ExchangeFailure.ConnectionLost,
            IOException => ExchangeFailure.ConnectionLost,
            JsonException or FormatException => ExchangeFailure.BadResponse,
            _ => ExchangeFailure.ConnectionLost,
        };
    }

    /// <summary>True for failures that say nothing about the exchange's health (our own request was wrong, or we must just wait).</summary>
    public static bool IsHealthNeutral(ExchangeFailure failure) => failure is ExchangeFailure.None or ExchangeFailure.RateLimited or ExchangeFailure.BadRequest;

    private static ExchangeFailure ClassifyTransport(HttpRequestException ex)
    {
        // A connect-phase failure is "refused/unreachable"; anything after the connection existed is "lost".
        for (Exception? inner = ex.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket && IsUnreachable(socket.SocketErrorCode)) return ExchangeFailure.ConnectionRefused;
        return ex.HttpRequestError switch
        {
            HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
                => ExchangeFailure.ConnectionRefused,
            _ => ExchangeFailure.ConnectionLost,
        };
    }

    private static bool IsUnreachable(SocketError error)
        => error is SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.HostDown or SocketError.NetworkDown;

    internal static TimeSpan? ReadRetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - time.GetUtcNow();
        return null;
    }

    /// <summary>Reads <c>code</c> and <c>msg</c> of an exchange error body; nulls when the body is not one.</summary>
    internal static (int? Code, string? Message) ReadError(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (null, null);
            int? code = doc.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var v) ? v : null;
            string? msg = doc.RootElement.TryGetProperty("msg", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (code, msg);
        }
        catch (JsonException) { return (null, null); }
    }

    /// <summary>A short, log-safe rendering of an error body: the exchange's code and message when present, else the first 200 bytes.</summary>
    internal static string ErrorText(byte[] body)
    {
        var (code, msg) = ReadError(body);
        if (code is not null || msg is not null)
            return string.Create(CultureInfo.InvariantCulture, $"code {code?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {msg ?? "(no msg)"}");
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200));
        return text.Length == 0 ? "(empty body)" : "body: " + text;
    }

    /// <summary>Parses <c>{"symbol":"BTCUSDT","price":"123.45"}</c>; throws <see cref="FormatException"/> when it is not one.</summary>
    internal static TickerPrice ParseTickerPrice(ReadOnlySpan<byte> body, string expectedSymbol)
    {
        var reader = new Utf8JsonReader(body);
        string? symbol = null;
        long? price = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("ticker price: expected a JSON object.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSymbol = reader.ValueTextEquals("symbol"u8);
                var isPrice = reader.ValueTextEquals("price"u8);
                if (!reader.Read()) break;
                if (isSymbol && reader.TokenType == JsonTokenType.String) symbol = reader.GetString();
                else if (isPrice && reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                {
                    if (reader.HasValueSequence || !Utf8FixedPoint.TryParse(reader.ValueSpan, out var p) || p <= 0)
                        throw new FormatException("ticker price: 'price' is not a positive decimal with at most 8 decimals.");
                    price = p;
                }
                else reader.Skip();
            }
        }
        catch (JsonException ex) { throw new FormatException("ticker price: invalid JSON: " + ex.Message, ex); }
        if (price is null) throw new FormatException("ticker price: 'price' missing.");
        if (symbol is not null && !string.Equals(symbol, expectedSymbol, StringComparison.Ordinal))
            throw new FormatException($"ticker price: asked for {expectedSymbol}, got {symbol}.");
        return new TickerPrice(expectedSymbol, price.Value);
    }
}
