namespace MarketData.LoadGeneration;

/// <summary>Settings of <see cref="BinanceLoadServer"/>.</summary>
public sealed class LoadServerOptions
{
    /// <summary>Symbols named by activity rank: BTCUSDT, ETHUSDT, then L0003USDT, L0004USDT ...</summary>
    public int SymbolCount { get; set; } = 10;

    /// <summary>Multiplies every per-symbol rate of the profile (stress runs); depth stays at most one frame per 100 ms.</summary>
    public double RateScale { get; set; } = 1.0;

    public int Seed { get; set; } = 1;

    public string Url { get; set; } = "http://127.0.0.1:0";

    /// <summary>REST weight a minute; beyond it the server answers 429 with Retry-After, like Binance.</summary>
    public int WeightLimitPerMinute { get; set; } = 6000;

    /// <summary>A connection whose unsent bytes would exceed this is a slow consumer: disconnected and counted.</summary>
    public int MaxQueuedBytesPerConnection { get; set; } = 4 << 20;

    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>
    /// Largest book a side. 1000 by default, the snapshot limit the silo asks for, so one snapshot carries the whole
    /// book and a synced client book equals the server's level for level.
    /// </summary>
    public int MaxLevelsPerSide { get; set; } = 1000;

    /// <summary>How often the scheduler wakes to produce the frames that came due.</summary>
    public TimeSpan SchedulerPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Kernel send buffer of accepted sockets (SO_SNDBUF), or null for the system's autotuning. Small values make
    /// back-pressure from a slow reader reach the server's queues sooner (tests).
    /// </summary>
    public int? SocketSendBufferBytes { get; set; }

    /// <summary>The rates by rank (see <see cref="LoadProfile"/>).</summary>
    public LoadProfile Profile { get; set; } = LoadProfile.Default;

    /// <summary>The symbol of <paramref name="rank"/> (1-based).</summary>
    public static string SymbolOf(int rank) => rank switch
    {
        1 => "BTCUSDT",
        2 => "ETHUSDT",
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"L{rank:D4}USDT"),
    };

    internal void Validate()
    {
        if (SymbolCount < 1) throw new ArgumentException($"SymbolCount {SymbolCount} must be at least 1.");
        if (!(RateScale > 0) || double.IsInfinity(RateScale)) throw new ArgumentException($"RateScale {RateScale} must be positive.");
        if (WeightLimitPerMinute < 1) throw new ArgumentException($"WeightLimitPerMinute {WeightLimitPerMinute} must be positive.");
        if (MaxQueuedBytesPerConnection < 1024) throw new ArgumentException($"MaxQueuedBytesPerConnection {MaxQueuedBytesPerConnection} is below 1 KB.");
        if (MaxLevelsPerSide < 2) throw new ArgumentException($"MaxLevelsPerSide {MaxLevelsPerSide} must be at least 2.");
        if (SchedulerPeriod <= TimeSpan.Zero) throw new ArgumentException($"SchedulerPeriod {SchedulerPeriod} must be positive.");
        ArgumentNullException.ThrowIfNull(Time);
        ArgumentNullException.ThrowIfNull(Profile);
    }
}

/// <summary>A consistent copy of the server's counters.</summary>
public sealed record LoadServerStats
{
    /// <summary>Frames handed to sockets (after the queue).</summary>
    public long FramesSent { get; init; }
    /// <summary>Frames queued for sending, by stream kind (<c>depth</c>, <c>trade</c>, <c>aggTrade</c>, <c>bookTicker</c>, <c>ticker</c>, <c>kline_1s</c> ...), one per subscribed connection.</summary>
    public required IReadOnlyDictionary<string, long> FramesByKind { get; init; }
    public long BytesSent { get; init; }
    public long ConnectionsAccepted { get; init; }
    public long OpenConnections { get; init; }
    public long SlowConsumerDisconnects { get; init; }
    /// <summary>Frames a slow consumer never got: those queued when it was cut off, and the one that overflowed its queue.</summary>
    public long FramesDroppedForSlowConsumers { get; init; }
    /// <summary>Most unsent bytes any one connection held at once (never above <see cref="LoadServerOptions.MaxQueuedBytesPerConnection"/>).</summary>
    public long MaxQueuedBytes { get; init; }
    /// <summary>Unsent bytes over all connections now.</summary>
    public long QueuedBytes { get; init; }
    /// <summary>
    /// How late the generator ran events after their due time, worst over the last second (ms). Events run in scheduler
    /// ticks, so values up to about the tick period (10 ms) are normal; more means the generator itself fell behind.
    /// </summary>
    public double ScheduleSlipMs { get; init; }
    public long RestRequests { get; init; }
    /// <summary>REST weight used in the current minute.</summary>
    public long RestWeightUsed { get; init; }
}
