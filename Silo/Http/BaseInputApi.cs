using System.Globalization;
using System.Runtime.InteropServices;
using MarketData.Actors;
using MarketData.Domain.Features;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.Json;
using MarketData.ModelOutputs;
using Microsoft.Extensions.Options;
using static MarketData.Silo.Http.MarketDataApi;

namespace MarketData.Silo.Http;

/// <summary>
/// The model-facing routes: snapshots, feature vectors and their layout, model outputs. They take a bare symbol on
/// the primary exchange (<c>BaseInput:Exchange</c>, or <c>?exchange=</c>). A snapshot below the caller's minimum
/// quality is a 422 carrying the full report, never a partial snapshot.
/// </summary>
public static class BaseInputApi
{
    public const string LayoutHeader = "X-Feature-Layout";
    public const string QualityHeader = "X-Quality-Score";
    public const string TimestampHeader = "X-Timestamp";
    public const int DefaultOutputLimit = 100;

    public static RouteGroupBuilder MapBaseInputApi(this RouteGroupBuilder api)
    {
        api.MapGet("/base-input/{symbol}", GetBaseInputAsync);
        api.MapGet("/base-input/{symbol}/features", GetFeaturesAsync);
        api.MapGet("/feature-layout", GetLayout);
        api.MapPost("/model-outputs/{symbol}/{model}", SubmitModelOutputAsync);
        api.MapGet("/model-outputs/{symbol}", GetModelOutputsAsync);
        return api;
    }

    internal static async Task<IResult> GetBaseInputAsync(string symbol, string? minQuality, string? asOf, string? model, string? exchange,
        IGrainFactory grains, LastValidOptions<BaseInputOptions> options, TimeProvider time)
    {
        if (!TryRequest(symbol, minQuality, asOf, model, exchange, options.Value, time, out var instrument, out var request, out var bad)) return bad;
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var result = await grains.GetGrain<IMarketDataGrain>(instrument.Key).GetBaseDataInputAsync(request);
        if (result.Input is null) return Refused(instrument, result.Quality);
        return Results.Json(MarketDataJson.ToDocument(result.Input), MarketDataJson.Options);
    }

    /// <summary>Little-endian float32 by default (the layout version in <see cref="LayoutHeader"/>); JSON with <c>format=json</c> or an <c>Accept: application/json</c>.</summary>
    internal static async Task<IResult> GetFeaturesAsync(HttpContext http, string symbol, string? minQuality, string? asOf, string? model, string? exchange, string? format,
        IGrainFactory grains, LastValidOptions<BaseInputOptions> options, TimeProvider time)
    {
        if (!TryRequest(symbol, minQuality, asOf, model, exchange, options.Value, time, out var instrument, out var request, out var bad)) return bad;
        if (format is not (null or "json" or "binary")) return Error(StatusCodes.Status400BadRequest, $"format must be binary or json, not '{format}'.");
        var json = format == "json" || (format is null && http.Request.Headers.Accept.Any(a => a?.Contains("application/json", StringComparison.OrdinalIgnoreCase) == true));
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var result = await grains.GetGrain<IMarketDataGrain>(instrument.Key).GetFeatureVectorAsync(request);
        if (result.Vector is not { } vector) return Refused(instrument, result.Quality);
        if (json)
            return Results.Json(new MarketDataJson.FeatureVectorDocument(instrument.Exchange, instrument.Symbol, vector.LayoutVersion, vector.Timestamp, vector.Values, vector.Quality),
                MarketDataJson.Options);
        http.Response.Headers[LayoutHeader] = vector.LayoutVersion;
        http.Response.Headers[QualityHeader] = vector.Quality.Score.ToString("R", CultureInfo.InvariantCulture);
        http.Response.Headers[TimestampHeader] = vector.Timestamp.ToString(CultureInfo.InvariantCulture);
        return Results.Bytes(LittleEndianBytes(vector.Values), "application/octet-stream");
    }

    /// <summary>The layout follows configuration alone, so the silo answers it without a grain call.</summary>
    internal static IResult GetLayout(LastValidOptions<BaseInputOptions> options)
    {
        var current = options.Value;
        return Results.Json(FeatureLayouts.Create(current.Requirements(), current.BucketSlots), MarketDataJson.Options);
    }

