using MarketData.Candles;
using System.Text;
using System.Text.Json;
using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Exchanges.Binance;

/// <summary>What the last frame given to <see cref="BinanceFrameParser.Parse"/> turned out to be.</summary>
public enum BinanceFrameKind
{
    DepthUpdate,
    /// <summary>A REST depth body (or a partial-depth push): <c>{"lastUpdateId":..,"bids":..,"asks":..}</c>.</summary>
    DepthSnapshot,
    Trade,
    AggTrade,
    BookTicker,
    /// <summary>A rolling 24-hour <c>24hrTicker</c>.</summary>
    Ticker,
    /// <summary>An answer to a control request: <c>{"result":..,"id":n}</c>, or <c>{"error":{..},"id":n}</c> (then <see cref="BinanceFrameParser.Error"/> says what).</summary>
    Reply,
    ServerShutdown,
    /// <summary>Well-formed JSON with an event type we do not handle (for example <c>depth5</c> partial books).</summary>
    Unknown,
    /// <summary>Bad JSON, truncated, missing or invalid fields, absurd sizes: see <see cref="BinanceFrameParser.Error"/>.</summary>
    Malformed,
    /// <summary>A kline stream update (<c>&lt;symbol&gt;@kline_&lt;interval&gt;</c>): see <see cref="BinanceFrameParser.Kline"/>.</summary>
    Kline,
}

/// <summary>
/// Parses Binance spot frames: combined-stream wrappers <c>{"stream":..,"data":{..}}</c> (in either field
/// order), raw payloads, and REST depth bodies. Reusable and not thread-safe: one per receive loop.
/// Depth frames are parsed without allocating: numbers go straight from UTF-8 to fixed point, symbols are
/// interned and the level arrays are reused (so <see cref="Bids"/>/<see cref="Asks"/> are only valid until
/// the next <see cref="Parse"/>). Unknown fields are skipped. Data problems never throw.
/// </summary>
public sealed partial class BinanceFrameParser
{
    public const int MaxLevelsPerSide = 5000;
    public const int MaxFrameBytes = 4 * 1024 * 1024;

    // Decimal-string fields. Several Binance letters mean different things per event type (for example
    // "a" is the ask array of a depthUpdate, the ask price of a bookTicker and the id of an aggTrade), and
    // the event type may come after them, so each value is kept by letter and token type and interpreted
    // once the whole object has been read.
    private enum Dec { P, Q, BidPrice, BidQty, AskPrice, AskQty, Last, Open, High, Low, Volume, Count }

    [Flags]
    private enum Has : uint
    {
        None = 0,
        FirstId = 1 << 0,     // U
        FinalId = 1 << 1,     // u
        EventTime = 1 << 2,   // E
        TradeId = 1 << 3,     // t
        TradeTime = 1 << 4,   // T
        AggId = 1 << 5,       // a (number)
        FirstTrade = 1 << 6,  // f
        LastTrade = 1 << 7,   // l (number)
        TradeCount = 1 << 8,  // n
        Maker = 1 << 9,       // m
        LastUpdateId = 1 << 10,
        BidLevels = 1 << 11,  // b / bids (array)
        AskLevels = 1 << 12,  // a / asks (array)
        EventType = 1 << 13,  // e
    }

    private enum EventType { None, DepthUpdate, Trade, AggTrade, Ticker, ServerShutdown, Other }

    private readonly SymbolInterner _symbols;
    private PriceLevel[] _bids = new PriceLevel[64];
    private PriceLevel[] _asks = new PriceLevel[64];
    private readonly long[] _decimals = new long[(int)Dec.Count];
    private readonly string?[] _decimalErrors = new string?[(int)Dec.Count];
    private uint _decimalsPresent;
    private uint _decimalErrorMask;

