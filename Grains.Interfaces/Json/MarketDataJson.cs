using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MarketData.Books;
using MarketData.Feeds;

namespace MarketData.Json;

/// <summary>
/// The JSON shapes of the HTTP API, shared by the silo and the command-line client so both print the same
/// document. Prices and quantities are strings (exact decimals, as the exchange sends them); enums are
/// lower-case words; times are ISO-8601 UTC.
/// </summary>
public static class MarketDataJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>The body of <c>GET /api/v1/books/{exchange}/{symbol}</c>.</summary>
    public sealed record BookDocument(
        string Exchange,
        string Symbol,
        BookStatus Status,
        string? StatusReason,
        long LastUpdateId,
        string[][] Bids,
        string[][] Asks,
        string[]? BestBid,
        string[]? BestAsk,
        DateTime? UpdatedAt,
        DateTime? ReceivedAt);

    public static BookDocument ToDocument(OrderBookView view) => new(
        view.Exchange,
        view.Symbol,
        view.Status,
        view.StatusReason,
        view.LastUpdateId,
        view.Bids.Select(Pair).ToArray(),
        view.Asks.Select(Pair).ToArray(),
        view.BestBid is { } bid ? Pair(bid) : null,
        view.BestAsk is { } ask ? Pair(ask) : null,
        view.UpdatedAt,
        view.ReceivedAt);

    /// <summary>The body of <c>GET /api/v1/feeds</c>.</summary>
    public sealed record FeedsDocument(IReadOnlyList<FeedStatus> Feeds);

    /// <summary>The body of every 4xx/5xx answer.</summary>
    public sealed record ErrorDocument(string Error, string? Detail = null);

    private static string[] Pair(BookLevel level)
        => [level.Price.ToString(CultureInfo.InvariantCulture), level.Quantity.ToString(CultureInfo.InvariantCulture)];

    public static string Serialize<T>(T value, bool indented = false)
        => JsonSerializer.Serialize(value, indented ? IndentedOptions : Options);

    private static readonly JsonSerializerOptions IndentedOptions = new(Options) { WriteIndented = true };
}
