using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using MarketData.Instruments;
using MarketData.LoadGeneration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MarketData.Tests.Fakes;

/// <summary>
/// A local stand-in for MEXC spot REST v3 (Kestrel on 127.0.0.1, port 0): <c>/api/v3/klines</c> with MEXC's interval
/// names and 8-column rows of the same <see cref="SyntheticCandles"/> the fake Binance serves (close time sent as
/// open + interval, as MEXC does), <c>/api/v3/depth</c>, <c>/api/v3/ticker/price</c>, <c>/api/v3/ticker/24hr</c> and
/// <c>/api/v3/ping</c>. Errors use MEXC's body <c>{"msg":..,"code":..,"_extend":null}</c>; an unknown interval
/// (such as Binance's <c>1h</c> or <c>1s</c>) gets <c>-1121 "Invalid interval."</c> like the real server.
/// Faults: persistent <see cref="RestFault"/> and queued 429/418 with Retry-After.
/// </summary>
public sealed class FakeMexcServer : IAsyncDisposable
{
    private static readonly Dictionary<string, long> Intervals = new(StringComparer.Ordinal)
    {
        ["1m"] = 60_000, ["5m"] = 300_000, ["15m"] = 900_000, ["30m"] = 1_800_000, ["60m"] = 3_600_000,
        ["4h"] = 14_400_000, ["1d"] = 86_400_000, ["1W"] = 604_800_000,
    };

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<(HttpStatusCode Status, int RetryAfterSeconds)> _faults = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private int _klineRequests;
    private int _restRequests;

    private FakeMexcServer(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
    }

    public Uri RestBaseUrl { get; private set; } = null!;
    public FakeRestFault RestFault { get; set; }
    public long KlinesAvailableFrom { get; set; }
    /// <summary>Symbols answered with MEXC's "Invalid symbol." error.</summary>
    public ISet<string> InvalidSymbols { get; } = new HashSet<string>(StringComparer.Ordinal);
    public int KlineRequests => Volatile.Read(ref _klineRequests);
    public int RestRequests => Volatile.Read(ref _restRequests);
    /// <summary>Path and query of every request received, in order.</summary>
    public IReadOnlyCollection<string> Requests => _requests.ToArray();