    private BinanceFrameKind _kind = BinanceFrameKind.Unknown;
    private Has _has;
    private EventType _eventType;
    private string? _otherEventName;
    private string? _payloadSymbol;
    private string? _streamSymbol;
    private int _bidCount, _askCount;
    private long _firstUpdateId, _finalUpdateId, _lastUpdateId, _eventTime;
    private long _tradeId, _tradeTime, _aggId, _firstTradeId, _lastTradeId, _tradeCount;
    private bool _buyerIsMaker;
    private bool _isWrapper, _hasData, _hasResult, _hasId, _hasErrorReply;

    public BinanceFrameParser(int maxInternedSymbols = SymbolInterner.DefaultCapacity)
    {
        _symbols = new SymbolInterner(maxInternedSymbols);
    }

    public BinanceFrameKind Kind => _kind;
    /// <summary>Upper case, from the payload's <c>s</c> or else the stream name; null when unknown (REST body, reply).</summary>
    public string? Symbol { get; private set; }
    /// <summary>For Malformed, Unknown and error replies: a short reason with context.</summary>
    public string? Error { get; private set; }
    /// <summary>depthUpdate <c>U</c>.</summary>
    public long FirstUpdateId => _firstUpdateId;
    /// <summary>depthUpdate or bookTicker <c>u</c>.</summary>
    public long FinalUpdateId => _finalUpdateId;
    /// <summary>REST snapshot <c>lastUpdateId</c>.</summary>
    public long LastUpdateId => _lastUpdateId;
    /// <summary><c>E</c> (Unix ms) where present, else 0.</summary>
    public long EventTime => _eventTime;
    /// <summary>Levels of the last depth update or snapshot, in wire order. Valid until the next Parse.</summary>
    public ReadOnlySpan<PriceLevel> Bids => _bids.AsSpan(0, _bidCount);
    public ReadOnlySpan<PriceLevel> Asks => _asks.AsSpan(0, _askCount);

    public BinanceFrameKind Parse(ReadOnlySpan<byte> utf8Frame)
    {
        Reset();
        if (utf8Frame.Length > MaxFrameBytes) return Fail($"frame of {utf8Frame.Length} bytes exceeds the {MaxFrameBytes} byte limit");
        if (utf8Frame.IsEmpty) return Fail("empty frame");
        if (FastDepthPathEnabled && TryParseDepthFast(utf8Frame)) return _kind = BinanceFrameKind.DepthUpdate;
        try
        {
            _kind = ParseCore(utf8Frame);
        }
        catch (JsonException ex)
        {
            // Utf8JsonReader reports bad and truncated JSON with a byte position; keep that context.
            Fail($"invalid JSON: {ex.Message}");
        }
        if (_kind == BinanceFrameKind.Unknown && _otherEventName == "kline") ParseKline(utf8Frame);
        if (_kind == BinanceFrameKind.Malformed && Symbol is null)
        {
            // Parsing stopped early (for example in "data" before "stream"): the feed still needs the
            // symbol to interrupt that book, so look for the stream name on its own.
            Symbol = FindStreamSymbol(utf8Frame);
        }
        return _kind;
    }

    /// <summary>Klines have their own reader (shared with REST kline bodies); this parser only recognises them.</summary>
    private void ParseKline(ReadOnlySpan<byte> frame)
    {
        Error = null; // it was "unknown event" until now
        if (_klines.TryParseStreamKline(frame, out var candle, out _, out var symbol, out var timeframe, out var error))
        {
            _kline = candle;
            _klineTimeframe = timeframe;
            Symbol = symbol;
            _kind = BinanceFrameKind.Kline;
        }
        else
        {
            Fail($"kline: {error}");
        }
    }

    private readonly BinanceKlineParser _klines = new();
    private Candle _kline;
    private Timeframe _klineTimeframe;

    /// <summary>The candle of the last <see cref="BinanceFrameKind.Kline"/> frame (flagged Closed on its final update).</summary>
    public Candle Kline => _kline;

