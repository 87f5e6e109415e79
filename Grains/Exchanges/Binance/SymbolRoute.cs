using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// Per-symbol forwarding state: which connection currently speaks for the symbol, the last id forwarded
/// per event kind (for de-duplication), and the replacement connection's buffered events during a
/// make-before-break handover. Every publication for the symbol (stream events, snapshots, interruptions,
/// heartbeats) happens under <see cref="Gate"/>, which is what keeps one symbol's events in order across
/// connections and the REST path.
/// </summary>
internal sealed class SymbolRoute
{
    /// <summary>Above this many buffered events the handover is forced (the new connection simply takes over).</summary>
    internal const int MaxHandoverBuffer = 50_000;

    private const int DepthLane = 0, TradeLane = 1, AggTradeLane = 2, BookTickerLane = 3, TickerLane = 4, LaneCount = 5;

    private readonly long[] _lastForwarded = [-1, -1, -1, -1, -1];
    private readonly List<MarketEvent> _buffer = [];
    private bool _switchOnFirstEvent;
    private readonly IMarketEventSink _sink;
    private readonly FeedCounters _counters;
    private readonly TimeProvider _time;

    public SymbolRoute(string symbol, bool hasDepthStream, IMarketEventSink sink, FeedCounters counters, TimeProvider time)
    {
        Symbol = symbol;
        Instrument = new Instrument("binance", symbol);
        HasDepthStream = hasDepthStream;
        _sink = sink;
        _counters = counters;
        _time = time;
        LastPublishedTimestamp = time.GetTimestamp();
    }

    public object Gate { get; } = new();
    public string Symbol { get; }
    public Instrument Instrument { get; }
    public bool HasDepthStream { get; }

    /// <summary>The connection whose events are forwarded; null while disconnected.</summary>
    public BinanceConnection? Owner { get; private set; }
    /// <summary>The replacement connection during a handover (its events are buffered until it bridges).</summary>
    public BinanceConnection? Pending { get; private set; }
    /// <summary>A depth diff was forwarded since the symbol's connection was (re)established: a snapshot may be fetched.</summary>
    public bool DiffSinceConnect { get; private set; }
    public long LastPublishedTimestamp { get; private set; }

    /// <summary>Last forwarded trade price and 24 h ticker last price, with when they arrived (for the live price).</summary>
    public long LastTradePrice { get; private set; }
    public long LastTradeTimestamp { get; private set; }
    public long LastTickerPrice { get; private set; }
    public long LastTickerTimestamp { get; private set; }
    public long LastDepthUpdateId => _lastForwarded[DepthLane];

    /// <summary>Raised (under the gate) when the first diff after a (re)connect was forwarded.</summary>
    public Action<SymbolRoute>? FirstDiffForwarded { get; set; }
    /// <summary>Raised (under the gate) when the symbol switched to its replacement connection.</summary>
    public Action<SymbolRoute, BinanceConnection>? Switched { get; set; }

    /// <summary>A fresh connection (after a loss or at start) speaks for the symbol from now on. Caller holds the gate.</summary>
    public void Adopt(BinanceConnection connection)
    {
        Owner = connection;
        Pending = null;
        _switchOnFirstEvent = false;
        _buffer.Clear();
        DiffSinceConnect = false;
    }

    /// <summary>
    /// The owning connection stopped delivering (still open, being replaced): the book goes stale with the reason until
    /// the replacement's data proves it contiguous or it resyncs. Caller holds the gate.
    /// </summary>
    public void Interrupt(BinanceConnection connection, string reason, DateTime now)
    {
        if (Owner != connection) return;
        Publish(new FeedInterrupted { ReceivedAt = now, Reason = reason });
    }

    /// <summary>The owning connection was lost. Caller holds the gate.</summary>
    public void Disown(BinanceConnection connection, string reason, DateTime now)
    {
        if (Owner != connection) return;
        Owner = null;
        DiffSinceConnect = false;
        Publish(new FeedInterrupted { ReceivedAt = now, Reason = reason });
    }

    /// <summary>
    /// Starts buffering <paramref name="replacement"/>'s events until they bridge the old connection's. When the old
    /// connection went silent (<paramref name="oldIsSilent"/>) there is nothing to wait for: the symbol switches on the
    /// replacement's first event for it, and the book bridges if the data happens to continue, or sees the gap and
    /// resyncs. Caller holds the gate.
    /// </summary>
    public void BeginHandover(BinanceConnection old, BinanceConnection replacement, bool oldIsSilent = false)
    {
        if (Owner != old) return;
        Pending = replacement;
        _switchOnFirstEvent = oldIsSilent;
        _buffer.Clear();
    }

