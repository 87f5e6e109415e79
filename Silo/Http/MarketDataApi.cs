using System.Globalization;
using MarketData.Books;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Json;

namespace MarketData.Silo.Http;

/// <summary>
/// The HTTP API: thin handlers over grain calls. Inputs are checked here, at the edge: a malformed
/// instrument or depth is a 400, a symbol no feed follows is a 404, both with a JSON error.
/// </summary>
public static class MarketDataApi
{
    public const int DefaultDepth = 100;

    public static IEndpointRouteBuilder MapMarketDataApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" }, MarketDataJson.Options));
        var api = app.MapGroup("/api/v1").AddEndpointFilter(ClusterUnavailableAs503);
        api.MapGet("/books/{exchange}/{symbol}", GetBookAsync);
        api.MapGet("/feeds", GetFeedsAsync);
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

        if (!await grains.GetGrain<IFeedRegistryGrain>(0).IsFollowedAsync(instrument.Exchange, instrument.Symbol))
            return Error(StatusCodes.Status404NotFound, $"No feed follows {instrument}.", "GET /api/v1/feeds lists the followed symbols.");

        var view = await grains.GetGrain<IOrderBookGrain>(instrument.Key).GetSnapshotAsync(levels);
        return Results.Json(MarketDataJson.ToDocument(view), MarketDataJson.Options);
    }

    internal static async Task<IResult> GetFeedsAsync(IGrainFactory grains)
    {
        var statuses = await grains.GetGrain<IFeedRegistryGrain>(0).GetStatusesAsync();
        return Results.Json(new MarketDataJson.FeedsDocument(statuses), MarketDataJson.Options);
    }

    private static IResult Error(int status, string message, string? detail = null)
        => Results.Json(new MarketDataJson.ErrorDocument(message, detail), MarketDataJson.Options, statusCode: status);
}
