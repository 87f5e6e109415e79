using System.Globalization;
using System.Text;
using MarketData.Instruments;

namespace MarketData.Domain.Quality;

/// <summary>Human-readable numbers for problems and explanations: UTC times, durations, prices, ratios (invariant culture).</summary>
internal static class QualityText
{
    private const long MinUnixMs = -62_135_596_800_000;   // 0001-01-01
    private const long MaxUnixMs = 253_402_300_799_999;   // 9999-12-31T23:59:59.999

    /// <summary>ISO 8601 UTC with milliseconds, e.g. <c>2024-03-01T12:00:00.000Z</c>; a raw number when out of the calendar's range.</summary>
    public static string Time(long unixMs)
        => unixMs is < MinUnixMs or > MaxUnixMs
            ? unixMs.ToString(CultureInfo.InvariantCulture) + " ms"
            : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTime utc) => Time(UnixMs(utc));

    public static long UnixMs(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        return (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
    }

    /// <summary>E.g. <c>40 ms</c>, <c>3.5 s</c>, <c>1 m 10 s</c>, <c>1 h 1 m</c>, <c>1 d 10 m</c>.</summary>
    public static string Duration(long ms)
    {
        if (ms < 0) return "-" + Duration(ms == long.MinValue ? long.MaxValue : -ms);
        if (ms < 1_000) return ms.ToString(CultureInfo.InvariantCulture) + " ms";
        if (ms < 60_000) return Seconds(ms) + " s";
        var days = ms / 86_400_000;
        var hours = ms / 3_600_000 % 24;
        var minutes = ms / 60_000 % 60;
        var rest = ms % 60_000;
        var parts = new List<string>(4);
        if (days > 0) parts.Add(days.ToString(CultureInfo.InvariantCulture) + " d");
        if (hours > 0) parts.Add(hours.ToString(CultureInfo.InvariantCulture) + " h");
        if (minutes > 0) parts.Add(minutes.ToString(CultureInfo.InvariantCulture) + " m");
        if (rest > 0) parts.Add(Seconds(rest) + " s");
        return string.Join(' ', parts);
    }

    public static string Duration(TimeSpan value) => Duration((long)value.TotalMilliseconds);

    /// <summary>A fixed-point price or volume as decimal text without trailing zeros (<c>3001.5</c>, not <c>3001.50000000</c>).</summary>
    public static string Price(long fixedPoint) => FixedPoint.ToDecimal(fixedPoint).ToString("0.########", CultureInfo.InvariantCulture);

    /// <summary>A score or ratio with at most four decimals.</summary>
    public static string Ratio(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Appends <see cref="Ratio"/> without an intermediate string.</summary>
    public static StringBuilder AppendRatio(this StringBuilder text, double value)
        => text.Append(CultureInfo.InvariantCulture, $"{value:0.####}");

    public static StringBuilder AppendInt(this StringBuilder text, long value)
        => text.Append(CultureInfo.InvariantCulture, $"{value}");

    /// <summary>Appends <see cref="Duration(long)"/>; the common sub-minute ages without an intermediate string.</summary>
    public static StringBuilder AppendDuration(this StringBuilder text, long ms)
        => ms switch
        {
            >= 0 and < 1_000 => text.Append(CultureInfo.InvariantCulture, $"{ms} ms"),
            >= 1_000 and < 60_000 => text.Append(CultureInfo.InvariantCulture, $"{ms / 1_000.0:0.###} s"),
            _ => text.Append(Duration(ms)),
        };

    private static string Seconds(long ms) => (ms / 1_000.0).ToString("0.###", CultureInfo.InvariantCulture);
}
