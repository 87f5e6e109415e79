namespace MarketData.LoadGeneration;

/// <summary>
/// Per-symbol rates by activity rank, shaped on real Binance spot recordings. Rank 1 is the busiest symbol.
/// For each stream kind, rate(r) = max(tail, head · r^-alpha), with alpha chosen so the curve reaches the tail rate at
/// <see cref="TailRank"/>: the head is the busiest recorded symbol, the tail a quiet one.
/// <para>
/// Provenance (all counted with a throwaway script over ../shared/data; no data copied):
/// <list type="bullet">
/// <item>Head: hftbacktest <c>binance-spot_btcusdt_20240808.gz</c> (346.1 s of receive time, 23:54:13.9 → 23:59:59.9 UTC):
/// 3,451 depth@100ms frames (9.97/s), 9,757 trades (28.19/s), 28,040 bookTicker (81.03/s). aggTrade is not recorded
/// there; it was derived by grouping consecutive trades with the same trade time, side and price (one taker order at
/// one price): 5,813 groups, 1.68 trades per aggTrade, 16.80 aggTrade/s. ETHUSDT of the same file set (rank 2 in
/// reality): 9.93 depth/s, 17.65 trades/s, 69.61 bookTicker/s, 2.03 trades per aggTrade.</item>
/// <item>Tail: cryptofeed <c>BINANCE.ws.1.0.gz</c> (4 quiet symbols NKNUSDT, BLZETH, LRCBTC, RUNEEUR over 30.0 s):
/// 177 depth@100ms frames (1.47/s per symbol), 84 bookTicker (0.70/s per symbol), 2 aggTrade (0.0167/s per symbol;
/// one trade each, so trades = aggTrades at the tail).</item>
/// <item>Levels per depth frame (bids + asks): quantiles below, head from all 3,451 BTCUSDT frames (mean 36.0, median 16),
/// tail from all 177 frames of the 4 quiet symbols (mean 2.38, median 2). Between ranks the quantiles are
/// interpolated geometrically with weight ln r / ln <see cref="TailRank"/>. Update ids per frame: u − U + 1 is on
/// average 1.30× the level count at the head (several updates of one level merge) and 1.11× at the tail.</item>
/// <item>Book size: the REST snapshots (limit 1000) of BTCUSDT and ETHUSDT are full (1000 levels a side), and the
/// replayed books held 765-2,196 levels a side; the quiet symbols' snapshots (BINANCE.http.0.0.gz) held 174-1000
/// (median about 540). So 1000 a side at the head and 500 at the tail, capped by
/// <see cref="LoadServerOptions.MaxLevelsPerSide"/> so a limit-1000 snapshot carries the whole book.</item>
/// <item>Changes fall far from the touch: the median changed BTCUSDT level is 2,651 ticks from the best (ETHUSDT: 153);
/// 28-48% of changes remove a level; about 3% land inside the spread.</item>
/// </list>
/// Fixed cadences come from Binance's documentation: ticker once a second, kline_1s once a second, other klines every
/// 2 s, depth@100ms at most once per 100 ms.
/// </para>
/// </summary>
public sealed class LoadProfile
{
    // ---- measured constants (see the class comment for files and method) -------------------------------------

    public const double HeadDepthPerSecond = 9.97;
    public const double HeadTradesPerSecond = 28.19;
    public const double HeadAggTradesPerSecond = 16.80;
    public const double HeadBookTickerPerSecond = 81.03;

    public const double TailDepthPerSecond = 1.47;
    public const double TailBookTickerPerSecond = 0.70;
    public const double TailAggTradesPerSecond = 0.0167;
    public const double TailTradesPerSecond = 0.0167;

    /// <summary>u − U + 1 per level changed, head and tail means.</summary>
    public const double HeadUpdateIdsPerLevel = 1.30;
    public const double TailUpdateIdsPerLevel = 1.11;

    public const int HeadBookLevelsPerSide = 1000;
    public const int TailBookLevelsPerSide = 500;

    /// <summary>Fraction of depth-frame changes that remove a level (measured 0.48 BTCUSDT, 0.28 ETHUSDT).</summary>
    public const double RemovalFraction = 0.38;

    /// <summary>Probabilities of the level-count quantile tables below.</summary>
    private static readonly double[] QuantileProbabilities =
        [0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 1.0];