    private string? FindStreamSymbol(ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isStream = reader.ValueTextEquals("stream"u8);
                reader.Read();
                if (isStream) return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? SymbolFromStreamName(reader.ValueSpan) : null;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // The stream name lies beyond the point where the JSON breaks.
        }
        return null;
    }

    private void Reset()
    {
        _kind = BinanceFrameKind.Unknown;
        Symbol = null;
        Error = null;
        _has = Has.None;
        _eventType = EventType.None;
        _otherEventName = null;
        _payloadSymbol = null;
        _streamSymbol = null;
        _bidCount = _askCount = 0;
        _firstUpdateId = _finalUpdateId = _lastUpdateId = _eventTime = 0;
        _tradeId = _tradeTime = _aggId = _firstTradeId = _lastTradeId = _tradeCount = 0;
        _buyerIsMaker = false;
        _isWrapper = _hasData = _hasResult = _hasId = _hasErrorReply = false;
        _errorReplyText = null;
        _decimalsPresent = 0;
        if (_decimalErrorMask != 0)
        {
            Array.Clear(_decimalErrors);
            _decimalErrorMask = 0;
        }
    }

    private BinanceFrameKind Fail(string reason)
    {
        Error ??= reason;
        Symbol = _payloadSymbol ?? _streamSymbol;
        return _kind = BinanceFrameKind.Malformed;
    }

    private BinanceFrameKind ParseCore(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return Fail("expected a JSON object");

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped) return Fail("escaped property names are not expected");
            var name = reader.ValueSpan;
            reader.Read();
            if (!ReadTopLevelField(name, ref reader)) return Fail(Error ?? "invalid field");
        }

        // The reader throws on truncation, so here the top-level object is complete.
        if (reader.Read()) return Fail("trailing data after the JSON object");
        if (Error is not null) return Fail(Error);
        return Classify();
    }

    private bool ReadTopLevelField(ReadOnlySpan<byte> name, ref Utf8JsonReader reader)
    {
        switch (name.Length)
        {
            case 2 when name.SequenceEqual("id"u8):
                _hasId = true;
                reader.Skip();
                return true;
            case 4 when name.SequenceEqual("data"u8):
                _isWrapper = true;
                if (reader.TokenType != JsonTokenType.StartObject) return SetError("'data' is not an object");
                _hasData = true;
                return ReadPayloadObject(ref reader);
            case 5 when name.SequenceEqual("error"u8):
                _hasErrorReply = true;
                return ReadErrorReply(ref reader);
            case 6 when name.SequenceEqual("stream"u8):
                _isWrapper = true;
                if (reader.TokenType != JsonTokenType.String) return SetError("'stream' is not a string");
                _streamSymbol = SymbolFromStreamName(reader.ValueSpan);
                return true;
            case 6 when name.SequenceEqual("result"u8):
                _hasResult = true;
                reader.Skip();
                return true;
            default:
                // A raw (unwrapped) payload: its fields sit at the top level.
                return ReadPayloadField(name, ref reader);
        }
    }

    private bool ReadPayloadObject(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped) return SetError("escaped property names are not expected");
            var name = reader.ValueSpan;
            reader.Read();
            if (!ReadPayloadField(name, ref reader)) return false;
        }
        return true;
    }

    private bool ReadPayloadField(ReadOnlySpan<byte> name, ref Utf8JsonReader reader)
    {
        var token = reader.TokenType;
        if (name.Length == 1)
        {
            switch (name[0])
            {
                case (byte)'e':
                    if (token != JsonTokenType.String) return SetError("'e' is not a string");
                    ReadEventType(ref reader);
                    return true;
                case (byte)'E': return ReadInt64(ref reader, "E", Has.EventTime, out _eventTime);
                case (byte)'s':
                    if (token != JsonTokenType.String) return SetError("'s' is not a string");
                    _payloadSymbol = reader.ValueIsEscaped ? null : _symbols.Intern(reader.ValueSpan);
                    return _payloadSymbol is not null || SetError($"invalid symbol '{Truncate(TextOf(ref reader))}'");
                case (byte)'U': return ReadInt64(ref reader, "U", Has.FirstId, out _firstUpdateId);
                case (byte)'u': return ReadInt64(ref reader, "u", Has.FinalId, out _finalUpdateId);
                case (byte)'b':
                    if (token == JsonTokenType.StartArray) return ReadLevels(ref reader, bids: true);
                    return ReadDecimal(ref reader, Dec.BidPrice, "b");
                case (byte)'a':
                    if (token == JsonTokenType.StartArray) return ReadLevels(ref reader, bids: false);
                    if (token == JsonTokenType.Number) return ReadInt64(ref reader, "a", Has.AggId, out _aggId);
                    return ReadDecimal(ref reader, Dec.AskPrice, "a");
                case (byte)'B': return ReadDecimal(ref reader, Dec.BidQty, "B");
                case (byte)'A': return ReadDecimal(ref reader, Dec.AskQty, "A");
                case (byte)'p': return ReadDecimal(ref reader, Dec.P, "p");
                case (byte)'q': return ReadDecimal(ref reader, Dec.Q, "q");
                case (byte)'c': return ReadDecimal(ref reader, Dec.Last, "c");
                case (byte)'o': return ReadDecimal(ref reader, Dec.Open, "o");
                case (byte)'h': return ReadDecimal(ref reader, Dec.High, "h");
                case (byte)'v': return ReadDecimal(ref reader, Dec.Volume, "v");
                case (byte)'l':
                    if (token == JsonTokenType.Number) return ReadInt64(ref reader, "l", Has.LastTrade, out _lastTradeId);
                    return ReadDecimal(ref reader, Dec.Low, "l");
                case (byte)'t': return ReadInt64(ref reader, "t", Has.TradeId, out _tradeId);
                case (byte)'T': return ReadInt64(ref reader, "T", Has.TradeTime, out _tradeTime);
                case (byte)'f': return ReadInt64(ref reader, "f", Has.FirstTrade, out _firstTradeId);
                case (byte)'n': return ReadInt64(ref reader, "n", Has.TradeCount, out _tradeCount);
                case (byte)'m':
                    if (token is not (JsonTokenType.True or JsonTokenType.False)) return SetError("'m' is not a boolean");
                    _buyerIsMaker = token == JsonTokenType.True;
                    _has |= Has.Maker;
                    return true;
            }
        }
        else if (name.SequenceEqual("lastUpdateId"u8))
        {
            return ReadInt64(ref reader, "lastUpdateId", Has.LastUpdateId, out _lastUpdateId);
        }
        else if (name.SequenceEqual("bids"u8))
        {
            if (token != JsonTokenType.StartArray) return SetError("'bids' is not an array");
            return ReadLevels(ref reader, bids: true);
        }
        else if (name.SequenceEqual("asks"u8))
        {
            if (token != JsonTokenType.StartArray) return SetError("'asks' is not an array");
            return ReadLevels(ref reader, bids: false);
        }

        // Unknown fields (and known ones we do not use, such as "P", "w", "x", "k") are skipped.
        reader.Skip();
        return true;
    }

    private void ReadEventType(ref Utf8JsonReader reader)
    {
        _has |= Has.EventType;
        var value = reader.ValueSpan;
        if (reader.ValueIsEscaped) _eventType = EventType.Other;
        else if (value.SequenceEqual("depthUpdate"u8)) _eventType = EventType.DepthUpdate;
        else if (value.SequenceEqual("trade"u8)) _eventType = EventType.Trade;
        else if (value.SequenceEqual("aggTrade"u8)) _eventType = EventType.AggTrade;
        else if (value.SequenceEqual("24hrTicker"u8)) _eventType = EventType.Ticker;
        else if (value.SequenceEqual("serverShutdown"u8)) _eventType = EventType.ServerShutdown;
        else _eventType = EventType.Other;
        if (_eventType == EventType.Other) _otherEventName = Truncate(TextOf(ref reader));
    }

    private bool ReadErrorReply(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var text = reader.TokenType == JsonTokenType.String ? TextOf(ref reader) : reader.TokenType.ToString();
            reader.Skip();
            _errorReplyText = $"error reply: {Truncate(text)}";
            return true;
        }
        long? code = null;
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCode = reader.ValueTextEquals("code"u8);
            var isMsg = reader.ValueTextEquals("msg"u8);
            reader.Read();
            if (isCode && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var c)) code = c;
            else if (isMsg && reader.TokenType == JsonTokenType.String) message = TextOf(ref reader);
            else reader.Skip();
        }
        _errorReplyText = $"error reply: code {(code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?")}: {Truncate(message) ?? "(no message)"}";
        return true;
    }

    private string? _errorReplyText;

    /// <summary>
    /// A string token's text for an error message. The reader does not check UTF-8 while reading and
    /// <see cref="Utf8JsonReader.GetString"/> throws on invalid bytes, but data problems must never throw,
    /// so those are decoded with replacement characters instead.
    /// </summary>
    private static string TextOf(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(reader.ValueSpan);
        }
    }

    private bool ReadInt64(ref Utf8JsonReader reader, string name, Has flag, out long value)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out value))
        {
            value = 0;
            return SetError($"'{name}' is not a 64-bit integer");
        }
        _has |= flag;
        return true;
    }

    private bool ReadDecimal(ref Utf8JsonReader reader, Dec slot, string name)
    {
        var bit = 1u << (int)slot;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            // Only an error if this event type needs the field; remembered until we know the type.
            _decimalErrorMask |= bit;
            _decimalErrors[(int)slot] = $"'{name}': expected a decimal string, got {reader.TokenType}";
            reader.Skip();
            return true;
        }
        var error = Utf8FixedPoint.Parse(reader.ValueSpan, out var value);
        if (error != DecimalParseError.None)
        {
            _decimalErrorMask |= bit;
            _decimalErrors[(int)slot] = $"'{name}': {Utf8FixedPoint.Describe(error)} '{Truncate(Encoding.UTF8.GetString(reader.ValueSpan))}'";
            return true;
        }
        _decimals[(int)slot] = value;
        _decimalsPresent |= bit;
        return true;
    }

    private bool ReadLevels(ref Utf8JsonReader reader, bool bids)
    {
        var side = bids ? "bids" : "asks";
        var levels = bids ? _bids : _asks;
        var count = 0;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType != JsonTokenType.StartArray) return SetError($"{side}[{count}]: expected [price, quantity]");
            if (count == MaxLevelsPerSide) return SetError($"{side}: more than {MaxLevelsPerSide} levels");

            reader.Read();
            if (!TryReadLevelNumber(ref reader, side, count, "price", out var price)) return false;
            reader.Read();
            if (!TryReadLevelNumber(ref reader, side, count, "quantity", out var quantity)) return false;
            reader.Read();
            if (reader.TokenType != JsonTokenType.EndArray) return SetError($"{side}[{count}]: expected exactly [price, quantity]");

            if (price <= 0) return SetError($"{side}[{count}]: non-positive price '{FixedPoint.ToText(price)}'");
            if (quantity < 0) return SetError($"{side}[{count}]: negative quantity '{FixedPoint.ToText(quantity)}'");

            if (count == levels.Length)
            {
                Array.Resize(ref levels, Math.Min(levels.Length * 2, MaxLevelsPerSide));
                if (bids) _bids = levels;
                else _asks = levels;
            }
            levels[count++] = new PriceLevel(price, quantity);
        }

        if (bids)
        {
            _bidCount = count;
            _has |= Has.BidLevels;
        }
        else
        {
            _askCount = count;
            _has |= Has.AskLevels;
        }
        return true;
    }

    private bool TryReadLevelNumber(ref Utf8JsonReader reader, string side, int index, string what, out long value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
            return SetError($"{side}[{index}]: {what} is not a decimal string ({reader.TokenType})");
        var error = Utf8FixedPoint.Parse(reader.ValueSpan, out value);
        if (error == DecimalParseError.None) return true;
        return SetError($"{side}[{index}]: {Utf8FixedPoint.Describe(error)} {what} '{Truncate(Encoding.UTF8.GetString(reader.ValueSpan))}'");
    }

    private bool SetError(string message)
    {
        Error ??= message;
        return false;
    }

    private BinanceFrameKind Classify()
    {
        Symbol = _payloadSymbol ?? _streamSymbol;
        if (_isWrapper && !_hasData) return Fail("combined-stream frame without 'data'");

        if ((_has & Has.EventType) != 0)
        {
            switch (_eventType)
            {
                case EventType.DepthUpdate:
                    if (!Require(Has.FirstId | Has.FinalId | Has.BidLevels | Has.AskLevels, "depthUpdate needs U, u, b and a")) return BinanceFrameKind.Malformed;
                    if (!RequireSymbol("depthUpdate")) return BinanceFrameKind.Malformed;
                    if (_firstUpdateId > _finalUpdateId) return Fail($"depthUpdate: U {_firstUpdateId} > u {_finalUpdateId}");
                    return BinanceFrameKind.DepthUpdate;
                case EventType.Trade:
                    if (!Require(Has.TradeId, "trade needs t")) return BinanceFrameKind.Malformed;
                    if (!RequireSymbol("trade") || !RequireTradeValues("trade")) return BinanceFrameKind.Malformed;
                    return BinanceFrameKind.Trade;
                case EventType.AggTrade:
                    if (!Require(Has.AggId | Has.FirstTrade | Has.LastTrade, "aggTrade needs a, f and l")) return BinanceFrameKind.Malformed;
                    if (!RequireSymbol("aggTrade") || !RequireTradeValues("aggTrade")) return BinanceFrameKind.Malformed;
                    return BinanceFrameKind.AggTrade;
                case EventType.Ticker:
                    if (!RequireSymbol("24hrTicker")) return BinanceFrameKind.Malformed;
                    if (!RequireDecimals("24hrTicker", Dec.Last, Dec.Open, Dec.High, Dec.Low, Dec.Volume, Dec.Q)) return BinanceFrameKind.Malformed;
                    if (!OptionalDecimals("24hrTicker", Dec.BidPrice, Dec.AskPrice)) return BinanceFrameKind.Malformed;
                    if (!NonNegative("24hrTicker", Dec.Last, Dec.Open, Dec.High, Dec.Low, Dec.Volume, Dec.Q, Dec.BidPrice, Dec.AskPrice)) return BinanceFrameKind.Malformed;
                    return BinanceFrameKind.Ticker;
                case EventType.ServerShutdown:
                    Symbol = null;
                    return BinanceFrameKind.ServerShutdown;
                default:
                    Error = $"unknown event '{_otherEventName}'";
                    return BinanceFrameKind.Unknown;
            }
        }

        if ((_has & Has.LastUpdateId) != 0)
        {
            if (!Require(Has.BidLevels | Has.AskLevels, "depth snapshot needs bids and asks")) return BinanceFrameKind.Malformed;
            return BinanceFrameKind.DepthSnapshot;
        }

        const uint tickerSlots = (1u << (int)Dec.BidPrice) | (1u << (int)Dec.BidQty) | (1u << (int)Dec.AskPrice) | (1u << (int)Dec.AskQty);
        if ((_has & Has.FinalId) != 0 && _payloadSymbol is not null && ((_decimalsPresent | _decimalErrorMask) & tickerSlots) != 0)
        {
            // bookTicker has no "e": recognised by u, s and the b/B/a/A strings.
            if (!RequireDecimals("bookTicker", Dec.BidPrice, Dec.BidQty, Dec.AskPrice, Dec.AskQty)) return BinanceFrameKind.Malformed;
            if (!NonNegative("bookTicker", Dec.BidPrice, Dec.BidQty, Dec.AskPrice, Dec.AskQty)) return BinanceFrameKind.Malformed;
            return BinanceFrameKind.BookTicker;
        }

        if (_hasErrorReply)
        {
            Symbol = null;
            Error = _errorReplyText ?? "error reply";
            return BinanceFrameKind.Reply;
        }
        if (_hasResult || _hasId)
        {
            Symbol = null;
            return BinanceFrameKind.Reply;
        }

        Error = _hasData || !_isWrapper ? "no event type ('e') and not a known payload shape" : "unrecognised frame";
        return BinanceFrameKind.Unknown;
    }

    private bool Require(Has required, string message)
    {
        if ((_has & required) == required) return true;
        Fail($"{message}; missing {MissingNames(required & ~_has)}");
        return false;
    }

    private static string MissingNames(Has missing)
    {
        var names = new List<string>();
        if ((missing & Has.FirstId) != 0) names.Add("U");
        if ((missing & Has.FinalId) != 0) names.Add("u");
        if ((missing & Has.BidLevels) != 0) names.Add("bids");
        if ((missing & Has.AskLevels) != 0) names.Add("asks");
        if ((missing & Has.TradeId) != 0) names.Add("t");
        if ((missing & Has.AggId) != 0) names.Add("a");
        if ((missing & Has.FirstTrade) != 0) names.Add("f");
        if ((missing & Has.LastTrade) != 0) names.Add("l");
        return string.Join(", ", names);
    }

    private bool RequireSymbol(string what)
    {
        if (Symbol is not null) return true;
        Fail($"{what} without a symbol");
        return false;
    }

    private bool RequireTradeValues(string what)
    {
        if (!RequireDecimals(what, Dec.P, Dec.Q)) return false;
        if (_decimals[(int)Dec.P] <= 0) { Fail($"{what}: non-positive price '{FixedPoint.ToText(_decimals[(int)Dec.P])}'"); return false; }
        if (_decimals[(int)Dec.Q] < 0) { Fail($"{what}: negative quantity '{FixedPoint.ToText(_decimals[(int)Dec.Q])}'"); return false; }
        if ((_has & Has.TradeTime) == 0) _tradeTime = _eventTime;
        return true;
    }

    private bool RequireDecimals(string what, params ReadOnlySpan<Dec> slots)
    {
        foreach (var slot in slots)
        {
            var bit = 1u << (int)slot;
            if ((_decimalErrorMask & bit) != 0) { Fail($"{what}: {_decimalErrors[(int)slot]}"); return false; }
            if ((_decimalsPresent & bit) == 0) { Fail($"{what}: missing '{LetterOf(slot)}'"); return false; }
        }
        return true;
    }

    private bool OptionalDecimals(string what, params ReadOnlySpan<Dec> slots)
    {
        foreach (var slot in slots)
        {
            if ((_decimalErrorMask & (1u << (int)slot)) != 0) { Fail($"{what}: {_decimalErrors[(int)slot]}"); return false; }
        }
        return true;
    }

    private bool NonNegative(string what, params ReadOnlySpan<Dec> slots)
    {
        foreach (var slot in slots)
        {
            if (_decimals[(int)slot] < 0) { Fail($"{what}: negative '{LetterOf(slot)}' '{FixedPoint.ToText(_decimals[(int)slot])}'"); return false; }
        }
        return true;
    }

    private static string LetterOf(Dec slot) => slot switch
    {
        Dec.P => "p",
        Dec.Q => "q",
        Dec.BidPrice => "b",
        Dec.BidQty => "B",
        Dec.AskPrice => "a",
        Dec.AskQty => "A",
        Dec.Last => "c",
        Dec.Open => "o",
        Dec.High => "h",
        Dec.Low => "l",
        Dec.Volume => "v",
        _ => slot.ToString(),
    };

    /// <summary>"btcusdt@depth@100ms" → "BTCUSDT"; null for names without a symbol ("!serverShutdown").</summary>
    private string? SymbolFromStreamName(ReadOnlySpan<byte> stream)
    {
        var at = stream.IndexOf((byte)'@');
        if (at <= 0) return null;
        return _symbols.Intern(stream[..at]);
    }

    private static string? Truncate(string? text) => text is { Length: > 64 } ? string.Concat(text.AsSpan(0, 61), "...") : text;

    private long DecimalOrZero(Dec slot) => (_decimalsPresent & (1u << (int)slot)) != 0 ? _decimals[(int)slot] : 0;

    /// <summary>
    /// The stream event for the last parsed frame (allocates; level arrays are copied).
    /// Throws <see cref="InvalidOperationException"/> for kinds that carry no market event.
    /// </summary>
    public MarketEvent ToEvent(DateTime receivedAtUtc) => _kind switch
    {
        BinanceFrameKind.Kline => new KlineEvent { ReceivedAt = receivedAtUtc, Timeframe = _klineTimeframe, Candle = _kline, EventTime = _eventTime },
        BinanceFrameKind.DepthUpdate => new DepthDiff
        {
            ReceivedAt = receivedAtUtc,
            FirstUpdateId = _firstUpdateId,
            FinalUpdateId = _finalUpdateId,
            EventTime = _eventTime,
            Bids = Bids.ToArray(),
            Asks = Asks.ToArray(),
        },
        BinanceFrameKind.DepthSnapshot => new DepthSnapshot
        {
            ReceivedAt = receivedAtUtc,
            LastUpdateId = _lastUpdateId,
            Bids = Bids.ToArray(),
            Asks = Asks.ToArray(),
        },
        BinanceFrameKind.Trade => new TradeEvent
        {
            ReceivedAt = receivedAtUtc,
            TradeId = _tradeId,
            Price = _decimals[(int)Dec.P],
            Quantity = _decimals[(int)Dec.Q],
            TradeTime = _tradeTime,
            EventTime = _eventTime,
            BuyerIsMaker = _buyerIsMaker,
            IsAggregate = false,
            FirstTradeId = _tradeId,
            LastTradeId = _tradeId,
        },
        BinanceFrameKind.AggTrade => new TradeEvent
        {
            ReceivedAt = receivedAtUtc,
            TradeId = _aggId,
            Price = _decimals[(int)Dec.P],
            Quantity = _decimals[(int)Dec.Q],
            TradeTime = _tradeTime,
            EventTime = _eventTime,
            BuyerIsMaker = _buyerIsMaker,
            IsAggregate = true,
            FirstTradeId = _firstTradeId,
            LastTradeId = _lastTradeId,
        },
        BinanceFrameKind.BookTicker => new BookTickerEvent
        {
            ReceivedAt = receivedAtUtc,
            UpdateId = _finalUpdateId,
            BidPrice = _decimals[(int)Dec.BidPrice],
            BidQuantity = _decimals[(int)Dec.BidQty],
            AskPrice = _decimals[(int)Dec.AskPrice],
            AskQuantity = _decimals[(int)Dec.AskQty],
        },
        BinanceFrameKind.Ticker => new TickerEvent
        {
            ReceivedAt = receivedAtUtc,
            EventTime = _eventTime,
            LastPrice = _decimals[(int)Dec.Last],
            OpenPrice = _decimals[(int)Dec.Open],
            HighPrice = _decimals[(int)Dec.High],
            LowPrice = _decimals[(int)Dec.Low],
            Volume = _decimals[(int)Dec.Volume],
            QuoteVolume = _decimals[(int)Dec.Q],
            TradeCount = _tradeCount,
            BestBid = DecimalOrZero(Dec.BidPrice),
            BestAsk = DecimalOrZero(Dec.AskPrice),
        },
        _ => throw new InvalidOperationException($"A {_kind} frame carries no market event."),
    };
}
