using System.Text;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.LoadGeneration;

/// <summary>
/// A synthetic Binance spot market for one symbol: an L2 book on a tick grid around a drifting mid that never crosses,
/// trades against its best levels, and the frames Binance would send for it (depthUpdate, trade, aggTrade, bookTicker,
/// 24hrTicker, kline_1s/1m/1h/1d), serialised straight to UTF-8.
/// <para>
/// How the book moves, and why the streams stay mutually consistent:
/// <list type="bullet">
/// <item>Top-of-book changes (best quantity changed, best level removed, a level placed inside the spread) and taker
/// orders (which consume the best level) happen as Poisson events. Each takes a new update id and sends a bookTicker
/// with u = that id and the true best bid and ask. Nothing else ever changes the top, so for every depth frame the
/// latest bookTicker with u ≤ the frame's u equals the book's best after that frame.</item>
/// <item>Depth frames go out on a 100 ms grid (depth@100ms) when the book changed during the slot; they carry every level
/// touched since the previous frame (each level once, with its final quantity) plus further changes away from the
/// touch, so that the level count follows the measured distribution (<see cref="LoadProfile.LevelsPerFrame"/>).
/// U = previous u + 1; u − U + 1 follows the measured update ids per level.</item>
/// <item>The book lives in a ring of tick slots around a window centre; when the mid wanders away the window follows and
/// levels leaving it are removed through the next diff, so memory is fixed.</item>
/// <item>Trades update the current candle of every kline interval and the ticker statistics, so klines and tickers agree
/// with the trade stream.</item>
/// </list>
/// Not thread-safe: the server serialises access per market (the scheduler and REST snapshots share a lock).
/// </para>
/// </summary>
public sealed class SymbolMarket
{
    /// <summary>Occupancy of the book's tick slots at equilibrium (the window is target / occupancy ticks a side).</summary>
    private const double Occupancy = 0.6;
    /// <summary>The window re-centres when the mid is further than this from its centre.</summary>
    private const int RecentreTicks = 16;
    /// <summary>Poisson events more than this late are skipped rather than replayed in a burst.</summary>
    private const double CatchUpLimitMs = 1000;
    private const double DepthSlotMs = 100;
    private static readonly double MinLotsLog = Math.Log(10);

    private static readonly long[] KlineIntervalsMs = [1_000, 60_000, 3_600_000, 86_400_000];
    private static readonly byte[][] KlineNames = ["1s"u8.ToArray(), "1m"u8.ToArray(), "1h"u8.ToArray(), "1d"u8.ToArray()];

    private readonly LoadProfile _profile;
    private readonly byte[] _symbolUtf8;
    private Rng _rng;

    // ---- book -------------------------------------------------------------------------------------------------
    private readonly long _tick;          // fixed point
    private readonly long _lot;           // fixed point
    private readonly int _maxLots;
    private readonly int[] _lots;         // quantity in lots per slot, 0 = empty; slot = index & _mask
    private readonly int[] _bidStamp;     // frame number in which a bid change at this slot is pending
    private readonly int[] _askStamp;
    private readonly int _mask;
    private readonly int _halfWidth;      // slots a side of the window
    private readonly int _targetLevels;
    private readonly int _maxLevels;
    private long _centre;
    private long _bestBid, _bestAsk;      // absolute tick indices
    private int _bidCount, _askCount;
    private int _frameNo = 1;
    private long[] _pendingBids = new long[64];
    private long[] _pendingAsks = new long[64];
    private int _pendingBidCount, _pendingAskCount;
    private bool _dirty;
    private long _lastFrameU;
    private readonly double _idsPerLevel;

    // ---- trades, ticker, klines ---------------------------------------------------------------------------------
    private long _tradeId, _aggTradeId, _firstTradeId;
    private long _lastPrice, _lastQuantity, _openPrice, _highPrice, _lowPrice, _volume, _quoteVolume;
    private readonly LiveCandle[] _candles = new LiveCandle[4];
    private readonly LiveCandle[] _closed = new LiveCandle[4];
    private readonly bool[] _hasClosed = new bool[4];
    private readonly double _tradesPerOrder;

    // ---- schedule (ms on the caller's clock) ---------------------------------------------------------------------
    private readonly double _topRate, _takerRate, _activityRate;
    private double _nextTop, _nextTaker, _nextActivity, _nextDepthSlot, _nextTicker, _nextKline1s, _nextKlineOther;