    /// <summary>Levels per depth frame, BTCUSDT 2024-08-08 (3,451 frames), at <see cref="QuantileProbabilities"/>.</summary>
    private static readonly double[] HeadLevelQuantiles =
        [1, 4, 6, 7, 8, 9, 11, 12, 13, 15, 16, 18, 20, 23, 26, 31, 38, 49, 70, 133, 190, 244, 391, 549, 737, 1076];

    /// <summary>Levels per depth frame, the 4 quiet symbols of BINANCE.ws.1.0 (177 frames).</summary>
    private static readonly double[] TailLevelQuantiles =
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 7, 7, 8, 11, 13, 13, 13];

    // ---- the curve ------------------------------------------------------------------------------------------

    /// <summary>Rank at which every curve has come down to its tail rate.</summary>
    public int TailRank { get; }

    private readonly double _depthAlpha, _tradeAlpha, _aggAlpha, _bookTickerAlpha, _bookAlpha;

    public LoadProfile(int tailRank = 200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tailRank, 2);
        TailRank = tailRank;
        _depthAlpha = Alpha(HeadDepthPerSecond, TailDepthPerSecond);
        _tradeAlpha = Alpha(HeadTradesPerSecond, TailTradesPerSecond);
        _aggAlpha = Alpha(HeadAggTradesPerSecond, TailAggTradesPerSecond);
        _bookTickerAlpha = Alpha(HeadBookTickerPerSecond, TailBookTickerPerSecond);
        _bookAlpha = Alpha(HeadBookLevelsPerSide, TailBookLevelsPerSide);
    }

    public static LoadProfile Default { get; } = new();

    private double Alpha(double head, double tail) => Math.Log(head / tail) / Math.Log(TailRank);

    private static double Curve(double head, double tail, double alpha, int rank) => Math.Max(tail, head * Math.Pow(rank, -alpha));

    /// <summary>Exponents of the curves (depth, trade, aggTrade, bookTicker), for the documentation.</summary>
    public (double Depth, double Trade, double AggTrade, double BookTicker) Alphas => (_depthAlpha, _tradeAlpha, _aggAlpha, _bookTickerAlpha);

    /// <summary>depth@100ms frames per second (at most 10: one per 100 ms).</summary>
    public double DepthPerSecond(int rank, double scale = 1) => Math.Min(10, scale * Curve(HeadDepthPerSecond, TailDepthPerSecond, _depthAlpha, rank));

    public double TradesPerSecond(int rank, double scale = 1) => scale * Math.Max(Curve(HeadTradesPerSecond, TailTradesPerSecond, _tradeAlpha, rank), AggCurve(rank));

    public double AggTradesPerSecond(int rank, double scale = 1) => scale * AggCurve(rank);

    private double AggCurve(int rank) => Curve(HeadAggTradesPerSecond, TailAggTradesPerSecond, _aggAlpha, rank);

    /// <summary>
    /// bookTicker frames per second. Every change of the top of the book sends one, and every taker order changes it
    /// (it consumes the best level), so this is never below the aggTrade rate.
    /// </summary>
    public double BookTickerPerSecond(int rank, double scale = 1)
        => Math.Max(scale * Curve(HeadBookTickerPerSecond, TailBookTickerPerSecond, _bookTickerAlpha, rank), AggTradesPerSecond(rank, scale));

    public const double TickerPerSecond = 1;
    public const double Kline1sPerSecond = 1;
    /// <summary>kline_1m, kline_1h and kline_1d each push every 2 s.</summary>
    public const double KlinePerSecond = 0.5;

    /// <summary>Target book size a side.</summary>
    public int BookLevelsPerSide(int rank) => (int)Math.Round(Curve(HeadBookLevelsPerSide, TailBookLevelsPerSide, _bookAlpha, rank));

    /// <summary>Weight of the tail in the level-count and update-id interpolation: 0 at rank 1, 1 from <see cref="TailRank"/>.</summary>
    public double TailWeight(int rank) => Math.Clamp(Math.Log(Math.Max(1, rank)) / Math.Log(TailRank), 0, 1);

    /// <summary>Mean u − U + 1 per level changed.</summary>
    public double UpdateIdsPerLevel(int rank) => HeadUpdateIdsPerLevel + (TailUpdateIdsPerLevel - HeadUpdateIdsPerLevel) * TailWeight(rank);

    /// <summary>The level count of a depth frame at quantile <paramref name="u"/> (0-1) for <paramref name="rank"/>.</summary>
    public int LevelsPerFrame(int rank, double u)
    {
        var w = TailWeight(rank);
        var p = QuantileProbabilities;
        var i = 1;
        while (i < p.Length - 1 && u > p[i]) i++;
        var f = (u - p[i - 1]) / (p[i] - p[i - 1]);
        var head = HeadLevelQuantiles[i - 1] + f * (HeadLevelQuantiles[i] - HeadLevelQuantiles[i - 1]);
        var tail = TailLevelQuantiles[i - 1] + f * (TailLevelQuantiles[i] - TailLevelQuantiles[i - 1]);
        var blended = Math.Exp((1 - w) * Math.Log(head) + w * Math.Log(tail));
        return Math.Max(1, (int)Math.Round(blended));
    }

    /// <summary>Mean levels per depth frame for <paramref name="rank"/> (numerically, for documentation and tests).</summary>
    public double MeanLevelsPerFrame(int rank)
    {
        const int steps = 20_000;
        double sum = 0;
        for (var k = 0; k < steps; k++) sum += LevelsPerFrame(rank, (k + 0.5) / steps);
        return sum / steps;
    }

    /// <summary>Expected frames per second of each kind for <paramref name="symbolCount"/> symbols (ranks 1..N), all streams subscribed.</summary>
    public IReadOnlyDictionary<StreamKind, double> ExpectedFramesPerSecond(int symbolCount, double scale = 1)
    {
        var totals = StreamKinds.All.ToDictionary(k => k, _ => 0.0);
        for (var rank = 1; rank <= symbolCount; rank++)
            foreach (var (kind, rate) in ExpectedFramesPerSecond1(rank, scale)) totals[kind] += rate;
        return totals;
    }

    /// <summary>Expected frames per second of each kind for one symbol of <paramref name="rank"/>.</summary>
    public IEnumerable<(StreamKind Kind, double Rate)> ExpectedFramesPerSecond1(int rank, double scale = 1)
    {
        yield return (StreamKind.Depth, ExpectedDepthFramesPerSecond(rank, scale));
        yield return (StreamKind.Trade, TradesPerSecond(rank, scale));
        yield return (StreamKind.AggTrade, AggTradesPerSecond(rank, scale));
        yield return (StreamKind.BookTicker, BookTickerPerSecond(rank, scale));
        yield return (StreamKind.Ticker, TickerPerSecond);
        yield return (StreamKind.Kline1s, Kline1sPerSecond);
        yield return (StreamKind.Kline1m, KlinePerSecond);
        yield return (StreamKind.Kline1h, KlinePerSecond);
        yield return (StreamKind.Kline1d, KlinePerSecond);
    }

    /// <summary>
    /// depth@100ms frames per second the market actually sends: a frame goes out for every 100 ms slot in which the book
    /// changed. Every top-of-book change (bookTicker) is a book change, so where the bookTicker curve is steeper than the
    /// depth curve (ranks 2 to about 45) the frame rate is above <see cref="DepthPerSecond"/>: 10 · (1 − e^(−changes/10)).
    /// At the head and the tail it equals the recorded rate.
    /// </summary>
    public double ExpectedDepthFramesPerSecond(int rank, double scale = 1)
    {
        var changes = BookTickerPerSecond(rank, scale) + DepthActivityPerSecond(rank, scale);
        return 10 * (1 - Math.Exp(-changes / 10));
    }

    /// <summary>
    /// Rate of "depth activity" events that mark a symbol's book dirty besides its top-of-book changes, chosen so the
    /// share of 100 ms slots with any change (= depth frames per second / 10) matches <see cref="DepthPerSecond"/>:
    /// with Poisson changes at total rate x, a slot has one with probability 1 − e^(−x/10).
    /// </summary>
    internal double DepthActivityPerSecond(int rank, double scale)
    {
        var frames = DepthPerSecond(rank, scale);
        var needed = frames >= 9.999 ? double.PositiveInfinity : -10 * Math.Log(1 - frames / 10);
        var fromTop = BookTickerPerSecond(rank, scale);
        return double.IsPositiveInfinity(needed) ? 1000 : Math.Max(0, needed - fromTop);
    }
}