    internal static async Task<IResult> SubmitModelOutputAsync(string symbol, string model, string? exchange, HttpRequest http, IGrainFactory grains,
        LastValidOptions<BaseInputOptions> options, TimeProvider time)
    {
        if (!Instrument.TryCreate(exchange ?? options.Value.Exchange, symbol, out var instrument, out var error)) return Error(StatusCodes.Status400BadRequest, error);
        if (!ModelOutputKey.IsValidModelName(model)) return Error(StatusCodes.Status400BadRequest, ModelOutputKey.InvalidModelName(model));
        MarketDataJson.ModelOutputSubmission? body;
        try
        {
            body = await http.ReadFromJsonAsync<MarketDataJson.ModelOutputSubmission>(MarketDataJson.Options);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return Error(StatusCodes.Status400BadRequest, "The body is not a model output in JSON.", ex.Message);
        }
        if (body is null) return Error(StatusCodes.Status400BadRequest, "The body is empty: expected a model output in JSON.");
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(body.ModelType)) missing.Add("modelType is required.");
        if (body.Confidence is null) missing.Add("confidence is required.");
        if (body.Predictions is null) missing.Add("predictions is required.");
        byte[]? hidden = null;
        if (body.HiddenState is { } text)
        {
            try { hidden = Convert.FromBase64String(text); }
            catch (FormatException) { missing.Add("hiddenState must be base64."); }
        }
        if (missing.Count > 0) return Rejected(missing);
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);

        var output = new ModelOutput
        {
            ModelType = body.ModelType!,
            ModelName = model,
            Time = body.Time ?? time.GetUtcNow().ToUnixTimeMilliseconds(),
            Confidence = body.Confidence!.Value,
            Predictions = body.Predictions!,
            HiddenState = hidden,
            Metadata = body.Metadata ?? [],
        };
        var receipt = await grains.GetGrain<IModelOutputGrain>(new ModelOutputKey(instrument, model).Key).SubmitAsync(output);
        if (!receipt.Accepted) return Rejected(receipt.Errors);
        return Results.Json(new MarketDataJson.ModelOutputAcceptedDocument(instrument.Exchange, instrument.Symbol, model, receipt.Sequence, receipt.HistoryCount),
            MarketDataJson.Options, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Without <c>model</c>: the latest output of every model. With it: that model's history, oldest first, at most <c>limit</c>.</summary>
    internal static async Task<IResult> GetModelOutputsAsync(string symbol, string? model, string? limit, string? exchange, IGrainFactory grains,
        LastValidOptions<BaseInputOptions> options)
    {
        if (!Instrument.TryCreate(exchange ?? options.Value.Exchange, symbol, out var instrument, out var error)) return Error(StatusCodes.Status400BadRequest, error);
        if (model is not null && !ModelOutputKey.IsValidModelName(model)) return Error(StatusCodes.Status400BadRequest, ModelOutputKey.InvalidModelName(model));
        if (!TryInt(limit, DefaultOutputLimit, 1, 100_000, out var count)) return Error(StatusCodes.Status400BadRequest, $"limit must be an integer from 1 to 100000, not '{limit}'.");
        if (!await IsFollowedAsync(grains, instrument)) return NotFollowed(instrument);
        var outputs = model is null
            ? await grains.GetGrain<IModelOutputIndexGrain>(instrument.Key).GetLatestAsync()
            : await grains.GetGrain<IModelOutputGrain>(new ModelOutputKey(instrument, model).Key).GetHistoryAsync(count);
        return Results.Json(new MarketDataJson.ModelOutputsDocument(instrument.Exchange, instrument.Symbol, model, outputs.Select(MarketDataJson.ToDocument).ToArray()),
            MarketDataJson.Options);
    }

    private static bool TryRequest(string symbol, string? minQuality, string? asOf, string? model, string? exchange, BaseInputOptions options, TimeProvider time,
        out Instrument instrument, out BaseDataRequest request, out IResult bad)
    {
        request = null!;
        bad = Results.Empty;
        if (!Instrument.TryCreate(exchange ?? options.Exchange, symbol, out instrument, out var error)) { bad = Error(StatusCodes.Status400BadRequest, error); return false; }
        var min = BaseDataRequest.DefaultMinQuality;
        if (minQuality is not null && (!double.TryParse(minQuality, NumberStyles.Float, CultureInfo.InvariantCulture, out min) || !(min is >= 0 and <= 1)))
        {
            bad = Error(StatusCodes.Status400BadRequest, $"minQuality must be a number from 0 to 1, not '{minQuality}'.");
            return false;
        }
        if (!TryTime(asOf, out var asOfMs) || asOfMs is <= 0) { bad = Error(StatusCodes.Status400BadRequest, $"asOf must be positive Unix milliseconds, not '{asOf}'."); return false; }
        if (asOfMs > time.GetUtcNow().ToUnixTimeMilliseconds() + (long)MarketDataGrain.MaxAsOfSkew.TotalMilliseconds)
        {
            bad = Error(StatusCodes.Status400BadRequest, $"asOf {asOf} lies in the future: a snapshot as of a time to come could not be reproduced.");
            return false;
        }
        if (model is not null && !ModelOutputKey.IsValidModelName(model)) { bad = Error(StatusCodes.Status400BadRequest, ModelOutputKey.InvalidModelName(model)); return false; }
        request = new BaseDataRequest { MinQuality = min, AsOf = asOfMs, Model = model };
        return true;
    }

    private static IResult Refused(Instrument instrument, QualityReport quality)
        => Results.Json(MarketDataJson.Refused(instrument.Symbol, quality), MarketDataJson.Options, statusCode: StatusCodes.Status422UnprocessableEntity);

    private static IResult Rejected(IReadOnlyList<string> errors)
        => Results.Json(new MarketDataJson.ModelOutputRejectedDocument("The model output was rejected.", errors), MarketDataJson.Options,
            statusCode: StatusCodes.Status400BadRequest);

    /// <summary>The vector as little-endian float32, whatever the machine's byte order.</summary>
    internal static byte[] LittleEndianBytes(float[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (var i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
        return bytes;
    }
}