    public SymbolMarket(string symbol, int rank, LoadProfile profile, double rateScale, int seed, double startMs, long startUnixMs, int maxLevelsPerSide = 1000)
    {
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rateScale);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLevelsPerSide, 2);
        Symbol = symbol;
        Rank = rank;
        _profile = profile;
        _symbolUtf8 = Encoding.ASCII.GetBytes(symbol);
        _rng = new Rng((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)rank * 0xD1B54A32D192ED03UL);

        // Prices: BTC and ETH near their recorded levels; other symbols spread over 0.001-9999 with a tick of
        // 1e-4 to 1e-5 of the price (Binance's usual tick sizes), and a lot worth a few cents to a few dollars.
        long mid;
        int decade;
        switch (rank)
        {
            case 1: mid = 60_000 * FixedPoint.Scale; _tick = FixedPoint.Scale / 100; _lot = FixedPoint.Scale / 100_000; decade = 4; break;
            case 2: mid = 2_600 * FixedPoint.Scale; _tick = FixedPoint.Scale / 100; _lot = FixedPoint.Scale / 10_000; decade = 3; break;
            default:
                decade = _rng.Next(7) - 3;                                     // price in [10^d, 10^(d+1))
                _tick = Pow10(FixedPoint.Decimals + decade - 4);               // 10^(d-4)
                _lot = Pow10(Math.Max(0, FixedPoint.Decimals - decade - 2));   // about 0.01-0.1 quote units a lot
                mid = Pow10(FixedPoint.Decimals + decade) * (1 + _rng.Next(9)) + _rng.Next(1000) * _tick;
                break;
        }
        _maxLots = 50_000;

        _maxLevels = maxLevelsPerSide;
        _targetLevels = Math.Min(profile.BookLevelsPerSide(rank), maxLevelsPerSide);
        _halfWidth = (int)Math.Ceiling(_targetLevels / Occupancy) + RecentreTicks;
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * _halfWidth + 2));
        _mask = size - 1;
        _lots = new int[size];
        _bidStamp = new int[size];
        _askStamp = new int[size];

        _centre = mid / _tick;
        _bestBid = _centre - 1;
        _bestAsk = _centre;
        _lots[Slot(_bestBid)] = Lots();
        _lots[Slot(_bestAsk)] = Lots();
        _bidCount = _askCount = 1;
        for (var i = 2; i <= _halfWidth; i++)
        {
            if (_bidCount < _targetLevels && _rng.NextDouble() < Occupancy) { _lots[Slot(_centre - i)] = Lots(); _bidCount++; }
            if (_askCount < _targetLevels && _rng.NextDouble() < Occupancy) { _lots[Slot(_centre + i - 1)] = Lots(); _askCount++; }
        }

        LastUpdateId = 1_000_000_000L + (long)(_rng.NextUInt64() % 1_000_000_000UL);
        _lastFrameU = LastUpdateId;
        _idsPerLevel = profile.UpdateIdsPerLevel(rank);

        _tradeId = 100_000_000L + (long)(_rng.NextUInt64() % 100_000_000UL);
        _firstTradeId = _tradeId + 1;
        _aggTradeId = 50_000_000L + (long)(_rng.NextUInt64() % 50_000_000UL);
        _lastPrice = _openPrice = _highPrice = _lowPrice = _bestBid * _tick;
        InitialPrice = _openPrice;
        for (var i = 0; i < 4; i++) _candles[i] = LiveCandle.Empty(Floor(startUnixMs, KlineIntervalsMs[i]), _lastPrice);

        // Taker orders and the other top-of-book changes together make the bookTicker rate.
        _takerRate = profile.AggTradesPerSecond(rank, rateScale);
        _topRate = Math.Max(0, profile.BookTickerPerSecond(rank, rateScale) - _takerRate);
        _activityRate = profile.DepthActivityPerSecond(rank, rateScale);
        _tradesPerOrder = Math.Max(1, profile.TradesPerSecond(rank, rateScale) / Math.Max(1e-9, _takerRate));

        _nextTop = startMs + _rng.ExponentialMs(_topRate);
        _nextTaker = startMs + _rng.ExponentialMs(_takerRate);
        _nextActivity = startMs + _rng.ExponentialMs(_activityRate);
        _nextDepthSlot = startMs + _rng.NextDouble() * DepthSlotMs;
        // Periodic pushes spread over the second so all symbols do not fire at once.
        var phase = _rng.NextDouble() * 1000;
        _nextTicker = startMs + phase;
        _nextKline1s = startMs + (phase + 500) % 1000;
        _nextKlineOther = startMs + _rng.NextDouble() * 2000;
    }

    public string Symbol { get; }
    public int Rank { get; }
    public long LastUpdateId { get; private set; }
    public long TickSize => _tick;
    public long LotSize => _lot;
    public int BidCount => _bidCount;
    public int AskCount => _askCount;
    public long LastTradeId => _tradeId;
    public long LastAggTradeId => _aggTradeId;
    /// <summary>The price the market started at (immutable: REST history is drawn around it).</summary>
    public long InitialPrice { get; }
    /// <summary>Last trade price (the initial best bid before any trade).</summary>
    public long LastPrice => _lastPrice;

    public PriceLevel BestBid => new(_bestBid * _tick, _lots[Slot(_bestBid)] * _lot);
    public PriceLevel BestAsk => new(_bestAsk * _tick, _lots[Slot(_bestAsk)] * _lot);

    /// <summary>When the next event of this market is due (ms on the caller's clock).</summary>
    public double NextDueMs => Math.Min(Math.Min(Math.Min(_nextTop, _nextTaker), Math.Min(_nextActivity, _nextDepthSlot)),
                                        Math.Min(Math.Min(_nextTicker, _nextKline1s), _nextKlineOther));

    /// <summary>Moves every due time <paramref name="ms"/> later (after a pause, so nothing is replayed in a burst).</summary>
    public void Shift(double ms)
    {
        _nextTop += ms; _nextTaker += ms; _nextActivity += ms; _nextDepthSlot += ms;
        _nextTicker += ms; _nextKline1s += ms; _nextKlineOther += ms;
    }

    /// <summary>
    /// Runs every event due at or before <paramref name="nowMs"/>, writing frames to <paramref name="sink"/> with
    /// event time <paramref name="eventTimeMs"/> (Unix ms, the moment of serialisation). Returns the frames written;
    /// <paramref name="worstSlipMs"/> is raised to the latest an event ran after its due time.
    /// </summary>
    public int Advance(double nowMs, long eventTimeMs, FrameWriter writer, IFrameSink sink, ref double worstSlipMs)
    {
        var frames = 0;
        while (true)
        {
            var due = NextDueMs;
            if (due > nowMs) break;
            var slip = nowMs - due;
            if (slip > worstSlipMs) worstSlipMs = slip;

            if (due == _nextTaker)
            {
                frames += TakerOrder(eventTimeMs, writer, sink);
                _nextTaker = NextPoisson(_nextTaker, _takerRate, nowMs);
            }
            else if (due == _nextTop)
            {
                TopChange();
                frames += WriteBookTicker(writer, sink);
                _nextTop = NextPoisson(_nextTop, _topRate, nowMs);
            }
            else if (due == _nextActivity)
            {
                _dirty = true;
                _nextActivity = NextPoisson(_nextActivity, _activityRate, nowMs);
            }
            else if (due == _nextDepthSlot)
            {
                if (_dirty) frames += DepthFrame(eventTimeMs, writer, sink);
                _nextDepthSlot = NextPeriodic(_nextDepthSlot, DepthSlotMs, nowMs);
            }
            else if (due == _nextTicker)
            {
                frames += WriteTicker(eventTimeMs, writer, sink);
                _nextTicker = NextPeriodic(_nextTicker, 1000, nowMs);
            }
            else if (due == _nextKline1s)
            {
                frames += PushKline(0, eventTimeMs, writer, sink);
                _nextKline1s = NextPeriodic(_nextKline1s, 1000, nowMs);
            }
            else
            {
                for (var i = 1; i < 4; i++) frames += PushKline(i, eventTimeMs, writer, sink);
                _nextKlineOther = NextPeriodic(_nextKlineOther, 2000, nowMs);
            }
        }
        return frames;
    }

    /// <summary>
    /// Sends the pending depth diff now, if the book changed since the last one (used when generation pauses, so the
    /// last diff sent leaves clients at the book's current update id).
    /// </summary>
    public int Flush(long eventTimeMs, FrameWriter writer, IFrameSink sink) => _dirty ? DepthFrame(eventTimeMs, writer, sink) : 0;

    private double NextPoisson(double previous, double rate, double nowMs)
    {
        var next = previous + _rng.ExponentialMs(rate);
        return nowMs - next > CatchUpLimitMs ? nowMs + _rng.ExponentialMs(rate) : next;
    }

    /// <summary>Missed pushes of a fixed cadence are skipped: one push, then back on the grid.</summary>
    private static double NextPeriodic(double previous, double period, double nowMs)
    {
        var next = previous + period;
        if (next <= nowMs) next += Math.Ceiling((nowMs - next) / period + 1e-9) * period;
        return next;
    }

    // ================================================================ book mechanics

    private int Slot(long index) => (int)(index & _mask);

    /// <summary>Every level lies in the window; a pending index that left it (re-centring) reads as removed, not as its ring alias.</summary>
    private bool InWindow(long index) => index >= _centre - _halfWidth && index < _centre + _halfWidth;

    private int Lots()
    {
        // Heavy-tailed sizes from 10 lots up: many small levels, a few large ones.
        var u = _rng.NextDouble();
        return (int)Math.Exp(MinLotsLog + u * u * (Math.Log(_maxLots) - MinLotsLog));
    }

    private int OtherLots(int old)
    {
        var lots = Lots();
        return lots == old ? (old == 1 ? 2 : old - 1) : lots;
    }

    private void MarkBid(long index)
    {
        var slot = Slot(index);
        if (_bidStamp[slot] == _frameNo) return;
        _bidStamp[slot] = _frameNo;
        if (_pendingBidCount == _pendingBids.Length) Array.Resize(ref _pendingBids, _pendingBids.Length * 2);
        _pendingBids[_pendingBidCount++] = index;
    }

    private void MarkAsk(long index)
    {
        var slot = Slot(index);
        if (_askStamp[slot] == _frameNo) return;
        _askStamp[slot] = _frameNo;
        if (_pendingAskCount == _pendingAsks.Length) Array.Resize(ref _pendingAsks, _pendingAsks.Length * 2);
        _pendingAsks[_pendingAskCount++] = index;
    }

    private long NextBidBelow(long index)
    {
        var floor = _centre - _halfWidth;
        for (var i = index - 1; i >= floor; i--) if (_lots[Slot(i)] != 0) return i;
        throw new InvalidOperationException($"{Symbol}: no bid below {index}");
    }

    private long NextAskAbove(long index)
    {
        var ceiling = _centre + _halfWidth;
        for (var i = index + 1; i < ceiling; i++) if (_lots[Slot(i)] != 0) return i;
        throw new InvalidOperationException($"{Symbol}: no ask above {index}");
    }

    /// <summary>One change of the best bid or ask: its quantity, its removal, or a new level inside the spread.</summary>
    private void TopChange()
    {
        var bid = _rng.NextBool();
        var r = _rng.NextDouble();
        var count = bid ? _bidCount : _askCount;
        if (r >= 0.75 && _bestAsk - _bestBid > 1 && count < _maxLevels)
        {
            // A new best inside the spread (the spread narrows; the mid moves).
            var index = _bestBid + 1 + _rng.Next((int)Math.Min(int.MaxValue, _bestAsk - _bestBid - 1));
            _lots[Slot(index)] = Lots();
            if (bid) { _bestBid = index; _bidCount++; MarkBid(index); }
            else { _bestAsk = index; _askCount++; MarkAsk(index); }
        }
        else if (r >= 0.5 && r < 0.75 && count > 1)
        {
            // The best level goes (the spread widens; the mid moves).
            if (bid) { var old = _bestBid; _lots[Slot(old)] = 0; _bidCount--; _bestBid = NextBidBelow(old); MarkBid(old); }
            else { var old = _bestAsk; _lots[Slot(old)] = 0; _askCount--; _bestAsk = NextAskAbove(old); MarkAsk(old); }
        }
        else
        {
            var index = bid ? _bestBid : _bestAsk;
            var slot = Slot(index);
            _lots[slot] = OtherLots(_lots[slot]);
            if (bid) MarkBid(index); else MarkAsk(index);
        }
        LastUpdateId++;
        _dirty = true;
        Recentre();
    }

    /// <summary>Keeps the window around the mid; levels that fall out of it are removed through the next diff.</summary>
    private void Recentre()
    {
        var mid = (_bestBid + _bestAsk) / 2;
        if (Math.Abs(mid - _centre) <= RecentreTicks) return;
        var newCentre = mid;
        if (newCentre > _centre)
        {
            // Bids below newCentre − halfWidth leave the window; never the best one.
            if (_bestBid < newCentre - _halfWidth) return;
            for (var i = _centre - _halfWidth; i < newCentre - _halfWidth; i++)
            {
                var slot = Slot(i);
                if (_lots[slot] == 0) continue;
                _lots[slot] = 0;
                _bidCount--;
                MarkBid(i);
            }
        }
        else
        {
            if (_bestAsk >= newCentre + _halfWidth) return;
            for (var i = newCentre + _halfWidth; i < _centre + _halfWidth; i++)
            {
                var slot = Slot(i);
                if (_lots[slot] == 0) continue;
                _lots[slot] = 0;
                _askCount--;
                MarkAsk(i);
            }
        }
        _centre = newCentre;
    }

    /// <summary>A change away from the touch (never the best level): insert, modify or remove, keeping the book near its target size.</summary>
    private bool DeepChange()
    {
        var bid = _rng.NextBool();
        var span = bid ? _bestBid - (_centre - _halfWidth) : _centre + _halfWidth - 1 - _bestAsk;
        if (span < 1) return false;
        // Changes cluster near the touch but reach deep into the book (recorded median: 2,651 ticks from the best
        // for BTCUSDT, 153 for ETHUSDT): a cubic skew of a uniform draw.
        var u = _rng.NextDouble();
        var offset = 1 + (long)((span - 1) * u * u * u);
        var index = bid ? _bestBid - offset : _bestAsk + offset;
        var slot = Slot(index);
        if ((bid ? _bidStamp[slot] : _askStamp[slot]) == _frameNo) return false;
        var lots = _lots[slot];
        var count = bid ? _bidCount : _askCount;
        if (lots == 0)
        {
            if (count >= _maxLevels) return false;
            _lots[slot] = Lots();
            if (bid) _bidCount++; else _askCount++;
        }
        else
        {
            // At the target size, removals balance inserts at the book's occupancy: p = (1 − ρ) / ρ, steered by the size.
            var ratio = (double)count / _targetLevels;
            var removeProbability = Math.Min(0.95, (1 - Occupancy) / Occupancy * ratio * ratio * ratio * ratio);
            if (count > 1 && _rng.NextDouble() < removeProbability)
            {
                _lots[slot] = 0;
                if (bid) _bidCount--; else _askCount--;
            }
            else
            {
                _lots[slot] = OtherLots(lots);
            }
        }
        if (bid) MarkBid(index); else MarkAsk(index);
        return true;
    }

    // ================================================================ frames

    private int DepthFrame(long eventTimeMs, FrameWriter writer, IFrameSink sink)
    {
        var wanted = _profile.LevelsPerFrame(Rank, _rng.NextDouble());
        var deep = 0;
        var attempts = 0;
        while (_pendingBidCount + _pendingAskCount < wanted && attempts++ < 4 * wanted + 16)
            if (DeepChange()) deep++;
        if (_pendingBidCount + _pendingAskCount == 0)
        {
            // A frame always carries a change; with a full book, change a quantity deeper down.
            var tries = 0;
            while (!DeepChange())
                if (++tries > 100_000) throw new InvalidOperationException($"{Symbol}: no level can change (book {_bidCount}/{_askCount})");
            deep++;
        }
        var levels = _pendingBidCount + _pendingAskCount;
        // Several updates of one level between frames merge into one entry, so ids outrun levels (measured ratio).
        var extraIds = (long)Math.Round(levels * (_idsPerLevel - 1) * 2 * _rng.NextDouble());
        LastUpdateId += deep + extraIds;
        var first = _lastFrameU + 1;
        var final = LastUpdateId;
        _lastFrameU = final;

        var written = 0;
        if (sink.Wants(StreamKind.Depth))
        {
            // Binance lists bids from the highest price, asks from the lowest.
            var bids = _pendingBids.AsSpan(0, _pendingBidCount);
            var asks = _pendingAsks.AsSpan(0, _pendingAskCount);
            bids.Sort(static (a, b) => b.CompareTo(a));
            asks.Sort();
            writer.Clear();
            writer.Raw("{\"e\":\"depthUpdate\",\"E\":"u8);
            writer.Integer(eventTimeMs);
            writer.Raw(",\"s\":"u8);
            writer.Quoted(_symbolUtf8);
            writer.Raw(",\"U\":"u8);
            writer.Integer(first);
            writer.Raw(",\"u\":"u8);
            writer.Integer(final);
            writer.Raw(",\"b\":["u8);
            for (var i = 0; i < bids.Length; i++)
            {
                if (i > 0) writer.Byte((byte)',');
                var index = bids[i];
                var lots = index <= _bestBid && InWindow(index) ? _lots[Slot(index)] : 0; // a slot now on the ask side is no bid
                WriteLevel(writer, index * _tick, lots * _lot);
            }
            writer.Raw("],\"a\":["u8);
            for (var i = 0; i < asks.Length; i++)
            {
                if (i > 0) writer.Byte((byte)',');
                var index = asks[i];
                var lots = index >= _bestAsk && InWindow(index) ? _lots[Slot(index)] : 0;
                WriteLevel(writer, index * _tick, lots * _lot);
            }
            writer.Raw("]}"u8);
            sink.Write(StreamKind.Depth, writer.Written);
            written = 1;
        }
        _pendingBidCount = _pendingAskCount = 0;
        _frameNo++;
        _dirty = false;
        return written;
    }

    private static void WriteLevel(FrameWriter writer, long price, long quantity)
    {
        writer.Byte((byte)'[');
        writer.QuotedDecimal(price);
        writer.Byte((byte)',');
        writer.QuotedDecimal(quantity);
        writer.Byte((byte)']');
    }

    /// <summary>The best bid and ask with their quantities, as bookTicker and 24hrTicker both carry them: <c>,"b":..,"B":..,"a":..,"A":..</c>.</summary>
    private void WriteTopOfBook(FrameWriter writer)
    {
        writer.Raw(",\"b\":"u8);
        writer.QuotedDecimal(_bestBid * _tick);
        writer.Raw(",\"B\":"u8);
        writer.QuotedDecimal(_lots[Slot(_bestBid)] * _lot);
        writer.Raw(",\"a\":"u8);
        writer.QuotedDecimal(_bestAsk * _tick);
        writer.Raw(",\"A\":"u8);
        writer.QuotedDecimal(_lots[Slot(_bestAsk)] * _lot);
    }

    private int WriteBookTicker(FrameWriter writer, IFrameSink sink)
    {
        if (!sink.Wants(StreamKind.BookTicker)) return 0;
        writer.Clear();
        writer.Raw("{\"u\":"u8);
        writer.Integer(LastUpdateId);
        writer.Raw(",\"s\":"u8);
        writer.Quoted(_symbolUtf8);
        WriteTopOfBook(writer);
        writer.Byte((byte)'}');
        sink.Write(StreamKind.BookTicker, writer.Written);
        return 1;
    }

    /// <summary>
    /// A taker order against the best level: one aggTrade of one or more trades at that price (consecutive trade ids),
    /// the level shrinks or goes, and the top change sends a bookTicker.
    /// </summary>
    private int TakerOrder(long eventTimeMs, FrameWriter writer, IFrameSink sink)
    {
        var buyerIsMaker = _rng.NextBool(); // true: the taker sold into the best bid
        var index = buyerIsMaker ? _bestBid : _bestAsk;
        var slot = Slot(index);
        var levelLots = _lots[slot];
        var sideCount = buyerIsMaker ? _bidCount : _askCount;
        var maxTake = sideCount == 1 ? levelLots - 1 : levelLots;
        if (maxTake < 1) return 0;
        var trades = 1;
        var continueProbability = 1 - 1 / _tradesPerOrder; // geometric count with the profile's mean
        while (_rng.NextDouble() < continueProbability) trades++;
        var u = _rng.NextDouble();
        var take = _rng.NextDouble() < 0.2 ? maxTake : Math.Min(maxTake, Math.Max(trades, 1 + (int)(u * u * maxTake)));
        trades = Math.Min(trades, take); // each trade is at least one lot

        var price = index * _tick;
        var frames = 0;
        var firstTrade = _tradeId + 1;
        var remaining = take;
        var wantTrade = sink.Wants(StreamKind.Trade);
        for (var t = 0; t < trades; t++)
        {
            var left = trades - t - 1;
            var lots = left == 0 ? remaining : 1 + (int)((remaining - left - 1) * _rng.NextDouble() * 0.7);
            remaining -= lots;
            _tradeId++;
            var quantity = lots * _lot;
            RecordTrade(price, quantity, !buyerIsMaker, eventTimeMs);
            if (wantTrade)
            {
                writer.Clear();
                writer.Raw("{\"e\":\"trade\",\"E\":"u8);
                writer.Integer(eventTimeMs);
                writer.Raw(",\"s\":"u8);
                writer.Quoted(_symbolUtf8);
                writer.Raw(",\"t\":"u8);
                writer.Integer(_tradeId);
                writer.Raw(",\"p\":"u8);
                writer.QuotedDecimal(price);
                writer.Raw(",\"q\":"u8);
                writer.QuotedDecimal(quantity);
                writer.Raw(",\"T\":"u8);
                writer.Integer(eventTimeMs);
                writer.Raw(",\"m\":"u8);
                writer.Bool(buyerIsMaker);
                writer.Raw(",\"M\":true}"u8);
                sink.Write(StreamKind.Trade, writer.Written);
                frames++;
            }
        }
        _aggTradeId++;
        if (sink.Wants(StreamKind.AggTrade))
        {
            writer.Clear();
            writer.Raw("{\"e\":\"aggTrade\",\"E\":"u8);
            writer.Integer(eventTimeMs);
            writer.Raw(",\"s\":"u8);
            writer.Quoted(_symbolUtf8);
            writer.Raw(",\"a\":"u8);
            writer.Integer(_aggTradeId);
            writer.Raw(",\"p\":"u8);
            writer.QuotedDecimal(price);
            writer.Raw(",\"q\":"u8);
            writer.QuotedDecimal(take * _lot);
            writer.Raw(",\"f\":"u8);
            writer.Integer(firstTrade);
            writer.Raw(",\"l\":"u8);
            writer.Integer(_tradeId);
            writer.Raw(",\"T\":"u8);
            writer.Integer(eventTimeMs);
            writer.Raw(",\"m\":"u8);
            writer.Bool(buyerIsMaker);
            writer.Raw(",\"M\":true}"u8);
            sink.Write(StreamKind.AggTrade, writer.Written);
            frames++;
        }

        // The maker level shrinks or goes.
        _lots[slot] = levelLots - take;
        if (_lots[slot] == 0)
        {
            if (buyerIsMaker) { _bidCount--; _bestBid = NextBidBelow(index); }
            else { _askCount--; _bestAsk = NextAskAbove(index); }
        }
        if (buyerIsMaker) MarkBid(index); else MarkAsk(index);
        LastUpdateId++;
        _dirty = true;
        Recentre();
        return frames + WriteBookTicker(writer, sink);
    }

    private void RecordTrade(long price, long quantity, bool takerBought, long timeMs)
    {
        var quote = QuoteOf(price, quantity);
        _lastPrice = price;
        _lastQuantity = quantity;
        _volume += quantity;
        _quoteVolume += quote;
        if (price > _highPrice) _highPrice = price;
        if (price < _lowPrice) _lowPrice = price;
        for (var i = 0; i < 4; i++)
        {
            Roll(i, timeMs);
            _candles[i].Add(price, quantity, quote, takerBought, _tradeId);
        }
    }

    private static long QuoteOf(long price, long quantity) => (long)((Int128)price * quantity / FixedPoint.Scale);

    private int WriteTicker(long eventTimeMs, FrameWriter writer, IFrameSink sink)
    {
        if (!sink.Wants(StreamKind.Ticker)) return 0;
        var change = _lastPrice - _openPrice;
        // Percent with 3 decimals, in fixed point.
        var percent = (long)((Int128)change * 100 * FixedPoint.Scale / _openPrice);
        var average = _volume > 0 ? (long)((Int128)_quoteVolume * FixedPoint.Scale / _volume) : _openPrice;
        writer.Clear();
        writer.Raw("{\"e\":\"24hrTicker\",\"E\":"u8);
        writer.Integer(eventTimeMs);
        writer.Raw(",\"s\":"u8);
        writer.Quoted(_symbolUtf8);
        writer.Raw(",\"p\":\""u8);
        writer.Decimal(change, FixedPoint.Decimals);
        writer.Raw("\",\"P\":\""u8);
        writer.Decimal(percent, 3);
        writer.Raw("\",\"w\":"u8);
        writer.QuotedDecimal(average);
        writer.Raw(",\"x\":"u8);
        writer.QuotedDecimal(_openPrice);
        writer.Raw(",\"c\":"u8);
        writer.QuotedDecimal(_lastPrice);
        writer.Raw(",\"Q\":"u8);
        writer.QuotedDecimal(_lastQuantity);
        WriteTopOfBook(writer);
        writer.Raw(",\"o\":"u8);
        writer.QuotedDecimal(_openPrice);
        writer.Raw(",\"h\":"u8);
        writer.QuotedDecimal(_highPrice);
        writer.Raw(",\"l\":"u8);
        writer.QuotedDecimal(_lowPrice);
        writer.Raw(",\"v\":"u8);
        writer.QuotedDecimal(_volume);
        writer.Raw(",\"q\":"u8);
        writer.QuotedDecimal(_quoteVolume);
        writer.Raw(",\"O\":"u8);
        writer.Integer(eventTimeMs - 86_400_000);
        writer.Raw(",\"C\":"u8);
        writer.Integer(eventTimeMs);
        writer.Raw(",\"F\":"u8);
        writer.Integer(_firstTradeId);
        writer.Raw(",\"L\":"u8);
        writer.Integer(_tradeId);
        writer.Raw(",\"n\":"u8);
        writer.Integer(_tradeId - _firstTradeId + 1);
        writer.Byte((byte)'}');
        sink.Write(StreamKind.Ticker, writer.Written);
        return 1;
    }

    // ================================================================ klines

    private static long Floor(long t, long interval) => t - (((t % interval) + interval) % interval);

    /// <summary>Starts a new candle when <paramref name="timeMs"/> is past the current one; the finished one waits for its final push.</summary>
    private void Roll(int i, long timeMs)
    {
        var interval = KlineIntervalsMs[i];
        if (timeMs < _candles[i].OpenTime + interval) return;
        _closed[i] = _candles[i];
        _hasClosed[i] = true;
        _candles[i] = LiveCandle.Empty(Floor(timeMs, interval), _lastPrice);
    }

    /// <summary>One kline push: the finished candle with x = true if one is waiting, else the current one so far.</summary>
    private int PushKline(int i, long eventTimeMs, FrameWriter writer, IFrameSink sink)
    {
        Roll(i, eventTimeMs);
        var closed = _hasClosed[i];
        var candle = closed ? _closed[i] : _candles[i];
        _hasClosed[i] = false;
        var kind = (StreamKind)((int)StreamKind.Kline1s + i);
        if (!sink.Wants(kind)) return 0;
        writer.Clear();
        writer.Raw("{\"e\":\"kline\",\"E\":"u8);
        writer.Integer(eventTimeMs);
        writer.Raw(",\"s\":"u8);
        writer.Quoted(_symbolUtf8);
        writer.Raw(",\"k\":{\"t\":"u8);
        writer.Integer(candle.OpenTime);
        writer.Raw(",\"T\":"u8);
        writer.Integer(candle.OpenTime + KlineIntervalsMs[i] - 1);
        writer.Raw(",\"s\":"u8);
        writer.Quoted(_symbolUtf8);
        writer.Raw(",\"i\":"u8);
        writer.Quoted(KlineNames[i]);
        writer.Raw(",\"f\":"u8);
        writer.Integer(candle.Count == 0 ? -1 : candle.FirstTradeId);
        writer.Raw(",\"L\":"u8);
        writer.Integer(candle.Count == 0 ? -1 : candle.LastTradeId);
        writer.Raw(",\"o\":"u8);
        writer.QuotedDecimal(candle.Open);
        writer.Raw(",\"c\":"u8);
        writer.QuotedDecimal(candle.Close);
        writer.Raw(",\"h\":"u8);
        writer.QuotedDecimal(candle.High);
        writer.Raw(",\"l\":"u8);
        writer.QuotedDecimal(candle.Low);
        writer.Raw(",\"v\":"u8);
        writer.QuotedDecimal(candle.Volume);
        writer.Raw(",\"n\":"u8);
        writer.Integer(candle.Count);
        writer.Raw(",\"x\":"u8);
        writer.Bool(closed);
        writer.Raw(",\"q\":"u8);
        writer.QuotedDecimal(candle.QuoteVolume);
        writer.Raw(",\"V\":"u8);
        writer.QuotedDecimal(candle.TakerVolume);
        writer.Raw(",\"Q\":"u8);
        writer.QuotedDecimal(candle.TakerQuoteVolume);
        writer.Raw(",\"B\":\"0\"}}"u8);
        sink.Write(kind, writer.Written);
        return 1;
    }

    /// <summary>The candle of <paramref name="intervalMs"/> (1 s, 1 m, 1 h or 1 d) containing <paramref name="nowMs"/>, if this market keeps that interval.</summary>
    public bool TryGetLiveCandle(long intervalMs, long nowMs, out LiveCandle candle)
    {
        var i = Array.IndexOf(KlineIntervalsMs, intervalMs);
        if (i < 0)
        {
            candle = default;
            return false;
        }
        Roll(i, nowMs);
        candle = _candles[i];
        return true;
    }

    // ================================================================ snapshots

    /// <summary>Up to <paramref name="limit"/> levels a side, best first, with the last update id: a consistent copy.</summary>
    public LoadBook Book(int limit = int.MaxValue)
    {
        var bids = new PriceLevel[Math.Min(limit, _bidCount)];
        var asks = new PriceLevel[Math.Min(limit, _askCount)];
        CopyBids(bids);
        CopyAsks(asks);
        return new LoadBook(bids, asks, LastUpdateId);
    }

    public int CopyBids(Span<PriceLevel> destination)
    {
        var n = 0;
        var floor = _centre - _halfWidth;
        for (var i = _bestBid; i >= floor && n < destination.Length; i--)
        {
            var lots = _lots[Slot(i)];
            if (lots != 0) destination[n++] = new PriceLevel(i * _tick, lots * _lot);
        }
        return n;
    }

    public int CopyAsks(Span<PriceLevel> destination)
    {
        var n = 0;
        var ceiling = _centre + _halfWidth;
        for (var i = _bestAsk; i < ceiling && n < destination.Length; i++)
        {
            var lots = _lots[Slot(i)];
            if (lots != 0) destination[n++] = new PriceLevel(i * _tick, lots * _lot);
        }
        return n;
    }

    private static long Pow10(int exponent)
    {
        long value = 1;
        for (var i = 0; i < exponent; i++) value *= 10;
        return value;
    }
}