    /// <summary>
    /// Abandons a handover whose replacement connection failed. A symbol that had already switched to it goes back to
    /// <paramref name="active"/> (or to no connection), and its book is told the data was interrupted: what the lost
    /// replacement had not yet delivered is gone, so the book must prove the stream contiguous again or resync. Caller
    /// holds the gate.
    /// </summary>
    public void CancelHandover(BinanceConnection replacement, BinanceConnection? active, DateTime now)
    {
        if (Owner == replacement)
        {
            Owner = active;
            Pending = null;
            _switchOnFirstEvent = false;
            _buffer.Clear();
            DiffSinceConnect = false;
            Publish(new FeedInterrupted { ReceivedAt = now, Reason = "replacement connection lost during the handover" });
            return;
        }
        if (Pending != replacement) return;
        Pending = null;
        _switchOnFirstEvent = false;
        _counters.DuplicateDropped(_buffer.Count); // all of them will come (or came) from the old connection
        _buffer.Clear();
    }

    /// <summary>Routes one event received on <paramref name="connection"/>. Caller holds the gate.</summary>
    public void Route(BinanceConnection connection, MarketEvent marketEvent)
    {
        if (connection == Owner)
        {
            Forward(marketEvent);
            if (Pending is not null) TrySwitch(force: false);
        }
        else if (connection == Pending)
        {
            _buffer.Add(marketEvent);
            TrySwitch(force: _switchOnFirstEvent || _buffer.Count >= MaxHandoverBuffer);
        }
        else
        {
            // Late frames of a connection that no longer speaks for this symbol: already covered by its successor.
            _counters.DuplicateDropped();
        }
    }

    /// <summary>Ends the handover now (timeout, old connection lost): the replacement takes over. Caller holds the gate.</summary>
    public void ForceSwitch() => TrySwitch(force: true);

    /// <summary>Publishes an event that is not subject to de-duplication (snapshot, interruption, heartbeat). Caller holds the gate.</summary>
    public void Publish(MarketEvent marketEvent)
    {
        if (_sink.Publish(Instrument, marketEvent)) _counters.EventPublished();
        else _counters.MessageDropped();
        LastPublishedTimestamp = _time.GetTimestamp();
    }

    private void Forward(MarketEvent marketEvent)
    {
        var (lane, _, last) = Ids(marketEvent);
        if (lane >= 0)
        {
            var previous = _lastForwarded[lane];
            if (previous >= 0 && last <= previous)
            {
                // Already forwarded (overlap of two connections, or a replay after reconnect).
                _counters.DuplicateDropped();
                return;
            }
            _lastForwarded[lane] = last;
        }
        Publish(marketEvent);
        if (marketEvent is TradeEvent trade) { LastTradePrice = trade.Price; LastTradeTimestamp = _time.GetTimestamp(); }
        else if (marketEvent is TickerEvent ticker) { LastTickerPrice = ticker.LastPrice; LastTickerTimestamp = _time.GetTimestamp(); }
        if (lane == DepthLane && !DiffSinceConnect)
        {
            DiffSinceConnect = true;
            FirstDiffForwarded?.Invoke(this);
        }
    }

    private void TrySwitch(bool force)
    {
        var replacement = Pending;
        if (replacement is null) return;
        if (!force && !Bridged()) return;
        Owner = replacement;
        Pending = null;
        _switchOnFirstEvent = false;
        foreach (var e in _buffer) Forward(e);
        _buffer.Clear();
        Switched?.Invoke(this, replacement);
    }

    /// <summary>
    /// True when the replacement's buffered events continue what the old connection forwarded, so switching
    /// loses nothing: depth must bridge (some buffered diff has U &lt;= last u + 1), and every contiguous lane
    /// (trade ids, aggregate ids) with buffered events must reach back to the last forwarded id + 1.
    /// bookTicker and ticker are latest-state events and switch with depth.
    /// </summary>
    private bool Bridged()
    {
        Span<bool> seen = stackalloc bool[LaneCount];
        Span<bool> reaches = stackalloc bool[LaneCount];
        foreach (var e in _buffer)
        {
            var (lane, first, _) = Ids(e);
            if (lane < 0) continue;
            seen[lane] = true;
            var previous = _lastForwarded[lane];
            if (previous < 0 || first <= previous + 1) reaches[lane] = true;
        }
        if (HasDepthStream) { if (!reaches[DepthLane]) return false; }
        else if (!seen.Contains(true)) return false;
        if (seen[TradeLane] && !reaches[TradeLane]) return false;
        if (seen[AggTradeLane] && !reaches[AggTradeLane]) return false;
        return true;
    }

    /// <summary>The de-duplication lane of an event and its first and last ids in that lane.</summary>
    private static (int Lane, long First, long Last) Ids(MarketEvent e) => e switch
    {
        DepthDiff d => (DepthLane, d.FirstUpdateId, d.FinalUpdateId),
        TradeEvent { IsAggregate: true } t => (AggTradeLane, t.TradeId, t.TradeId),
        TradeEvent t => (TradeLane, t.TradeId, t.TradeId),
        BookTickerEvent b => (BookTickerLane, b.UpdateId, b.UpdateId),
        TickerEvent t => (TickerLane, t.EventTime, t.EventTime),
        _ => (-1, 0, 0),
    };
}
