namespace MarketData.Feeds;

/// <summary>What a feed has done since it started: the body of <c>GET /api/v1/feeds</c>.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.FeedStatus")]
public sealed record FeedStatus
{
    [Id(0)] public required string FeedId { get; init; }
    /// <summary><c>binance-spot</c> (live) or <c>replay</c>.</summary>
    [Id(1)] public required string Kind { get; init; }
    [Id(2)] public required FeedState State { get; init; }
    [Id(3)] public required IReadOnlyList<string> Symbols { get; init; }
    [Id(4)] public DateTime? StartedAt { get; init; }
    [Id(5)] public long MessagesReceived { get; init; }
    /// <summary>Messages a second over the last completed measuring window (about 10 s).</summary>
    [Id(6)] public double MessagesPerSecond { get; init; }
    [Id(7)] public long BytesReceived { get; init; }
    [Id(8)] public long EventsPublished { get; init; }
    [Id(9)] public long Reconnects { get; init; }
    /// <summary>Snapshot requests from books that lost sync (gap, crossed book, bad level, stale snapshot).</summary>
    [Id(10)] public long Resyncs { get; init; }
    [Id(11)] public long SnapshotsFetched { get; init; }
    /// <summary>Frames that could not be parsed or carried invalid values (malformed JSON, negative quantity...).</summary>
    [Id(12)] public long Rejected { get; init; }
    /// <summary>Messages lost and counted: a full buffer, a publish that failed after retries. Should stay 0.</summary>
    [Id(13)] public long Dropped { get; init; }
    [Id(14)] public long UnknownEvents { get; init; }
    [Id(15)] public string? LastError { get; init; }
    [Id(16)] public DateTime? LastErrorAt { get; init; }
    [Id(17)] public int RestWeightUsed { get; init; }
    [Id(18)] public int RestWeightLimit { get; init; }
    [Id(19)] public DateTime? RestBlockedUntil { get; init; }
    [Id(20)] public int Connections { get; init; }
    /// <summary>Planned connection handovers before the exchange's 24-hour cut-off.</summary>
    [Id(21)] public long Handovers { get; init; }
    [Id(22)] public long RateLimitHits { get; init; }
    /// <summary>Replay only: lines read so far and in total, when known.</summary>
    [Id(23)] public long? LinesRead { get; init; }
    [Id(24)] public DateTime? CompletedAt { get; init; }
    /// <summary>Messages discarded because they were already forwarded: the overlap of a connection handover, late frames.</summary>
    [Id(25)] public long DuplicatesDropped { get; init; }
    /// <summary>Where REST data (candles, prices) comes from now: <c>binance</c>, or <c>mexc</c> while Binance fails.</summary>
    [Id(26)] public string? RestSource { get; init; }
    /// <summary>Why REST switched to the fallback, and when.</summary>
    [Id(27)] public string? FallbackReason { get; init; }
    [Id(28)] public DateTime? FallbackSince { get; init; }
    [Id(29)] public int FallbackSwitches { get; init; }
    /// <summary>Open connections replaced because they delivered no frame for their silence limit (a stalled stream that still answers pings).</summary>
    [Id(30)] public long SilentReplacements { get; init; }
    /// <summary>Coverage refreshes books asked for (a fresh snapshot while synced, at a lower priority than resyncs).</summary>
    [Id(31)] public long CoverageRefreshesRequested { get; init; }
    /// <summary>Coverage refresh snapshots fetched and published.</summary>
    [Id(32)] public long CoverageRefreshesFetched { get; init; }
    /// <summary>Coverage refresh fetches that failed, were refused or timed out (tried once each; the book asks again later).</summary>
    [Id(33)] public long CoverageRefreshesFailed { get; init; }
}
