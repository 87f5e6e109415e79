namespace MarketData.Exchanges.Binance;

/// <summary>
/// Settings of the live Binance spot feed, bound from configuration section <c>Feeds:Binance</c>.
/// Base URLs are configuration so tests and offline demos can point them at a loopback fake server.
/// </summary>
public sealed class BinanceFeedOptions
{
    public const string SectionName = "Feeds:Binance";

    /// <summary>Binance allows at most 1024 streams on one connection.</summary>
    public const int MaxStreamsPerConnectionLimit = 1024;

    /// <summary>False turns the live feed off (a silo that only replays or only serves).</summary>
    public bool Enabled { get; set; } = true;

    public string FeedId { get; set; } = "binance";

    /// <summary>MEXC REST, the fallback for candles and prices while Binance fails (section <c>Feeds:Mexc</c>).</summary>
    public Mexc.MexcOptions Mexc { get; set; } = new();

    /// <summary>When to leave Binance for MEXC and when to come back (section <c>Feeds:Fallback</c>).</summary>
    public Fallback.FallbackOptions Fallback { get; set; } = new();
    public string RestBaseUrl { get; set; } = "https://api.binance.com";
    public string WebSocketBaseUrl { get; set; } = "wss://stream.binance.com:9443";

    /// <summary>Symbols in Binance's REST spelling (upper case, e.g. <c>BTCUSDT</c>).</summary>
    public List<string> Symbols { get; set; } = ["BTCUSDT", "ETHUSDT"];

    /// <summary>Stream suffixes subscribed for every symbol (<c>btcusdt@depth@100ms</c> ...).</summary>
    public List<string> Streams { get; set; } = ["depth@100ms", "aggTrade", "trade", "bookTicker", "ticker"];

    /// <summary>Levels asked for in a REST depth snapshot (1-5000); decides its request weight.</summary>
    public int SnapshotLimit { get; set; } = 1000;

    public int MaxStreamsPerConnection { get; set; } = MaxStreamsPerConnectionLimit;

    /// <summary>
    /// Longest combined-stream URL of one connection. Streams travel in the URL (<c>/stream?streams=a/b/c</c>), and a
    /// request line beyond the 8 KB that common servers accept (Kestrel's default, nginx's buffers) is refused with
    /// 414: 1,024 streams would need about 20 KB. Symbols are packed until either limit is reached.
    /// </summary>
    public int MaxUrlLength { get; set; } = 4_096;

    /// <summary>Age at which a connection is replaced (make-before-break) ahead of Binance's 24 h cut-off.</summary>
    public TimeSpan ConnectionLifetime { get; set; } = TimeSpan.FromHours(23.5);

    /// <summary>Longest overlap of an old and a replacement connection before the old one is closed anyway.</summary>
    public TimeSpan HandoverTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A connection that stayed up this long resets the reconnect backoff.</summary>
    public TimeSpan HealthyConnectionAge { get; set; } = TimeSpan.FromMinutes(1);

