using MarketData.Candles;

namespace MarketData.Actors;

/// <summary>Candle caches and pivots, bound from configuration section <c>Candles</c>.</summary>
public sealed class CandleOptions
{
    public const string Section = "Candles";

    /// <summary>Closed candles kept per instrument and timeframe.</summary>
    public int Capacity { get; set; } = 1_500;

    /// <summary>A kline stream silent this many periods (at least 10 s) hands the timeframe back to trade-built candles.</summary>
    public int KlineStreamSilentPeriods { get; set; } = 3;

    /// <summary>Pivot analysis window per timeframe (1s: 30 days = 2,592,000 candles).</summary>
    public Dictionary<string, TimeSpan> PivotWindows { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Spacing of REST requests while a pivot window fills (1,000 candles each): 250 ms is 480 weight a minute, 8% of Binance's budget.</summary>
    public TimeSpan PivotFillRequestInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Whether pivot grains fill their window from REST at all (off for tests and replays).</summary>
    public bool PivotFill { get; set; } = true;

    /// <summary>How often pivot state is saved.</summary>
    public TimeSpan PivotSaveInterval { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan PivotWindow(Timeframe timeframe)
    {
        if (PivotWindows.TryGetValue(timeframe.Name, out var window)) return window;
        return timeframe.Milliseconds switch
        {
            <= 1_000 => TimeSpan.FromDays(30),
            <= 60_000 => TimeSpan.FromDays(30),
            <= 3_600_000 => TimeSpan.FromDays(180),
            _ => TimeSpan.FromDays(1_500),
        };
    }
}
