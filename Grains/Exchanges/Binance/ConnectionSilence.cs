using System.Globalization;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// The silence rule of one connection slot, pure (no timers, no clock): how long a connection may deliver no frame at
/// all before it is replaced, and the backoff that keeps an exchange silent for everyone from causing a replacement storm.
/// <para>
/// Silence is judged per connection, from every frame on it, so a quiet symbol beside a busy one never counts. The
/// quietest stream on the connection decides the limit: one scheduled stream (<c>ticker</c>, <c>kline_*</c>, pushed every
/// 1-2 s whatever the market does) means the connection is never legitimately silent for long
/// (<see cref="BinanceFeedOptions.SilenceTimeout"/>); event-driven streams only (depth, trades, bookTicker) may be quiet
/// for quiet symbols (<see cref="BinanceFeedOptions.EventOnlySilenceTimeout"/>).
/// </para>
/// <para>
/// Each silent replacement in a row doubles the limit, up to <see cref="MaxBackoffFactor"/> times the base; a connection
/// that has delivered any frame is judged by the base limit again, and its silence starts a new series. Not thread-safe:
/// the caller serialises.
/// </para>
/// </summary>
internal sealed class ConnectionSilence
{
    /// <summary>The limit stops doubling at this multiple of the base (30 s: 1, 2, 4 minutes, then every 4 minutes).</summary>
    public const int MaxBackoffFactor = 8;

    public ConnectionSilence(TimeSpan baseTimeout)
    {
        if (baseTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(baseTimeout), baseTimeout, "The silence timeout must not be negative.");
        BaseTimeout = baseTimeout;
    }

    /// <summary>The limit of a connection that delivers frames; <see cref="TimeSpan.Zero"/> when the watchdog is off.</summary>
    public TimeSpan BaseTimeout { get; }
    public bool Enabled => BaseTimeout > TimeSpan.Zero;
    /// <summary>Silent replacements in a row, none of whose replacements has delivered a frame yet.</summary>
    public int ConsecutiveSilent { get; private set; }

    /// <summary>The base limit for a connection carrying <paramref name="streams"/> (suffixes such as <c>depth@100ms</c>).</summary>
    public static TimeSpan BaseTimeoutFor(IEnumerable<string> streams, TimeSpan silenceTimeout, TimeSpan eventOnlySilenceTimeout)
        => streams.Any(IsScheduledStream) ? silenceTimeout : eventOnlySilenceTimeout;

    /// <summary>Streams Binance pushes on a schedule, whatever the activity: <c>ticker</c> (1 s) and <c>kline_*</c> (1-2 s).</summary>
    public static bool IsScheduledStream(string stream) => stream == "ticker" || stream.StartsWith("kline_", StringComparison.Ordinal);

    /// <summary>How long a connection may stay silent: the base once it has delivered a frame, else the base backed off.</summary>
    public TimeSpan LimitFor(bool receivedAnyFrame)
    {
        if (!Enabled) return Timeout.InfiniteTimeSpan;
        if (receivedAnyFrame || ConsecutiveSilent == 0) return BaseTimeout;
        var factor = Math.Min(MaxBackoffFactor, 1L << Math.Min(ConsecutiveSilent, 30));
        return TimeSpan.FromTicks(BaseTimeout.Ticks * factor);
    }

    /// <summary>
    /// Judges a connection quiet for <paramref name="quietFor"/>. Silent: records one more silent replacement (a new series
    /// when this connection had delivered frames) and returns the limit it broke. Not silent: returns the time left
    /// before it would be. Off: never silent, <see cref="Timeout.InfiniteTimeSpan"/> left.
    /// </summary>
    public SilenceVerdict Judge(TimeSpan quietFor, bool receivedAnyFrame)
    {
        if (!Enabled) return new SilenceVerdict(false, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var limit = LimitFor(receivedAnyFrame);
        if (quietFor < limit) return new SilenceVerdict(false, limit, limit - quietFor);
        if (receivedAnyFrame) ConsecutiveSilent = 0;
        ConsecutiveSilent++;
        return new SilenceVerdict(true, limit, TimeSpan.Zero);
    }

    /// <summary>"no frame for 30 s" (the reason in logs, <c>lastError</c> and the books' interruption).</summary>
    public static string Describe(TimeSpan limit)
        => string.Create(CultureInfo.InvariantCulture, $"no frame for {limit.TotalSeconds:0.###} s");
}

/// <summary>The outcome of <see cref="ConnectionSilence.Judge"/>: silent or not, the limit applied, and the time left before the limit.</summary>
internal readonly record struct SilenceVerdict(bool Silent, TimeSpan Limit, TimeSpan TimeLeft);
