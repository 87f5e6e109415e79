using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Pivots;

namespace MarketData.Json;

/// <summary>
/// The JSON shapes of the HTTP API, shared by the silo and the command-line client so both print the same
/// document. Prices and quantities are strings (exact decimals, as the exchange sends them); enums are
/// lower-case words; times are ISO-8601 UTC.
/// </summary>
public static partial class MarketDataJson
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
        DateTime? ReceivedAt,
        string? VerifiedBidFloor,
        string? VerifiedAskCeiling,
        int BidsBeyondVerified,
        int AsksBeyondVerified,
        DateTime? VerifiedAt);

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
        view.ReceivedAt,
        view.VerifiedBidFloor is { } floor ? FixedPoint.ToText(FixedPoint.FromDecimal(floor)) : null,
        view.VerifiedAskCeiling is { } ceiling ? FixedPoint.ToText(FixedPoint.FromDecimal(ceiling)) : null,
        view.BidsBeyondVerified,
        view.AsksBeyondVerified,
        view.VerifiedAt);

    /// <summary>The body of <c>GET /api/v1/books/{exchange}/{symbol}/health</c>: what happened to the book since its grain activated.</summary>
    public sealed record BookHealthDocument(
        string Exchange, string Symbol, BookStatus Status, string? StatusReason, long LastUpdateId, DateTime? UpdatedAt, DateTime? SyncedSince,
        int BidLevels, int AskLevels, long DiffsApplied, long DiffsDroppedStale, long Gaps, long CrossedBooks, long BadLevels, long Resyncs,
        long SnapshotsApplied, int BufferedDiffs, long BufferOverflows, long LateTrades, CoverageDocument? Coverage, long RefreshRequests,
        long RefreshesApplied, long RefreshesDiscarded, long RefreshesFailed, long RefreshFills, long RefreshCorrections, string? LastRefresh);

    public static BookHealthDocument ToDocument(string exchange, string symbol, BookHealth h) => new(
        exchange, symbol, h.Status, h.StatusReason, h.LastUpdateId, h.UpdatedAt, h.SyncedSince, h.BidLevels, h.AskLevels, h.DiffsApplied,
        h.DiffsDroppedStale, h.Gaps, h.CrossedBooks, h.BadLevels, h.Resyncs, h.SnapshotsApplied, h.BufferedDiffs, h.BufferOverflows, h.LateTrades,
        h.Coverage is { } c ? ToDocument(c) : null, h.RefreshRequests, h.RefreshesApplied, h.RefreshesDiscarded, h.RefreshesFailed, h.RefreshFills,
        h.RefreshCorrections, h.LastRefresh);

    /// <summary>A book's verified range (<see cref="BookCoverage"/>) with prices as decimal strings.</summary>
    public sealed record CoverageDocument(
        string? VerifiedBidFloor, string? VerifiedAskCeiling, int BidLevelsBeyond, int AskLevelsBeyond, bool BidTouchVerified, bool AskTouchVerified,
        DateTime? VerifiedAt);

    public static CoverageDocument ToDocument(BookCoverage c) => new(
        c.VerifiedBidFloor is { } floor ? Text(floor) : null, c.VerifiedAskCeiling is { } ceiling ? Text(ceiling) : null,
        c.BidLevelsBeyond, c.AskLevelsBeyond, c.BidTouchVerified, c.AskTouchVerified, c.VerifiedAt);

    /// <summary>One candle: times in Unix ms (as Binance sends them), prices and volumes as decimal strings.</summary>
    public sealed record CandleDocument(
        long OpenTime, long CloseTime, string Open, string High, string Low, string Close, string Volume, string QuoteVolume,
        long Trades, string TakerBuyVolume, string TakerBuyQuoteVolume, string Source, bool Closed, bool CutShort, bool Repaired);

    /// <summary>The body of <c>GET /api/v1/candles/{exchange}/{symbol}/{timeframe}</c>.</summary>
    public sealed record CandlesDocument(
        string Exchange, string Symbol, string Timeframe, string? Source, string? SourceReason, string? Backfill, long Rejected,
        IReadOnlyList<CandleGapView> Gaps, IReadOnlyList<CandleDocument> Candles, CandleDocument? Forming);

    public static CandlesDocument ToDocument(CandleSeriesView view) => new(
        view.Exchange, view.Symbol, view.Timeframe.Name, view.Source, view.SourceReason, view.Backfill, view.Rejected,
        view.Gaps, view.Candles.Select(ToDocument).ToArray(), view.Forming is { } forming ? ToDocument(forming) : null);

    public static CandleDocument ToDocument(Candle c) => new(
        c.OpenTime, c.CloseTime, Text(c.Open), Text(c.High), Text(c.Low), Text(c.Close), Text(c.Volume), Text(c.QuoteVolume),
        c.TradeCount, Text(c.TakerBuyVolume), Text(c.TakerBuyQuoteVolume), c.Source.ToString(), c.IsClosed,
        (c.Flags & CandleFlags.CutShort) != 0, (c.Flags & CandleFlags.Repaired) != 0);

    /// <summary>One swing point: time and confirmation in Unix ms, price as a decimal string.</summary>
    public sealed record SwingPointDocument(SwingKind Kind, long Time, string Price, long ConfirmedAt, int Strength);

    public sealed record PivotLevelDocument(int Level, Trend Trend, IReadOnlyList<SwingPointDocument> Pivots);

    /// <summary>The body of <c>GET /api/v1/pivots/{symbol}</c>.</summary>
    public sealed record PivotsDocument(
        string Exchange, string Symbol, string Timeframe, long AsOf, long CandlesAnalysed, PivotProgress Progress, IReadOnlyList<PivotLevelDocument> Levels);

    public static PivotsDocument ToDocument(PivotsView view) => new(
        view.Exchange, view.Symbol, view.Timeframe.Name, view.AsOf, view.CandlesAnalysed, view.Progress,
        view.Levels.Select((points, i) => new PivotLevelDocument(i + 1, view.Trends[i],
            points.Select(p => new SwingPointDocument(p.Kind, p.Time, Text(p.Price), p.ConfirmedAt, p.Strength)).ToArray())).ToArray());

    public sealed record LevelDocument(string Price, int Touches, int Strength, long LastTouch);

    /// <summary>The body of <c>GET /api/v1/pivot-bounds/{symbol}</c>.</summary>
    public sealed record PivotBoundsDocument(
        string Exchange, string Symbol, string Timeframe, string PriceMin, string PriceMax, string VolumeMin, string VolumeMax,
        IReadOnlyList<LevelDocument> Support, IReadOnlyList<LevelDocument> Resistance, long WindowStart, long WindowEnd, long CandleCount, DateTime ComputedAt);

    public static PivotBoundsDocument ToDocument(string exchange, string symbol, Timeframe timeframe, PivotBounds b) => new(
        exchange, symbol, timeframe.Name, Text(b.PriceMin), Text(b.PriceMax), Text(b.VolumeMin), Text(b.VolumeMax),
        b.Support.Select(Level).ToArray(), b.Resistance.Select(Level).ToArray(), b.WindowStart, b.WindowEnd, b.CandleCount, b.ComputedAt);

    private static LevelDocument Level(SupportResistanceLevel l) => new(Text(l.Price), l.Touches, l.Strength, l.LastTouch);

    private static string Text(long fixedPoint) => FixedPoint.ToText(fixedPoint);

    public sealed record BucketDocument(string PriceFrom, string BidVolume, string AskVolume, string Total, double Imbalance, ImbalanceAverages Averages);

    public sealed record TradeFlowDocument(string BuyVolume, string SellVolume, int Trades, string? Vwap, string QuoteVolume);

    /// <summary>One second of the aggregated book: the body of <c>GET /api/v1/cob/{symbol}</c>.</summary>
    public sealed record CobDocument(
        string Exchange, string Symbol, long Time, bool Gap, string? GapReason, long BookUpdateId, string Mid, string BucketSize,
        string RangeLow, string RangeHigh, double Imbalance, ImbalanceAverages Averages, string BidVwap, string AskVwap, string Spread,
        string BidDepth, string AskDepth, TradeFlowDocument Flow, IReadOnlyList<BucketDocument> Buckets,
        int UnverifiedBidBuckets, int UnverifiedAskBuckets, bool BidTouchVerified, bool AskTouchVerified);

    public static CobDocument ToDocument(string exchange, string symbol, CobSecond c) => new(
        exchange, symbol, c.Time, c.IsGap, c.GapReason, c.BookUpdateId, Text(c.Mid), Text(c.BucketSize), Text(c.RangeLow), Text(c.RangeHigh),
        c.Imbalance, c.Averages, Text(c.BidVwap), Text(c.AskVwap), Text(c.Spread), Text(c.BidDepth), Text(c.AskDepth),
        new TradeFlowDocument(Text(c.Flow.BuyVolume), Text(c.Flow.SellVolume), c.Flow.TradeCount, c.Flow.TradeCount > 0 ? Text(c.Flow.Vwap) : null, Text(c.Flow.QuoteVolume)),
        c.Buckets.Select((b, i) => new BucketDocument(Text(b.PriceFrom), Text(b.BidVolume), Text(b.AskVolume), Text(b.Total), b.Imbalance,
            i < c.BucketAverages.Length ? c.BucketAverages[i] : default)).ToArray(),
        c.UnverifiedBidBuckets, c.UnverifiedAskBuckets, c.BidTouchVerified, c.AskTouchVerified);

    /// <summary>The body of <c>GET /api/v1/heatmap/{symbol}</c>: <c>values[t][b]</c> for time <c>t</c> and bucket <c>b</c>, null where unknown.</summary>
    public sealed record HeatmapDocument(
        string Exchange, string Symbol, HeatmapMetric Metric, IReadOnlyList<long> Times, IReadOnlyList<string> Prices, string BucketSize,
        double Min, double Max, double?[][] Values, IReadOnlyList<string?> VerifiedFrom, IReadOnlyList<string?> VerifiedTo);

    public static HeatmapDocument ToDocument(string exchange, string symbol, Heatmap map)
    {
        var columns = map.PriceBuckets.Length;
        var rows = new double?[map.Times.Length][];
        for (var t = 0; t < rows.Length; t++)
        {
            var row = new double?[columns];
            for (var b = 0; b < columns; b++)
            {
                var v = map.Values[t * columns + b];
                row[b] = double.IsFinite(v) ? v : null;
            }
            rows[t] = row;
        }
        return new HeatmapDocument(exchange, symbol, map.Metric, map.Times, map.PriceBuckets.Select(Text).ToArray(), Text(map.BucketSize),
            map.Min, map.Max, rows,
            map.VerifiedFrom.Select((from, t) => IsGapRow(map, t) ? null : Text(from)).ToArray(),
            map.VerifiedTo.Select((to, t) => IsGapRow(map, t) ? null : Text(to)).ToArray());
    }

    /// <summary>A gap row has no verified part (both edges 0); a real row's upper edge is above 0 even when its lower one is 0.</summary>
    private static bool IsGapRow(Heatmap map, int row) => map.VerifiedFrom[row] == 0 && map.VerifiedTo[row] == 0;

    /// <summary>The body of <c>GET /api/v1/price/{symbol}</c>.</summary>
    public sealed record PriceDocument(string Exchange, string Symbol, string Price, string? Source, IReadOnlyList<string> Skipped);

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
