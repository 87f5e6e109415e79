using MarketData.Domain.Books;
using MarketData.Exchanges.Binance;
using MarketData.LoadGeneration;
using MarketData.Streams;
using MarketData.Tests.Protocol;

namespace MarketData.Tests.LoadGeneration;

/// <summary>
/// Runs one <see cref="SymbolMarket"/> on a simulated clock, in process, and consumes its frames the way the live feed
/// does: every payload goes through the real <see cref="BinanceFrameParser"/> and depth diffs into an
/// <see cref="OrderBookSynchronizer"/> seeded with the market's snapshot. Deterministic and fast: minutes of market in
/// milliseconds.
/// </summary>
internal sealed class SimulatedMarket : IFrameSink
{
    public const double StartMs = 1_772_323_200_000; // 2026-03-01 00:00:00 UTC

    private readonly BinanceFrameParser _parser = new();
    private readonly FrameWriter _writer = new();
    private readonly DepthSnapshot _snapshot;
    private bool _snapshotApplied;
    private double _now = StartMs;
    private double _worstSlip;

    public SimulatedMarket(int rank, int seed = 1, double rateScale = 1, int maxLevelsPerSide = 1000, LoadProfile? profile = null)
    {
        Profile = profile ?? LoadProfile.Default;
        Market = new SymbolMarket(LoadServerOptions.SymbolOf(rank), rank, Profile, rateScale, seed, StartMs, (long)StartMs, maxLevelsPerSide);
        var book = Market.Book(1000);
        _snapshot = new DepthSnapshot { LastUpdateId = book.LastUpdateId, Bids = book.Bids, Asks = book.Asks, Limit = 1000, ReceivedAt = DateTime.UnixEpoch };
    }

    public LoadProfile Profile { get; }
    public SymbolMarket Market { get; }
    public string Symbol => Market.Symbol;
    public OrderBookSynchronizer Book { get; } = new();
    public List<MarketEvent> Events { get; } = [];
    public List<TopAt> Tops { get; } = [];
    public Dictionary<StreamKind, int> Counts { get; } = StreamKinds.All.ToDictionary(k => k, _ => 0);
    public List<int> LevelsPerFrame { get; } = [];
    public List<byte[]> Raw { get; } = [];
    public bool KeepRaw { get; set; }
    public bool KeepEvents { get; set; } = true;
    public double Seconds => (_now - StartMs) / 1000;

    /// <summary>Advances the simulated clock by <paramref name="seconds"/> in scheduler-like steps.</summary>
    public void Run(double seconds, double stepMs = 10)
    {
        var end = _now + seconds * 1000;
        while (_now < end)
        {
            _now = Math.Min(end, _now + stepMs);
            Market.Advance(_now, (long)_now, _writer, this, ref _worstSlip);
        }
    }

    /// <summary>Sends the pending diff, so the client book stands at the market's last update id.</summary>
    public void Flush() => Market.Flush((long)_now, _writer, this);

    public bool Wants(StreamKind kind) => true;

    public void Write(StreamKind kind, ReadOnlySpan<byte> payload)
    {
        Counts[kind]++;
        if (KeepRaw) Raw.Add(payload.ToArray());
        var parsed = _parser.Parse(payload);
        var expected = kind switch
        {
            StreamKind.Depth => BinanceFrameKind.DepthUpdate,
            StreamKind.Trade => BinanceFrameKind.Trade,
            StreamKind.AggTrade => BinanceFrameKind.AggTrade,
            StreamKind.BookTicker => BinanceFrameKind.BookTicker,
            StreamKind.Ticker => BinanceFrameKind.Ticker,
            _ => BinanceFrameKind.Kline,
        };
        Assert.True(parsed == expected, $"{kind} frame parsed as {parsed} ({_parser.Error}): {System.Text.Encoding.UTF8.GetString(payload)}");
        Assert.Equal(Symbol, _parser.Symbol);
        if (parsed == BinanceFrameKind.DepthUpdate) LevelsPerFrame.Add(_parser.Bids.Length + _parser.Asks.Length);
        if (!KeepEvents && parsed != BinanceFrameKind.DepthUpdate) return;
        var marketEvent = _parser.ToEvent(DateTime.UnixEpoch.AddMilliseconds(_now));
        if (KeepEvents) Events.Add(marketEvent);
        if (marketEvent is DepthDiff diff)
        {
            Book.OnDiff(diff);
            if (!_snapshotApplied)
            {
                Book.OnSnapshot(_snapshot);
                _snapshotApplied = true;
            }
            if (BinanceStreamChecks.TopOf(Book) is { } top) Tops.Add(top);
        }
    }
}
