namespace MarketData.Books;

/// <summary>
/// The L2 order book of one instrument, keyed by <c>exchange:SYMBOL</c> (see <see cref="Instruments.Instrument"/>).
/// It is fed by the instrument's depth stream; reading it never activates ingestion.
/// </summary>
[Alias("MarketData.IOrderBookGrain")]
public interface IOrderBookGrain : IGrainWithStringKey
{
    /// <summary>The book to <paramref name="depth"/> levels per side (1..5000), best first.</summary>
    [Alias("GetSnapshot")]
    Task<OrderBookView> GetSnapshotAsync(int depth);

    [Alias("GetTopOfBook")]
    Task<TopOfBook> GetTopOfBookAsync();

    [Alias("GetHealth")]
    Task<BookHealth> GetHealthAsync();

    /// <summary>The latest per-second aggregate (price buckets, imbalances and their moving averages, trade flow), or null before the first second.</summary>
    [Alias("GetLatestCob")]
    Task<Aggregation.CobSecond?> GetLatestCobAsync();

    /// <summary>Per-second aggregates (gaps included) with second starts in [<paramref name="from"/>, <paramref name="to"/>] (Unix ms); the last 30 minutes are kept.</summary>
    [Alias("GetCobHistory")]
    Task<IReadOnlyList<Aggregation.CobSecond>> GetCobHistoryAsync(long from, long to);

    /// <summary>A time × price-bucket matrix over the last <paramref name="seconds"/> seconds (1-1800); cached per second.</summary>
    [Alias("GetHeatmap")]
    Task<Aggregation.Heatmap> GetHeatmapAsync(int seconds, Aggregation.HeatmapMetric metric);

    /// <summary>The heatmap rendered as a PNG with price and time axes and a colour scale.</summary>
    [Alias("GetHeatmapPng")]
    Task<byte[]> GetHeatmapPngAsync(int seconds, Aggregation.HeatmapMetric metric);

    /// <summary>
    /// The book's part of a model snapshot, from one turn: status now, the latest aggregated second that ended by
    /// <paramref name="asOf"/> (Unix ms; null for the latest), the minute's trade flow up to it, and a heatmap of
    /// <paramref name="heatmapSeconds"/> seconds (1-1800) ending with it.
    /// </summary>
    [Alias("GetInputView")]
    Task<BookInputView> GetInputViewAsync(long? asOf, int heatmapSeconds, Aggregation.HeatmapMetric metric);

    /// <summary>Raw book updates and trades received in [<paramref name="from"/>, <paramref name="to"/>) (local receive time, Unix ms), oldest first, at most <paramref name="max"/>.</summary>
    [Alias("GetTicks")]
    Task<TickRange> GetTicksAsync(long from, long to, int max);

}