    public static async Task<FakeMexcServer> StartAsync(TimeProvider time)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeMexcServer(app, time);
        app.Use(server.FaultsAsync);
        app.MapGet("/api/v3/klines", server.KlinesAsync);
        app.MapGet("/api/v3/depth", server.DepthAsync);
        app.MapGet("/api/v3/ticker/price", server.TickerPriceAsync);
        app.MapGet("/api/v3/ticker/24hr", server.Ticker24hAsync);
        app.MapGet("/api/v3/ping", context => context.Response.WriteAsync("{}"));
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException("no server");
        server.RestBaseUrl = new Uri(address);
        return server;
    }

    /// <summary>The next requests answer with these statuses (429 or 418) and Retry-After seconds, in order.</summary>
    public void EnqueueRestFault(HttpStatusCode status, int retryAfterSeconds) => _faults.Enqueue((status, retryAfterSeconds));

    private async Task FaultsAsync(HttpContext context, Func<Task> next)
    {
        Interlocked.Increment(ref _restRequests);
        _requests.Enqueue(context.Request.Path + context.Request.QueryString);
        switch (RestFault)
        {
            case FakeRestFault.GeoBlocked451 or FakeRestFault.Forbidden403:
                context.Response.StatusCode = RestFault == FakeRestFault.GeoBlocked451 ? 451 : 403;
                return;
            case FakeRestFault.ServerError5xx:
                await ErrorAsync(context, 500, 500, "Internal Server Error").ConfigureAwait(false);
                return;
            case FakeRestFault.Hang:
                try { await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                return;
            case FakeRestFault.DropConnection:
                context.Abort();
                return;
        }
        if (_faults.TryDequeue(out var fault))
        {
            context.Response.Headers["Retry-After"] = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await ErrorAsync(context, (int)fault.Status, 429, "Too Many Requests").ConfigureAwait(false);
            return;
        }
        await next().ConfigureAwait(false);
    }

    private async Task KlinesAsync(HttpContext context)
    {
        Interlocked.Increment(ref _klineRequests);
        var q = context.Request.Query;
        var symbol = q["symbol"].ToString();
        if (!ValidSymbol(symbol)) { await ErrorAsync(context, 400, -1121, "Invalid symbol.").ConfigureAwait(false); return; }
        if (!Intervals.TryGetValue(q["interval"].ToString(), out var ms)) { await ErrorAsync(context, 400, -1121, "Invalid interval.").ConfigureAwait(false); return; }
        if (!BinanceRestRules.TryOptionalLong(q["startTime"].ToString(), out var start) || !BinanceRestRules.TryOptionalLong(q["endTime"].ToString(), out var end) || !BinanceRestRules.TryOptionalLong(q["limit"].ToString(), out var limit))
        {
            await ErrorAsync(context, 400, 700002, "Illegal parameter.").ConfigureAwait(false);
            return;
        }
        var sb = new StringBuilder("[");
        var first = true;
        var rows = (int)Math.Clamp(limit ?? 500, 1, 1000);
        foreach (var openTime in SyntheticCandles.OpenTimes(ms, start, end, rows, _time.GetUtcNow().ToUnixTimeMilliseconds(), KlinesAvailableFrom))
        {
            if (!first) sb.Append(',');
            first = false;
            SyntheticCandles.AppendMexcRow(sb, SyntheticCandles.At(symbol, ms, openTime));
        }
        sb.Append(']');
        await JsonAsync(context, sb.ToString()).ConfigureAwait(false);
    }

    private async Task DepthAsync(HttpContext context)
    {
        var symbol = context.Request.Query["symbol"].ToString();
        if (!ValidSymbol(symbol)) { await ErrorAsync(context, 400, -1121, "Invalid symbol.").ConfigureAwait(false); return; }
        var levels = int.TryParse(context.Request.Query["limit"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 5000) : 100;
        levels = Math.Min(levels, 20);
        var mid = SyntheticCandles.LastPrice(symbol, _time.GetUtcNow().ToUnixTimeMilliseconds());
        var tick = FixedPoint.Scale / 100;
        var sb = new StringBuilder("{\"lastUpdateId\":").Append(_time.GetUtcNow().ToUnixTimeMilliseconds()).Append(",\"bids\":[");
        for (var i = 1; i <= levels; i++) sb.Append(i > 1 ? "," : "").Append("[\"").Append(FixedPoint.ToText(mid - i * tick)).Append("\",\"").Append(i).Append(".5\"]");
        sb.Append("],\"asks\":[");
        for (var i = 1; i <= levels; i++) sb.Append(i > 1 ? "," : "").Append("[\"").Append(FixedPoint.ToText(mid + i * tick)).Append("\",\"").Append(i).Append(".25\"]");
        sb.Append("]}");
        await JsonAsync(context, sb.ToString()).ConfigureAwait(false);
    }

    private async Task TickerPriceAsync(HttpContext context)
    {
        var symbol = context.Request.Query["symbol"].ToString();
        if (!ValidSymbol(symbol)) { await ErrorAsync(context, 400, -1121, "Invalid symbol.").ConfigureAwait(false); return; }
        var price = SyntheticCandles.LastPrice(symbol, _time.GetUtcNow().ToUnixTimeMilliseconds());
        await JsonAsync(context, $"{{\"symbol\":\"{symbol}\",\"price\":\"{FixedPoint.ToText(price)}\"}}").ConfigureAwait(false);
    }

    private async Task Ticker24hAsync(HttpContext context)
    {
        var symbol = context.Request.Query["symbol"].ToString();
        if (!ValidSymbol(symbol)) { await ErrorAsync(context, 400, -1121, "Invalid symbol.").ConfigureAwait(false); return; }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var price = FixedPoint.ToText(SyntheticCandles.LastPrice(symbol, now));
        // MEXC's shape: priceChangePercent as a fraction, empty bidQty/askQty, null count.
        await JsonAsync(context, $"{{\"symbol\":\"{symbol}\",\"priceChange\":\"0\",\"priceChangePercent\":\"0.00400048\",\"prevClosePrice\":\"{price}\",\"lastPrice\":\"{price}\",\"bidPrice\":\"{price}\",\"bidQty\":\"\",\"askPrice\":\"{price}\",\"askQty\":\"\",\"openPrice\":\"{price}\",\"highPrice\":\"{price}\",\"lowPrice\":\"{price}\",\"volume\":\"1.5\",\"quoteVolume\":null,\"openTime\":{now - 86_400_000},\"closeTime\":{now},\"count\":null}}").ConfigureAwait(false);
    }

    private bool ValidSymbol(string symbol) => !InvalidSymbols.Contains(symbol) && symbol.Length is > 0 and <= 20 && symbol.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c));

    private static async Task JsonAsync(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body).ConfigureAwait(false);
    }

    private static async Task ErrorAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"msg\":\"{message}\",\"code\":{code.ToString(CultureInfo.InvariantCulture)},\"_extend\":null}}").ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
