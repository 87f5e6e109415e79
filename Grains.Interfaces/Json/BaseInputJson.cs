using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Inputs;
using MarketData.ModelOutputs;

namespace MarketData.Json;

/// <summary>The JSON shapes of the model-facing routes: snapshots, feature vectors, model outputs.</summary>
public static partial class MarketDataJson
{
    public sealed record CandleFramesDocument(
        string Symbol, string Timeframe, int Requested, int Count, string? Source, string? Backfill, IReadOnlyList<Candles.CandleGapView> Gaps,
        IReadOnlyList<CandleDocument> Candles);

    public static CandleFramesDocument ToDocument(CandleFrames f) => new(
        f.Symbol, f.Timeframe.Name, f.Requested, f.Candles.Count, f.Source, f.Backfill, f.Gaps, f.Candles.Select(ToDocument).ToArray());

    public sealed record BookInputDocument(
        BookStatus Status, string? StatusReason, long LastUpdateId, DateTime? UpdatedAt, DateTime? ReceivedAt, CobDocument? Aggregate,
        TradeFlowDocument RecentFlow, int RecentFlowSeconds, HeatmapDocument? Heatmap, CoverageDocument? Coverage);

    public sealed record MicrostructureDocument(
        long Time, long BookUpdateId, string Mid, string Spread, double SpreadBps, string BidDepth, string AskDepth, double Imbalance,
        TradeFlowDocument LastSecond, TradeFlowDocument LastMinute, bool BidTouchVerified, bool AskTouchVerified);

    public sealed record PivotSetDocument(string Timeframe, string? Progress, IReadOnlyList<PivotLevelDocument> Levels, PivotBoundsDocument? Bounds);

    public sealed record IndicatorDocument(
        string Timeframe, int Candles, long AsOf, double? Close, double? EmaFast, double? EmaSlow, double? Rsi, double? Macd, double? MacdSignal,
        double? MacdHistogram, double? BollingerMiddle, double? BollingerUpper, double? BollingerLower, double? BollingerPercentB,
        double? BollingerBandwidth, double? Atr, double? Vwap);

    public sealed record RequirementsDocument(
        int Frames1s, int Frames1m, int Frames1h, int Frames1d, int ReferenceFrames1s, string ReferenceSymbol, string PivotTimeframe, int HeatmapSeconds);

    /// <summary>One model output; <c>hiddenState</c> is base64.</summary>
    public sealed record ModelOutputDocument(
        string ModelType, string ModelName, long Time, double Confidence, double[] Predictions, string? HiddenState,
        IReadOnlyDictionary<string, string> Metadata, long Sequence, DateTime ReceivedAt);

    public static ModelOutputDocument ToDocument(ModelOutput o) => new(
        o.ModelType, o.ModelName, o.Time, o.Confidence, o.Predictions, o.HiddenState is null ? null : Convert.ToBase64String(o.HiddenState),
        o.Metadata, o.Sequence, o.ReceivedAt);

    /// <summary>The body of <c>GET /api/v1/base-input/{symbol}</c>.</summary>
    public sealed record BaseInputDocument(
        string Exchange, string Symbol, long Timestamp, DateTime AssembledAt, RequirementsDocument Requirements,
        IReadOnlyDictionary<string, CandleFramesDocument> Candles, CandleFramesDocument Reference, BookInputDocument Book,
        MicrostructureDocument? Microstructure, PivotSetDocument Pivots, IReadOnlyList<IndicatorDocument> Indicators,
        IReadOnlyList<ModelOutputDocument> ModelOutputs, QualityReport Quality);

