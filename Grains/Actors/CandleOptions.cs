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

    /// <summary>
    /// Retained pivot memory per analysed candle: 31 MB for the 2,592,000 candles of a 30-day 1s window (PivotBenchmarks,
    /// five levels, highs and lows), about 12 bytes. Real 1s candles with flat stretches yield fewer pivots, so this errs high.
    /// </summary>
    public const int PivotBytesPerCandle = 12;

    /// <summary>What the pivot windows of one symbol hold once filled, over every timeframe.</summary>
    public long EstimatedPivotBytesPerSymbol() =>
        Timeframe.All.Sum(tf => (long)(PivotWindow(tf).TotalMilliseconds / tf.Milliseconds) * PivotBytesPerCandle);

    /// <summary>
    /// A sentence when following <paramref name="symbols"/> would fill more than half of <paramref name="availableBytes"/>
    /// with pivot windows alone (they fill from REST over hours, so the silo would run for a while and then run out),
    /// else null.
    /// </summary>
    public string? PivotMemoryWarning(int symbols, long availableBytes)
    {
        var perSymbol = EstimatedPivotBytesPerSymbol();
        var total = perSymbol * symbols;
        if (availableBytes <= 0 || total <= availableBytes / 2) return null;
        var days = PivotWindow(Timeframe.OneSecond).TotalDays;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"The pivot windows of {symbols} symbols will hold about {total / 1e9:F1} GB once filled ({perSymbol / 1e6:F1} MB a symbol; 1s window {days:0.##} days), more than half of the {availableBytes / 1e9:F1} GB available: shorten Candles:PivotWindows:1s (about 1 MB a symbol per day) or follow fewer symbols.");
    }

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
