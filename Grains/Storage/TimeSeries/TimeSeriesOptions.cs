namespace MarketData.Storage.TimeSeries;

/// <summary>
/// Settings of the time-series store (configuration section <c>TimeSeries</c>). Bounds are per table: each table has
/// its own queue and its own writer loop, so a slow table never holds up another.
/// </summary>
public sealed class TimeSeriesOptions
{
    public const string SectionName = "TimeSeries";

    /// <summary>Rows queued per table before <see cref="ITimeSeriesSink.TryAdd(in TradeRow)"/> refuses (a counted drop).</summary>
    public int BufferCapacity { get; set; } = 200_000;

    /// <summary>Rows per binary COPY.</summary>
    public int BatchSize { get; set; } = 20_000;

    /// <summary>
    /// Connections that COPY trades in parallel (1..8): one fills the next batch while another's COPY and commit are in
    /// flight. The other tables take one each (candles must: their updates commit in order).
    /// </summary>
    public int TradeConnections { get; set; } = 2;

    /// <summary>How long a partial batch may wait for more rows before it is written anyway.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>First wait after a failed batch; doubles per failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long rows are kept, per table (keys: <see cref="TimeSeriesTables"/> names, case-insensitive). Whole days
    /// (partitions or chunks) older than this are dropped; rows already older than this are not written (counted as Expired).
    /// Configuration adds to or overrides these defaults.
    /// </summary>
    public Dictionary<string, TimeSpan> Retention { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [TimeSeriesTables.Trades] = TimeSpan.FromDays(30),
        [TimeSeriesTables.CobSeconds] = TimeSpan.FromDays(30),
        [TimeSeriesTables.BookSnapshots] = TimeSpan.FromDays(7),
        [TimeSeriesTables.Candles] = TimeSpan.FromDays(3650),
        [TimeSeriesTables.ModelOutputs] = TimeSpan.FromDays(365),
    };

    /// <summary>Daily partitions created ahead of today (native partitioning only); older days are created on demand.</summary>
    public int PartitionsAhead { get; set; } = 2;

    /// <summary>null or <c>auto</c>: use TimescaleDB when the extension is installed or can be created; <c>on</c>: require it; <c>off</c>: native partitioning.</summary>
    public string? Timescale { get; set; }

    /// <summary>TimescaleDB only: chunks older than this are compressed by the compression policy.</summary>
    public TimeSpan CompressAfter { get; set; } = TimeSpan.FromDays(2);

    /// <summary>How often the writer creates partitions ahead and applies retention.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>On dispose, how long the writer keeps trying to commit what is still queued before it gives up (and logs the count).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The retention of <paramref name="table"/>.</summary>
    public TimeSpan RetentionOf(string table)
        => Retention.TryGetValue(table, out var value) ? value : throw new ArgumentException($"No retention for table '{table}'.", nameof(table));

    /// <summary>null when valid; else every problem, one per line.</summary>
    public string? Validate()
    {
        var errors = new List<string>();
        if (BufferCapacity < 1) errors.Add($"TimeSeries:BufferCapacity must be at least 1 (is {BufferCapacity}).");
        if (BatchSize < 1) errors.Add($"TimeSeries:BatchSize must be at least 1 (is {BatchSize}).");
        if (TradeConnections is < 1 or > 8) errors.Add($"TimeSeries:TradeConnections must be 1..8 (is {TradeConnections}).");
        if (FlushInterval <= TimeSpan.Zero) errors.Add($"TimeSeries:FlushInterval must be positive (is {FlushInterval}).");
        if (RetryMinDelay <= TimeSpan.Zero) errors.Add($"TimeSeries:RetryMinDelay must be positive (is {RetryMinDelay}).");
        if (RetryMaxDelay < RetryMinDelay) errors.Add($"TimeSeries:RetryMaxDelay ({RetryMaxDelay}) must not be less than RetryMinDelay ({RetryMinDelay}).");
        if (PartitionsAhead is < 0 or > 366) errors.Add($"TimeSeries:PartitionsAhead must be 0..366 (is {PartitionsAhead}).");
        if (CompressAfter <= TimeSpan.Zero) errors.Add($"TimeSeries:CompressAfter must be positive (is {CompressAfter}).");
        if (MaintenanceInterval <= TimeSpan.Zero) errors.Add($"TimeSeries:MaintenanceInterval must be positive (is {MaintenanceInterval}).");
        if (ShutdownTimeout < TimeSpan.Zero) errors.Add($"TimeSeries:ShutdownTimeout must not be negative (is {ShutdownTimeout}).");
        if (Timescale is not null && !IsTimescaleSetting(Timescale))
            errors.Add($"TimeSeries:Timescale must be empty, 'auto', 'on' or 'off' (is '{Timescale}').");
        if (Retention is null) errors.Add("TimeSeries:Retention is missing.");
        else
        {
            foreach (var (table, keep) in Retention)
            {
                if (!TimeSeriesTables.All.Contains(table, StringComparer.OrdinalIgnoreCase))
                    errors.Add($"TimeSeries:Retention:{table}: unknown table (expected one of {string.Join(", ", TimeSeriesTables.All)}).");
                else if (keep < TimeSpan.FromDays(1))
                    errors.Add($"TimeSeries:Retention:{table} must be at least one day (is {keep}): retention drops whole days.");
            }
            foreach (var table in TimeSeriesTables.All)
                if (!Retention.ContainsKey(table)) errors.Add($"TimeSeries:Retention:{table} is missing.");
        }
        return errors.Count == 0 ? null : string.Join(Environment.NewLine, errors);
    }

    /// <summary>The <see cref="Timescale"/> setting as a tri-state: null = auto-detect.</summary>
    public bool? TimescaleMode => Timescale?.Trim().ToUpperInvariant() switch
    {
        null or "" or "AUTO" => null,
        "ON" => true,
        "OFF" => false,
        _ => throw new InvalidOperationException($"TimeSeries:Timescale '{Timescale}' is not 'auto', 'on' or 'off'."),
    };

    private static bool IsTimescaleSetting(string value)
        => value.Trim().ToUpperInvariant() is "" or "AUTO" or "ON" or "OFF";
}
