using System.Globalization;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Pivots;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MarketData.Silo.Http;

/// <summary>
/// The HTTP API: thin handlers over grain calls. Inputs are checked here, at the edge: a malformed
/// instrument or depth is a 400, a symbol no feed follows is a 404, both with a JSON error.
/// </summary>
public static class MarketDataApi
{
    public const int DefaultDepth = 100;

    /// <summary>What the routes need besides an <see cref="IGrainFactory"/>, for a web host apart from the silo (tests, a front end).</summary>
    public static IServiceCollection AddMarketDataApiServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<Actors.BaseInputOptions>().Bind(configuration.GetSection(Actors.BaseInputOptions.Section));
        services.TryAddSingleton(typeof(Actors.LastValidOptions<>));
        return services;
    }

    public static IEndpointRouteBuilder MapMarketDataApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" }, MarketDataJson.Options));
        var api = app.MapGroup("/api/v1").AddEndpointFilter(ClusterUnavailableAs503);
        api.MapGet("/books/{exchange}/{symbol}", GetBookAsync);
        api.MapGet("/books/{exchange}/{symbol}/health", GetBookHealthAsync);
        api.MapGet("/feeds", GetFeedsAsync);
        api.MapGet("/candles/{exchange}/{symbol}/{timeframe}", GetCandlesAsync);
        api.MapGet("/pivots/{symbol}", GetPivotsAsync);
        api.MapGet("/pivot-bounds/{symbol}", GetPivotBoundsAsync);
        api.MapGet("/price/{symbol}", GetPriceAsync);
        api.MapGet("/cob/{symbol}", GetCobAsync);
        api.MapGet("/heatmap/{symbol}", GetHeatmapAsync);
        api.MapBaseInputApi();
        return app;
    }

    /// <summary>A grain call that times out or finds no silo is the cluster's trouble, not a bug: 503 with a JSON error.</summary>
    private static async ValueTask<object?> ClusterUnavailableAs503(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "The cluster did not answer in time.", ex.Message);
        }
    }

    internal static async Task<IResult> GetBookAsync(string exchange, string symbol, string? depth, IGrainFactory grains)
    {
        if (!Instrument.TryCreate(exchange, symbol, out var instrument, out var error))
            return Error(StatusCodes.Status400BadRequest, error);

        var levels = DefaultDepth;
        if (depth is not null && (!int.TryParse(depth, NumberStyles.None, CultureInfo.InvariantCulture, out levels) || levels is < 1 or > Actors.OrderBookGrain.MaxDepth))
            return Error(StatusCodes.Status400BadRequest, $"depth must be an integer from 1 to {Actors.OrderBookGrain.MaxDepth}, not '{depth}'.");

        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);

        var view = await grains.GetGrain<IOrderBookGrain>(instrument.Key).GetSnapshotAsync(levels);
        return Results.Json(MarketDataJson.ToDocument(view), MarketDataJson.Options);
    }

    internal static async Task<IResult> GetBookHealthAsync(string exchange, string symbol, IGrainFactory grains)
    {
        if (!Instrument.TryCreate(exchange, symbol, out var instrument, out var error))
            return Error(StatusCodes.Status400BadRequest, error);
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var health = await grains.GetGrain<IOrderBookGrain>(instrument.Key).GetHealthAsync();
        return Results.Json(MarketDataJson.ToDocument(instrument.Exchange, instrument.Symbol, health), MarketDataJson.Options);
    }

    internal static async Task<IResult> GetFeedsAsync(IGrainFactory grains)
    {
        var statuses = await grains.GetGrain<IFeedRegistryGrain>(0).GetStatusesAsync();
        return Results.Json(new MarketDataJson.FeedsDocument(statuses), MarketDataJson.Options);
    }

    public const int DefaultCandleLimit = 500;

    internal static async Task<IResult> GetCandlesAsync(string exchange, string symbol, string timeframe, string? limit, string? asOf, IGrainFactory grains)
    {
        if (!Instrument.TryCreate(exchange, symbol, out var instrument, out var error)) return Error(StatusCodes.Status400BadRequest, error);
        if (!Timeframe.TryParse(timeframe, out var tf)) return Error(StatusCodes.Status400BadRequest, $"Unknown timeframe '{timeframe}': expected one of 1s, 1m, 1h, 1d.");
        if (!TryInt(limit, DefaultCandleLimit, 1, 100_000, out var count)) return Error(StatusCodes.Status400BadRequest, $"limit must be an integer from 1 to 100000, not '{limit}'.");
        if (!TryTime(asOf, out var asOfMs)) return Error(StatusCodes.Status400BadRequest, $"asOf must be Unix milliseconds, not '{asOf}'.");
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var view = await grains.GetGrain<ICandleGrain>(new CandleSeriesKey(instrument, tf).Key).GetCandlesAsync(count, asOfMs);
        return Results.Json(MarketDataJson.ToDocument(view), MarketDataJson.Options);
    }

    internal static async Task<IResult> GetPivotsAsync(string symbol, string? timeframe, string? levels, string? limit, string? asOf, string? exchange,
        IGrainFactory grains)
    {
        if (!TryPivotTarget(exchange, symbol, timeframe, asOf, out var key, out var asOfMs, out var bad)) return bad;
        if (!TryInt(levels, 5, 1, 5, out var levelCount)) return Error(StatusCodes.Status400BadRequest, $"levels must be an integer from 1 to 5, not '{levels}'.");
        if (!TryInt(limit, 500, 1, 100_000, out var perLevel)) return Error(StatusCodes.Status400BadRequest, $"limit must be an integer from 1 to 100000, not '{limit}'.");
        if (!await IsFollowedAsync(grains, key.Instrument)) return NotFollowed(key.Instrument);
        var view = await grains.GetGrain<IPivotGrain>(key.Key).GetPivotsAsync(levelCount, asOfMs, perLevel);
        return Results.Json(MarketDataJson.ToDocument(view), MarketDataJson.Options);
    }

    internal static async Task<IResult> GetPivotBoundsAsync(string symbol, string? timeframe, string? asOf, string? exchange, IGrainFactory grains)
    {
        if (!TryPivotTarget(exchange, symbol, timeframe, asOf, out var key, out var asOfMs, out var bad)) return bad;
        if (!await IsFollowedAsync(grains, key.Instrument)) return NotFollowed(key.Instrument);
        var bounds = await grains.GetGrain<IPivotGrain>(key.Key).GetBoundsAsync(asOfMs);
        if (bounds is null)
            return Error(StatusCodes.Status404NotFound, $"No pivot bounds for {key} yet.",
                asOfMs is null ? "No closed candle has been analysed yet." : "Bounds are kept for the latest candle only; asOf must not lie before it.");
        return Results.Json(MarketDataJson.ToDocument(key.Instrument.Exchange, key.Instrument.Symbol, key.Timeframe, bounds), MarketDataJson.Options);
    }

    /// <summary>The latest second of the aggregated book with its moving averages.</summary>
    internal static async Task<IResult> GetCobAsync(string symbol, string? exchange, IGrainFactory grains)
    {
        if (!Instrument.TryCreate(exchange ?? PrimaryExchange, symbol, out var instrument, out var error)) return Error(StatusCodes.Status400BadRequest, error);
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var latest = await grains.GetGrain<IOrderBookGrain>(instrument.Key).GetLatestCobAsync();
        if (latest is null) return Error(StatusCodes.Status404NotFound, $"No aggregated second for {instrument} yet.", "The first second is aggregated once the book has seen a second pass.");
        return Results.Json(MarketDataJson.ToDocument(instrument.Exchange, instrument.Symbol, latest), MarketDataJson.Options);
    }

    /// <summary>The heatmap as JSON, or as a PNG with <c>format=png</c>.</summary>
    internal static async Task<IResult> GetHeatmapAsync(string symbol, string? seconds, string? metric, string? format, string? exchange, IGrainFactory grains)
    {
        if (!Instrument.TryCreate(exchange ?? PrimaryExchange, symbol, out var instrument, out var error)) return Error(StatusCodes.Status400BadRequest, error);
        if (!TryInt(seconds, 300, 1, 1800, out var window)) return Error(StatusCodes.Status400BadRequest, $"seconds must be an integer from 1 to 1800, not '{seconds}'.");
        HeatmapMetric kind;
        switch (metric?.ToLowerInvariant())
        {
            case null or "total": kind = HeatmapMetric.Total; break;
            case "bid": kind = HeatmapMetric.Bid; break;
            case "ask": kind = HeatmapMetric.Ask; break;
            case "imbalance": kind = HeatmapMetric.Imbalance; break;
            default: return Error(StatusCodes.Status400BadRequest, $"metric must be bid, ask, total or imbalance, not '{metric}'.");
        }
        if (format is not (null or "json" or "png")) return Error(StatusCodes.Status400BadRequest, $"format must be json or png, not '{format}'.");
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var book = grains.GetGrain<IOrderBookGrain>(instrument.Key);
        if (format == "png") return Results.File(await book.GetHeatmapPngAsync(window, kind), "image/png");
        var map = await book.GetHeatmapAsync(window, kind);
        return Results.Json(MarketDataJson.ToDocument(instrument.Exchange, instrument.Symbol, map), MarketDataJson.Options);
    }

    /// <summary>The live price with fallbacks: the synced book's mid, last trade, ticker, Binance REST ticker, MEXC REST ticker.</summary>
    internal static async Task<IResult> GetPriceAsync(string symbol, string? exchange, IGrainFactory grains)
    {
        if (!Instrument.TryCreate(exchange ?? PrimaryExchange, symbol, out var instrument, out var error)) return Error(StatusCodes.Status400BadRequest, error);
        var feed = await Actors.FeedGrains.ForInstrumentAsync(grains, instrument);
        if (feed is null) return NotFollowed(instrument);
        var top = await grains.GetGrain<IOrderBookGrain>(instrument.Key).GetTopOfBookAsync();
        long? mid = top is { Status: BookStatus.Synced, BestBid: { } bid, BestAsk: { } ask }
            ? (FixedPoint.FromDecimal(bid.Price) + FixedPoint.FromDecimal(ask.Price)) / 2
            : null;
        var quote = await feed.GetLivePriceAsync(instrument.Symbol, mid);
        if (quote.Price is not { } price)
            return Error(StatusCodes.Status503ServiceUnavailable, $"No live price for {instrument}: every source failed.", string.Join("; ", quote.Skipped));
        return Results.Json(new MarketDataJson.PriceDocument(instrument.Exchange, instrument.Symbol, FixedPoint.ToText(price), quote.Source, quote.Skipped), MarketDataJson.Options);
    }

    /// <summary>Model-facing routes take a symbol; the exchange defaults to the primary one (<c>binance</c>).</summary>
    private static bool TryPivotTarget(string? exchange, string symbol, string? timeframe, string? asOf, out CandleSeriesKey key, out long? asOfMs, out IResult bad)
    {
        key = default;
        asOfMs = null;
        bad = Results.Empty;
        if (!Instrument.TryCreate(exchange ?? PrimaryExchange, symbol, out var instrument, out var error)) { bad = Error(StatusCodes.Status400BadRequest, error); return false; }
        if (!Timeframe.TryParse(timeframe ?? "1s", out var tf)) { bad = Error(StatusCodes.Status400BadRequest, $"Unknown timeframe '{timeframe}': expected one of 1s, 1m, 1h, 1d."); return false; }
        if (!TryTime(asOf, out asOfMs)) { bad = Error(StatusCodes.Status400BadRequest, $"asOf must be Unix milliseconds, not '{asOf}'."); return false; }
        key = new CandleSeriesKey(instrument, tf);
        return true;
    }

    public const string PrimaryExchange = "binance";

    internal static Task<bool> IsFollowedAsync(IGrainFactory grains, Instrument instrument)
        => grains.GetGrain<IFeedRegistryGrain>(0).IsFollowedAsync(instrument.Exchange, instrument.Symbol);

    /// <summary>
    /// 404 for a symbol no feed follows, except while the silo is starting: until every feed this host runs
    /// (<see cref="Hosting.ActiveFeeds"/>) has registered with at least one symbol, 503 "starting" with <c>Retry-After</c>, since the
    /// symbol may yet be followed. Decided when the result is written, so every route shares the rule.
    /// </summary>
    internal static IResult NotFollowed(Instrument instrument) => new NotFollowedResult(instrument);

    private sealed class NotFollowedResult(Instrument instrument) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var services = context.RequestServices;
            if (services.GetService<Hosting.ActiveFeeds>() is { } active && services.GetService<IGrainFactory>() is { } grains)
            {
                string[] missing;
                try
                {
                    var registered = await grains.GetGrain<IFeedRegistryGrain>(0).GetFeedsAsync();
                    // A replay registers before it has read which symbols its recording holds: no symbol yet is starting too.
                    missing = [.. active.All.Select(f => f.FeedId).Where(id => !registered.Any(r => r.FeedId == id && r.Symbols.Count > 0))];
                }
                catch (Exception ex) when (ex is TimeoutException or OrleansException)
                {
                    await Error(StatusCodes.Status503ServiceUnavailable, "The cluster did not answer in time.", ex.Message).ExecuteAsync(context);
                    return;
                }
                if (missing.Length > 0)
                {
                    context.Response.Headers.RetryAfter = "1";
                    await Error(StatusCodes.Status503ServiceUnavailable, $"Starting: feed {string.Join(", ", missing)} has not registered its symbols yet.",
                        "Retry in a second; GET /api/v1/feeds lists the feeds running.").ExecuteAsync(context);
                    return;
                }
            }
            await Error(StatusCodes.Status404NotFound, $"No feed follows {instrument}.", "GET /api/v1/feeds lists the followed symbols.").ExecuteAsync(context);
        }
    }

    internal static bool TryInt(string? text, int fallback, int min, int max, out int value)
    {
        value = fallback;
        return text is null || (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max);
    }

    internal static bool TryTime(string? text, out long? unixMs)
    {
        unixMs = null;
        if (text is null) return true;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return false;
        unixMs = ms;
        return true;
    }

    internal static IResult Error(int status, string message, string? detail = null)
        => Results.Json(new MarketDataJson.ErrorDocument(message, detail), MarketDataJson.Options, statusCode: status);
}
