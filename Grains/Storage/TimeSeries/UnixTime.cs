namespace MarketData.Storage.TimeSeries;

/// <summary>Conversions between Unix milliseconds (the domain's time) and the UTC <see cref="DateTime"/> Npgsql maps to timestamptz.</summary>
internal static class UnixTime
{
    private const long MsPerDay = 86_400_000;
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int EpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>Largest storable time: the last millisecond of year 9999.</summary>
    public static readonly long MaxMs = (DateTime.MaxValue.Ticks - EpochTicks) / TimeSpan.TicksPerMillisecond;

    public static bool IsValid(long ms) => ms >= 0 && ms <= MaxMs;

    public static DateTime ToUtc(long ms) => new(EpochTicks + ms * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    public static long ToMs(DateTime time) => (Utc(time).Ticks - EpochTicks) / TimeSpan.TicksPerMillisecond;

    public static DateOnly Day(long ms) => DateOnly.FromDayNumber(EpochDayNumber + (int)(ms >= 0 ? ms / MsPerDay : (ms - MsPerDay + 1) / MsPerDay));

    public static DateOnly Day(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime);

    /// <summary>
    /// The UTC form Npgsql needs for timestamptz. Unspecified is taken as UTC (the project stores UTC everywhere);
    /// local is converted.
    /// </summary>
    public static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };
}
