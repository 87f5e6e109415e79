using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace MarketData.LoadGeneration;

/// <summary>
/// Binance spot's request rules as its servers apply them (see <c>shared/reference/exchange-protocols.md</c>): stream
/// names and the 1,024-stream limit of a combined connection, endpoint weights, parameter validation, and the error
/// bodies (<c>{"code":-1121,"msg":"Invalid symbol."}</c>) with the <c>X-MBX-USED-WEIGHT-1M</c> header. One definition
/// for every fake Binance (the load generator and the tests' protocol fake), so they answer a request the same way.
/// </summary>
public static partial class BinanceRestRules
{
    /// <summary>Streams one combined connection may carry.</summary>
    public const int MaxStreamsPerConnection = 1024;

    /// <summary>Weight of <c>/api/v3/klines</c> (any limit).</summary>
    public const int KlinesWeight = 2;

    public const string MissingSymbol = "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.";
    public const string InvalidSymbol = "Invalid symbol.";
    public const string InvalidInterval = "Invalid interval.";
    public const string InvalidParameter = "Invalid data sent for a parameter.";
    public const string IllegalLimit = "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.";
    public const string Banned = "Way too much request weight used; IP banned until later.";

    /// <summary>Kline intervals by name, in milliseconds.</summary>
    public static readonly IReadOnlyDictionary<string, long> Intervals = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["1s"] = 1_000, ["1m"] = 60_000, ["3m"] = 180_000, ["5m"] = 300_000, ["15m"] = 900_000, ["30m"] = 1_800_000,
        ["1h"] = 3_600_000, ["2h"] = 7_200_000, ["4h"] = 14_400_000, ["6h"] = 21_600_000, ["8h"] = 28_800_000,
        ["12h"] = 43_200_000, ["1d"] = 86_400_000, ["3d"] = 259_200_000, ["1w"] = 604_800_000,
    };

    // Kline streams of the candle timeframes the silo follows; other intervals are not served by these fakes.
    [GeneratedRegex("^[a-z0-9]{1,20}@(depth|depth@100ms|depth@1000ms|trade|aggTrade|bookTicker|ticker|kline_(1s|1m|1h|1d))$")]
    private static partial Regex StreamName();

    /// <summary>The 429 message at a per-minute limit of <paramref name="limit"/>.</summary>
    public static string TooMuchWeight(int limit) =>
        $"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.";

    /// <summary>Splits a combined connection's <c>streams</c> parameter; false with Binance's message when it is not acceptable.</summary>
    public static bool TryParseStreams(string streamsText, out string[] streams, out string error)
    {
        streams = streamsText.Split('/', StringSplitOptions.RemoveEmptyEntries);
        error = "";
        if (streams.Length > MaxStreamsPerConnection) error = $"Too many streams: {streams.Length} (at most {MaxStreamsPerConnection}).";
        else if (streams.Length == 0) error = "Invalid stream name ''.";
        else if (streams.FirstOrDefault(s => !StreamName().IsMatch(s)) is { } invalid) error = $"Invalid stream name '{invalid}'.";
        return error.Length == 0;
    }

    /// <summary>Binance's weight of <c>/api/v3/depth</c> by limit.</summary>
    public static int DepthWeight(int limit) => limit switch { <= 100 => 5, <= 500 => 25, <= 1000 => 50, _ => 250 };

    /// <summary>The depth limit (default 100, clamped to 1..5,000); false when it is not a number.</summary>
    public static bool TryParseDepthLimit(string text, out int limit)
    {
        limit = 100;
        if (text.Length > 0 && !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit)) return false;
        limit = Math.Clamp(limit, 1, 5000);
        return true;
    }

    /// <summary>A kline request's optional <c>startTime</c>, <c>endTime</c> and <c>limit</c> (1..1,000); false when any is invalid.</summary>
    public static bool TryParseKlineRange(IQueryCollection query, out long? start, out long? end, out int? limit)
    {
        limit = null;
        end = null;
        if (!TryOptionalLong(query["startTime"].ToString(), out start) || !TryOptionalLong(query["endTime"].ToString(), out end)
            || !TryOptionalLong(query["limit"].ToString(), out var l) || l is < 1 or > 1000 || (start is { } s && end is { } e && s > e))
            return false;
        limit = (int?)l;
        return true;
    }

    /// <summary>A JSON body with the weight used so far this minute.</summary>
    public static async Task WriteJsonAsync(HttpContext context, ReadOnlyMemory<byte> body, int usedWeight)
    {
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = usedWeight.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json;charset=UTF-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body).ConfigureAwait(false);
    }

    /// <summary>Binance's error body, with the weight used so far this minute.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int status, int code, string message, int usedWeight)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = usedWeight.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.WriteAsync($"{{\"code\":{code},\"msg\":\"{message}\"}}").ConfigureAwait(false);
    }

    /// <summary>An optional non-negative integer parameter: null when absent, false when present but not a number.</summary>
    public static bool TryOptionalLong(string text, out long? value)
    {
        value = null;
        if (text.Length == 0) return true;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        value = v;
        return true;
    }
}