    public static BaseInputDocument ToDocument(BaseDataInput input)
    {
        var r = input.Requirements;
        var book = input.Book;
        return new BaseInputDocument(
            input.Exchange, input.Symbol, input.Timestamp, input.AssembledAt,
            new RequirementsDocument(r.Frames1s, r.Frames1m, r.Frames1h, r.Frames1d, r.ReferenceFrames1s, r.ReferenceSymbol, r.PivotTimeframe.Name, r.HeatmapSeconds),
            new Dictionary<string, CandleFramesDocument>
            {
                ["1s"] = ToDocument(input.Candles1s),
                ["1m"] = ToDocument(input.Candles1m),
                ["1h"] = ToDocument(input.Candles1h),
                ["1d"] = ToDocument(input.Candles1d),
            },
            ToDocument(input.Reference1s),
            new BookInputDocument(book.Status, book.StatusReason, book.LastUpdateId, book.UpdatedAt, book.ReceivedAt,
                book.Aggregate is { } a ? ToDocument(input.Exchange, input.Symbol, a) : null, Flow(book.RecentFlow), book.RecentFlowSeconds,
                book.Heatmap is { } map ? ToDocument(input.Exchange, input.Symbol, map) : null,
                book.Coverage is { } coverage ? ToDocument(coverage) : null),
            input.Microstructure is { } m
                ? new MicrostructureDocument(m.Time, m.BookUpdateId, Text(m.Mid), Text(m.Spread), m.SpreadBps, Text(m.BidDepth), Text(m.AskDepth), m.Imbalance,
                    Flow(m.LastSecond), Flow(m.LastMinute), m.BidTouchVerified, m.AskTouchVerified)
                : null,
            new PivotSetDocument(input.Pivots.Timeframe.Name, input.Pivots.Progress,
                input.Pivots.Levels.Select((points, i) => new PivotLevelDocument(i + 1, i < input.Pivots.Trends.Count ? input.Pivots.Trends[i] : Pivots.Trend.Sideways,
                    points.Select(p => new SwingPointDocument(p.Kind, p.Time, Text(p.Price), p.ConfirmedAt, p.Strength)).ToArray())).ToArray(),
                input.Pivots.Bounds is { } b ? ToDocument(input.Exchange, input.Symbol, input.Pivots.Timeframe, b) : null),
            input.Indicators.Select(i => new IndicatorDocument(i.Timeframe.Name, i.Candles, i.AsOf, i.Close, i.EmaFast, i.EmaSlow, i.Rsi, i.Macd, i.MacdSignal,
                i.MacdHistogram, i.BollingerMiddle, i.BollingerUpper, i.BollingerLower, i.BollingerPercentB, i.BollingerBandwidth, i.Atr, i.Vwap)).ToArray(),
            input.ModelOutputs.Select(ToDocument).ToArray(),
            input.Quality);
    }

    private static TradeFlowDocument Flow(TradeFlow f)
        => new(Text(f.BuyVolume), Text(f.SellVolume), f.TradeCount, f.TradeCount > 0 ? Text(f.Vwap) : null, Text(f.QuoteVolume));

    /// <summary>The body of a refused snapshot (HTTP 422): why, and the full report.</summary>
    public sealed record QualityRefusedDocument(string Error, string? Detail, QualityReport Quality);

    public static QualityRefusedDocument Refused(string symbol, QualityReport quality) => new(
        $"The data quality of {symbol} is {quality.Score:F3}, below the minimum of {quality.MinimumRequired:F3}.",
        quality.Problems.Count == 0 ? null : string.Join("; ", quality.Problems.Take(5)) + (quality.Problems.Count > 5 ? $"; and {quality.Problems.Count - 5} more" : ""),
        quality);

    /// <summary>The JSON form of <c>GET /api/v1/base-input/{symbol}/features</c>.</summary>
    public sealed record FeatureVectorDocument(string Exchange, string Symbol, string LayoutVersion, long Timestamp, float[] Values, QualityReport Quality);

    /// <summary>The body of <c>POST /api/v1/model-outputs/{symbol}/{model}</c>; <c>time</c> (Unix ms) defaults to the time of receipt, <c>hiddenState</c> is base64.</summary>
    public sealed record ModelOutputSubmission(
        string? ModelType, long? Time, double? Confidence, double[]? Predictions, string? HiddenState, Dictionary<string, string>? Metadata);

    public sealed record ModelOutputAcceptedDocument(string Exchange, string Symbol, string Model, long Sequence, int HistoryCount);

    public sealed record ModelOutputRejectedDocument(string Error, IReadOnlyList<string> Errors);

    public sealed record ModelOutputsDocument(string Exchange, string Symbol, string? Model, IReadOnlyList<ModelOutputDocument> Outputs);
}