    public int RestWeightLimitPerMinute { get; set; } = 6000;
    public TimeSpan SnapshotStagger { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Coverage refreshes (snapshots books ask for while synced) are fetched only while the minute's used REST weight
    /// stays within this share of <see cref="RestWeightLimitPerMinute"/>, and always after the waiting resyncs.
    /// </summary>
    public double RefreshBudgetShare { get; set; } = 0.5;

    /// <summary>A coverage refresh fetch is given up after this long (tried once: the book asks again later), so a hanging one never holds up a resync for long.</summary>
    public TimeSpan RefreshFetchTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>WebSocket keep-alive: our pings and how long to wait for the peer before declaring it dead.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Shortest non-zero silence timeout: Binance's scheduled streams are 1-2 s apart, so anything tighter replaces healthy connections.</summary>
    public static readonly TimeSpan MinSilenceTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection carrying a scheduled stream (<c>ticker</c> every 1 s, <c>kline_*</c> every 1-2 s, whatever the
    /// market does) that delivers no frame at all for this long is silent: it is replaced make-before-break, however
    /// cheerfully its WebSocket answers pings. <see cref="TimeSpan.Zero"/> turns the watchdog off for such connections.
    /// Consecutive silent replacements double it, up to <see cref="ConnectionSilence.MaxBackoffFactor"/> times.
    /// </summary>
    public TimeSpan SilenceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The same for a connection carrying only event-driven streams (depth, trade, aggTrade, bookTicker), which a
    /// quiet market can leave legitimately silent; <see cref="TimeSpan.Zero"/> turns the watchdog off for them.
    /// </summary>
    public TimeSpan EventOnlySilenceTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Every problem with these settings, one clear sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(FeedId)) errors.Add("FeedId is empty.");
        CheckUrl(errors, nameof(RestBaseUrl), RestBaseUrl, "http", "https");
        CheckUrl(errors, nameof(WebSocketBaseUrl), WebSocketBaseUrl, "ws", "wss");

        if (Symbols is null || Symbols.Count == 0) errors.Add("Symbols is empty: list at least one symbol, for example BTCUSDT.");
        else
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var symbol in Symbols)
            {
                if (!IsValidSymbol(symbol?.ToUpperInvariant())) errors.Add($"Symbol '{symbol}' is invalid: expected 1-20 letters or digits, for example BTCUSDT.");
                else if (!seen.Add(symbol!)) errors.Add($"Symbol '{symbol}' is listed twice.");
            }
        }

        if (Streams is null || Streams.Count == 0) errors.Add("Streams is empty: list at least one stream, for example depth@100ms.");
        else
        {
            foreach (var stream in Streams)
                if (!IsSupportedStream(stream))
                    errors.Add($"Stream '{stream}' is not supported: expected one of depth, depth@100ms, depth@1000ms, trade, aggTrade, bookTicker, ticker, kline_1s, kline_1m, kline_1h, kline_1d (without the symbol).");
            if (Streams.Distinct(StringComparer.Ordinal).Count() != Streams.Count) errors.Add("Streams lists a stream twice.");
            if (Streams.Count(IsDepthStream) > 1) errors.Add("Streams lists more than one depth stream; keep one (depth@100ms is recommended).");
        }

        if (SnapshotLimit is < 1 or > 5000) errors.Add($"SnapshotLimit {SnapshotLimit} is out of range 1-5000.");
        if (MaxStreamsPerConnection is < 1 or > MaxStreamsPerConnectionLimit) errors.Add($"MaxStreamsPerConnection {MaxStreamsPerConnection} is out of range 1-{MaxStreamsPerConnectionLimit}.");
        if (Streams is { Count: > 0 } && MaxStreamsPerConnection >= 1 && Streams.Count > MaxStreamsPerConnection)
            errors.Add($"MaxStreamsPerConnection {MaxStreamsPerConnection} is smaller than the {Streams.Count} streams of one symbol; a symbol's streams must share a connection.");
        if (MaxUrlLength is < 256 or > 65_536) errors.Add($"MaxUrlLength {MaxUrlLength} is out of range 256-65536.");
        else if (Streams is { Count: > 0 } && Symbols is { Count: > 0 } && Symbols.All(x => !string.IsNullOrWhiteSpace(x)))
        {
            var longest = Symbols.MaxBy(x => x.Length)!;
            var length = StreamUrl([longest]).Length;
            if (length > MaxUrlLength) errors.Add($"MaxUrlLength {MaxUrlLength} is shorter than the {length}-character stream URL of symbol {longest} alone.");
        }
        if (ConnectionLifetime <= TimeSpan.Zero || ConnectionLifetime >= TimeSpan.FromHours(24)) errors.Add($"ConnectionLifetime {ConnectionLifetime} must be positive and below Binance's 24 h cut-off.");
        if (HandoverTimeout <= TimeSpan.Zero) errors.Add($"HandoverTimeout {HandoverTimeout} must be positive.");
        if (ReconnectMinDelay <= TimeSpan.Zero) errors.Add($"ReconnectMinDelay {ReconnectMinDelay} must be positive.");
        if (ReconnectMaxDelay < ReconnectMinDelay) errors.Add($"ReconnectMaxDelay {ReconnectMaxDelay} is below ReconnectMinDelay {ReconnectMinDelay}.");
        if (HealthyConnectionAge <= TimeSpan.Zero) errors.Add($"HealthyConnectionAge {HealthyConnectionAge} must be positive.");
        if (RestWeightLimitPerMinute < 250) errors.Add($"RestWeightLimitPerMinute {RestWeightLimitPerMinute} is below 250, the weight of the largest depth snapshot.");
        if (SnapshotStagger < TimeSpan.Zero) errors.Add($"SnapshotStagger {SnapshotStagger} is negative.");
        if (!double.IsFinite(RefreshBudgetShare) || RefreshBudgetShare is <= 0 or > 1) errors.Add($"RefreshBudgetShare {RefreshBudgetShare.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be above 0 and at most 1.");
        if (RefreshFetchTimeout <= TimeSpan.Zero) errors.Add($"RefreshFetchTimeout {RefreshFetchTimeout} must be positive.");
        if (HeartbeatInterval <= TimeSpan.Zero) errors.Add($"HeartbeatInterval {HeartbeatInterval} must be positive.");
        if (KeepAliveInterval <= TimeSpan.Zero) errors.Add($"KeepAliveInterval {KeepAliveInterval} must be positive.");
        if (KeepAliveTimeout <= TimeSpan.Zero) errors.Add($"KeepAliveTimeout {KeepAliveTimeout} must be positive.");
        CheckSilenceTimeout(errors, nameof(SilenceTimeout), SilenceTimeout);
        CheckSilenceTimeout(errors, nameof(EventOnlySilenceTimeout), EventOnlySilenceTimeout);
        if (SilenceTimeout >= MinSilenceTimeout && EventOnlySilenceTimeout >= MinSilenceTimeout && EventOnlySilenceTimeout < SilenceTimeout)
            errors.Add($"EventOnlySilenceTimeout {EventOnlySilenceTimeout} is below SilenceTimeout {SilenceTimeout}: a connection of event-driven streams only may be quiet legitimately, so it gets at least as long.");
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem found by <see cref="Validate"/>.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException($"Invalid {SectionName} settings: " + string.Join(" ", errors));
    }

    /// <summary>The stream names of one symbol, as Binance spells them (<c>btcusdt@depth@100ms</c>).</summary>
    public IEnumerable<string> StreamNamesOf(string symbol)
    {
        var lower = symbol.ToLowerInvariant();
        foreach (var stream in Streams) yield return $"{lower}@{stream}";
    }

    /// <summary>The combined-stream URL carrying every stream of <paramref name="symbols"/>.</summary>
    public string StreamUrl(IEnumerable<string> symbols)
        => $"{WebSocketBaseUrl.TrimEnd('/')}/stream?streams={string.Join('/', symbols.SelectMany(StreamNamesOf))}";

    /// <summary>
    /// Symbols in connection groups: in order, a group closed when one more symbol would pass
    /// <see cref="MaxStreamsPerConnection"/> or <see cref="MaxUrlLength"/>. A symbol's streams never straddle connections.
    /// </summary>
    public IReadOnlyList<string[]> ShardSymbols(IReadOnlyList<string> symbols)
    {
        var shards = new List<string[]>();
        var current = new List<string>();
        var baseLength = StreamUrl([]).Length;
        var length = baseLength;
        foreach (var symbol in symbols)
        {
            // Each stream is "symbol@suffix" plus a '/' separator (one fewer in total, which only errs on the safe side).
            var added = Streams.Sum(x => symbol.Length + 1 + x.Length + 1);
            if (current.Count > 0 && ((current.Count + 1) * Streams.Count > MaxStreamsPerConnection || length + added > MaxUrlLength))
            {
                shards.Add([.. current]);
                current.Clear();
                length = baseLength;
            }
            current.Add(symbol);
            length += added;
        }
        if (current.Count > 0) shards.Add([.. current]);
        return shards;
    }

    internal static bool IsDepthStream(string stream) => stream is "depth" or "depth@100ms" or "depth@1000ms";

    internal static bool IsSupportedStream(string? stream)
        => stream is not null && (IsDepthStream(stream) || stream is "trade" or "aggTrade" or "bookTicker" or "ticker"
            || (stream.StartsWith("kline_", StringComparison.Ordinal) && Candles.Timeframe.TryParse(stream["kline_".Length..], out _)));

    internal static bool IsValidSymbol(string? symbol)
    {
        if (string.IsNullOrEmpty(symbol) || symbol.Length > 20) return false;
        foreach (var c in symbol)
            if (!(c is >= 'A' and <= 'Z' || c is >= '0' and <= '9')) return false;
        return true;
    }

    private static void CheckSilenceTimeout(List<string> errors, string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero) errors.Add($"{name} {value} is negative: use 00:00:00 to turn the silence watchdog off.");
        else if (value > TimeSpan.Zero && value < MinSilenceTimeout)
            errors.Add($"{name} {value} is below {MinSilenceTimeout.TotalSeconds:0} s: scheduled streams are 1-2 s apart, so a healthy connection would be replaced; use 00:00:00 to turn the watchdog off.");
        else if (value > TimeSpan.FromDays(1))
            errors.Add($"{name} {value} is above one day, longer than a connection lives; use 00:00:00 to turn the silence watchdog off.");
    }

    private static void CheckUrl(List<string> errors, string name, string? value, string scheme1, string scheme2)
    {
        if (string.IsNullOrWhiteSpace(value)) { errors.Add($"{name} is empty: expected an absolute {scheme2}:// URL."); return; }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)) { errors.Add($"{name} '{value}' is not an absolute URL."); return; }
        if (uri.Scheme != scheme1 && uri.Scheme != scheme2) errors.Add($"{name} '{value}' must use {scheme1}:// or {scheme2}://, not {uri.Scheme}://.");
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)) errors.Add($"{name} '{value}' must not carry a query or fragment.");
    }
}
