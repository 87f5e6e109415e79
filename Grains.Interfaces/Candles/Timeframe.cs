using System.Diagnostics.CodeAnalysis;

namespace MarketData.Candles;

/// <summary>
/// A candle interval: <c>1s</c>, <c>1m</c>, <c>1h</c> or <c>1d</c> (UTC-aligned). Built and parsed here only,
/// never by string concatenation; an unknown interval is rejected at the edge.
/// </summary>
[GenerateSerializer, Immutable, Alias("MarketData.Timeframe")]
public readonly record struct Timeframe
{
    public static readonly Timeframe OneSecond = new(1_000, "1s");
    public static readonly Timeframe OneMinute = new(60_000, "1m");
    public static readonly Timeframe OneHour = new(3_600_000, "1h");
    public static readonly Timeframe OneDay = new(86_400_000, "1d");

    /// <summary>Every supported timeframe, shortest first.</summary>
    public static IReadOnlyList<Timeframe> All { get; } = [OneSecond, OneMinute, OneHour, OneDay];

    private Timeframe(long milliseconds, string name)
    {
        Milliseconds = milliseconds;
        Name = name;
    }

    /// <summary>Length in milliseconds.</summary>
    [Id(0)] public long Milliseconds { get; }

    /// <summary>Binance's interval name (<c>1s</c>, <c>1m</c>, <c>1h</c>, <c>1d</c>).</summary>
    [Id(1)] public string Name { get; }

    public TimeSpan Duration => TimeSpan.FromMilliseconds(Milliseconds);

    /// <summary>MEXC's REST interval name, or null where MEXC has none (it has no 1s candles; one hour is <c>60m</c>).</summary>
    public string? MexcName => Milliseconds switch
    {
        60_000 => "1m",
        3_600_000 => "60m",
        86_400_000 => "1d",
        _ => null,
    };

    /// <summary>Open time (Unix ms) of the candle that contains <paramref name="unixMs"/>.</summary>
    public long OpenTimeOf(long unixMs) => unixMs - (((unixMs % Milliseconds) + Milliseconds) % Milliseconds);

    /// <summary>The regular close time of a candle opened at <paramref name="openTime"/>: open + interval - 1 ms.</summary>
    public long CloseTimeOf(long openTime) => openTime + Milliseconds - 1;

    public override string ToString() => Name ?? "";

    public static Timeframe Parse(string text)
        => TryParse(text, out var timeframe) ? timeframe : throw new FormatException($"Unknown timeframe '{text}': expected one of 1s, 1m, 1h, 1d.");

    public static bool TryParse([NotNullWhen(true)] string? text, out Timeframe timeframe)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name, text, StringComparison.Ordinal))
            {
                timeframe = candidate;
                return true;
            }
        }
        timeframe = default;
        return false;
    }
}
