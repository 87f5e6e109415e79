namespace MarketData.LoadGeneration;

/// <summary>The per-symbol streams the load generator produces (the ones the silo subscribes).</summary>
public enum StreamKind
{
    Depth,
    Trade,
    AggTrade,
    BookTicker,
    Ticker,
    Kline1s,
    Kline1m,
    Kline1h,
    Kline1d,
}

public static class StreamKinds
{
    public const int Count = 9;

    /// <summary>Every kind, in enum order.</summary>
    public static IReadOnlyList<StreamKind> All { get; } = Enum.GetValues<StreamKind>();

    /// <summary>The name used in <see cref="LoadServerStats.FramesByKind"/> and in the printed rates.</summary>
    public static string Name(StreamKind kind) => kind switch
    {
        StreamKind.Depth => "depth",
        StreamKind.Trade => "trade",
        StreamKind.AggTrade => "aggTrade",
        StreamKind.BookTicker => "bookTicker",
        StreamKind.Ticker => "ticker",
        StreamKind.Kline1s => "kline_1s",
        StreamKind.Kline1m => "kline_1m",
        StreamKind.Kline1h => "kline_1h",
        StreamKind.Kline1d => "kline_1d",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// The kind of a stream suffix as Binance names it (after <c>symbol@</c>). The three depth spellings share one
    /// diff stream: <c>depth</c> and <c>depth@1000ms</c> get the 100 ms diffs too (a documented simplification).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> suffix, out StreamKind kind)
    {
        kind = suffix switch
        {
            "depth" or "depth@100ms" or "depth@1000ms" => StreamKind.Depth,
            "trade" => StreamKind.Trade,
            "aggTrade" => StreamKind.AggTrade,
            "bookTicker" => StreamKind.BookTicker,
            "ticker" => StreamKind.Ticker,
            "kline_1s" => StreamKind.Kline1s,
            "kline_1m" => StreamKind.Kline1m,
            "kline_1h" => StreamKind.Kline1h,
            "kline_1d" => StreamKind.Kline1d,
            _ => (StreamKind)(-1),
        };
        return (int)kind >= 0;
    }
}

/// <summary>Where a <see cref="SymbolMarket"/> hands its frames (one sink per symbol).</summary>
public interface IFrameSink
{
    /// <summary>False when nobody listens to this stream: the market still evolves but skips serialising it.</summary>
    bool Wants(StreamKind kind);

    /// <summary>One event payload (the <c>data</c> object of a combined-stream frame), valid only during the call.</summary>
    void Write(StreamKind kind, ReadOnlySpan<byte> payload);
}