/// <summary>A forming (or just finished) candle of a <see cref="SymbolMarket"/>: fixed point, trade ids inclusive.</summary>
public struct LiveCandle
{
    public long OpenTime { get; set; }
    public long Open { get; set; }
    public long High { get; set; }
    public long Low { get; set; }
    public long Close { get; set; }
    public long Volume { get; set; }
    public long QuoteVolume { get; set; }
    public long TakerVolume { get; set; }
    public long TakerQuoteVolume { get; set; }
    public long Count { get; set; }
    public long FirstTradeId { get; set; }
    public long LastTradeId { get; set; }

    /// <summary>A candle without trades yet: all prices at the last price, as Binance shows a quiet interval.</summary>
    public static LiveCandle Empty(long openTime, long price) => new() { OpenTime = openTime, Open = price, High = price, Low = price, Close = price };

    public void Add(long price, long quantity, long quote, bool takerBought, long tradeId)
    {
        if (Count == 0)
        {
            Open = High = Low = price;
            FirstTradeId = tradeId;
        }
        if (price > High) High = price;
        if (price < Low) Low = price;
        Close = price;
        Volume += quantity;
        QuoteVolume += quote;
        if (takerBought)
        {
            TakerVolume += quantity;
            TakerQuoteVolume += quote;
        }
        Count++;
        LastTradeId = tradeId;
    }
}

/// <summary>A consistent copy of a load-server book: bids and asks best first, and the update id they stand at.</summary>
public sealed record LoadBook(PriceLevel[] Bids, PriceLevel[] Asks, long LastUpdateId);
