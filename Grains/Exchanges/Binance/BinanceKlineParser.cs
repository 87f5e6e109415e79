using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using MarketData.Candles;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// Parses klines: REST <c>/api/v3/klines</c> bodies (Binance's 12-column rows and MEXC's 8-column rows, the same
/// method for both) and Binance kline stream events. Numbers go straight from UTF-8 into fixed point
/// (<see cref="Utf8FixedPoint"/>). Bad input (truncated, wrong types, bad numbers, unknown interval) gives an
/// error text, never an exception. Only the shape is checked here; the candle rules (high ≥ low, alignment,
/// close time, ...) are <c>CandleSeries</c>'s.
/// Times of 1e15 or more are microseconds (data.binance.vision spot files from 2025 on) and are converted to ms.
/// One instance per receive loop (it interns symbols); not thread-safe.
/// </summary>
public sealed class BinanceKlineParser
{
    private const long MicrosecondThreshold = 1_000_000_000_000_000; // 1e15: ms reach it only in year 33658
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    private readonly SymbolInterner _symbols = new();

    /// <summary>
    /// Appends the rows of a klines REST body to <paramref name="output"/>, oldest first as sent. Rows whose
    /// close time is before <paramref name="nowMs"/> are flagged Closed; the others (the forming bar, normally
    /// the last) are not. All or nothing: on error <paramref name="output"/> is left as it was.
    /// </summary>
    /// <param name="source">Stamped on every candle (<see cref="CandleSource.BinanceRest"/> or <see cref="CandleSource.MexcRest"/>).</param>
    public static bool ParseRestBody(ReadOnlySpan<byte> utf8, Timeframe timeframe, CandleSource source, long nowMs,
                                     List<Candle> output, out string? error)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (timeframe.Milliseconds <= 0) throw new ArgumentException("Timeframe is not initialised.", nameof(timeframe));
        var start = output.Count;
        try
        {
            error = ParseRestCore(utf8, source, nowMs, output);
        }
        catch (JsonException ex)
        {
            error = $"invalid JSON: {ex.Message}";
        }
        if (error is not null) output.RemoveRange(start, output.Count - start);
        return error is null;
    }

    private static string? ParseRestCore(ReadOnlySpan<byte> utf8, CandleSource source, long nowMs, List<Candle> output)
    {
        if (utf8.IsEmpty) return "empty body";
        if (utf8.Length > MaxBodyBytes) return $"body of {utf8.Length} bytes exceeds {MaxBodyBytes}";
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 4 });
        if (!reader.Read()) return "empty body";
        if (reader.TokenType == JsonTokenType.StartObject)
            return $"expected an array of kline rows, got an object: {Excerpt(utf8)}"; // e.g. {"code":-1121,"msg":"Invalid interval."}
        if (reader.TokenType != JsonTokenType.StartArray) return $"expected an array of kline rows, got {reader.TokenType}";
        var row = 0;
        while (true)
        {
            if (!reader.Read()) return "truncated body";
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType != JsonTokenType.StartArray) return $"row {row}: expected an array, got {reader.TokenType}";
            var rowError = ReadRow(ref reader, source, nowMs, out var candle);
            if (rowError is not null) return $"row {row}: {rowError}";
            output.Add(candle);
            row++;
        }
        if (reader.Read()) return "content after the rows";
        return null;
    }

    /// <summary>One row, the reader on its StartArray; leaves the reader on its EndArray.</summary>
    private static string? ReadRow(ref Utf8JsonReader reader, CandleSource source, long nowMs, out Candle candle)
    {
        candle = default;
        long openTime = 0, closeTime = 0, open = 0, high = 0, low = 0, close = 0, volume = 0, quote = 0, count = 0, takerBase = 0, takerQuote = 0;
        var column = 0;
        while (true)
        {
            if (!reader.Read()) return "truncated row";
            if (reader.TokenType == JsonTokenType.EndArray) break;
            string? error = column switch
            {
                0 => ReadTime(ref reader, out openTime),
                1 => ReadDecimal(ref reader, out open),
                2 => ReadDecimal(ref reader, out high),
                3 => ReadDecimal(ref reader, out low),
                4 => ReadDecimal(ref reader, out close),
                5 => ReadDecimal(ref reader, out volume),
                6 => ReadTime(ref reader, out closeTime),
                7 => ReadDecimal(ref reader, out quote),
                8 => ReadInteger(ref reader, out count),
                9 => ReadDecimal(ref reader, out takerBase),
                10 => ReadDecimal(ref reader, out takerQuote),
                // Column 11 is Binance's unused "ignore"; later columns, should they ever appear, are skipped too.
                _ => reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject ? "unexpected nested value" : null,
            };
            if (error is not null) return $"column {column}: {error}";
            column++;
        }
        // Binance sends 12 columns, MEXC 8 (no count, no taker volumes).
        if (column != 8 && column < 12) return $"expected 8 (MEXC) or 12 (Binance) columns, got {column}";
        candle = new Candle
        {
            OpenTime = openTime,
            CloseTime = closeTime,
            Open = open,
            High = high,
            Low = low,
            Close = close,
            Volume = volume,
            QuoteVolume = quote,
            TradeCount = count,
            TakerBuyVolume = takerBase,
            TakerBuyQuoteVolume = takerQuote,
            Source = source,
            Flags = closeTime < nowMs ? CandleFlags.Closed : CandleFlags.None,
        };
        return null;
    }

    /// <summary>
    /// Parses a kline stream event: the <c>data</c> object <c>{"e":"kline","E":..,"s":..,"k":{...}}</c> (a whole
    /// combined-stream frame <c>{"stream":..,"data":{...}}</c> is accepted too). The candle's source is
    /// <see cref="CandleSource.BinanceStream"/>, flagged Closed when <c>k.x</c> is true.
    /// </summary>
    public bool TryParseStreamKline(ReadOnlySpan<byte> klinePayload, out Candle candle, out bool isClosed, out string? symbol, out string? error)
        => TryParseStreamKline(klinePayload, out candle, out isClosed, out symbol, out _, out error);

    /// <summary>As <see cref="TryParseStreamKline(ReadOnlySpan{byte}, out Candle, out bool, out string?, out string?)"/>, also giving the interval (<c>k.i</c>).</summary>
    public bool TryParseStreamKline(ReadOnlySpan<byte> klinePayload, out Candle candle, out bool isClosed, out string? symbol,
                                    out Timeframe timeframe, out string? error)
    {
        var state = new StreamState();
        try
        {
            error = klinePayload.IsEmpty ? "empty payload" : ParseStreamCore(klinePayload, ref state);
        }
        catch (JsonException ex)
        {
            error = $"invalid JSON: {ex.Message}";
        }
        symbol = state.Symbol;
        timeframe = state.Timeframe;
        isClosed = state.Closed;
        candle = error is null ? state.ToCandle() : default;
        if (error is not null) isClosed = false;
        return error is null;
    }

    [Flags]
    private enum KlineFields
    {
        None = 0, T0 = 1, T1 = 1 << 1, I = 1 << 2, O = 1 << 3, C = 1 << 4, H = 1 << 5, L = 1 << 6, V = 1 << 7,
        N = 1 << 8, X = 1 << 9, Q = 1 << 10,
        Required = T0 | T1 | I | O | C | H | L | V | N | X | Q,
    }

    private struct StreamState
    {
        public bool IsKline;
        public string? Symbol;
        public Timeframe Timeframe;
        public bool Closed;
        public KlineFields Has;
        public long OpenTime, CloseTime, Open, High, Low, Close, Volume, Quote, Count, TakerBase, TakerQuote;

        public readonly Candle ToCandle() => new()
        {
            OpenTime = OpenTime,
            CloseTime = CloseTime,
            Open = Open,
            High = High,
            Low = Low,
            Close = Close,
            Volume = Volume,
            QuoteVolume = Quote,
            TradeCount = Count,
            TakerBuyVolume = TakerBase,
            TakerBuyQuoteVolume = TakerQuote,
            Source = CandleSource.BinanceStream,
            Flags = Closed ? CandleFlags.Closed : CandleFlags.None,
        };
    }

    private string? ParseStreamCore(ReadOnlySpan<byte> utf8, ref StreamState state)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return "expected a JSON object";
        var error = ReadEventObject(ref reader, ref state, allowWrapper: true);
        if (error is not null) return error;
        if (reader.Read()) return "content after the event";
        if (!state.IsKline) return "not a kline event (e != \"kline\")";
        var missing = KlineFields.Required & ~state.Has;
        if (missing != KlineFields.None) return $"kline misses fields: {missing}";
        return null;
    }

    /// <summary>The event object, reader on its StartObject; leaves the reader on its EndObject.</summary>
    private string? ReadEventObject(ref Utf8JsonReader reader, ref StreamState state, bool allowWrapper)
    {
        while (true)
        {
            if (!reader.Read()) return "truncated event";
            if (reader.TokenType == JsonTokenType.EndObject) return null;
            if (reader.TokenType != JsonTokenType.PropertyName) return "expected a property";
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            if (!reader.Read()) return "truncated event";
            if (escaped)
            {
                reader.Skip();
                continue;
            }
            if (name.SequenceEqual("e"u8))
            {
                if (reader.TokenType != JsonTokenType.String) return "e: expected a string";
                state.IsKline = reader.ValueTextEquals("kline"u8);
                if (!state.IsKline) return $"not a kline event: e = {reader.GetString()}";
            }
            else if (name.SequenceEqual("s"u8))
            {
                var error = ReadSymbol(ref reader, ref state);
                if (error is not null) return error;
            }
            else if (name.SequenceEqual("k"u8))
            {
                if (reader.TokenType != JsonTokenType.StartObject) return "k: expected an object";
                var error = ReadKline(ref reader, ref state);
                if (error is not null) return error;
            }
            else if (allowWrapper && name.SequenceEqual("data"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                var error = ReadEventObject(ref reader, ref state, allowWrapper: false);
                if (error is not null) return error;
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private string? ReadSymbol(ref Utf8JsonReader reader, ref StreamState state)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return "s: expected a plain string";
        var symbol = _symbols.Intern(reader.ValueSpan);
        if (symbol is null) return "s: invalid symbol";
        state.Symbol = symbol;
        return null;
    }

    private string? ReadKline(ref Utf8JsonReader reader, ref StreamState state)
    {
        while (true)
        {
            if (!reader.Read()) return "truncated kline";
            if (reader.TokenType == JsonTokenType.EndObject) return null;
            if (reader.TokenType != JsonTokenType.PropertyName) return "k: expected a property";
            var name = reader.ValueSpan;
            var key = name.Length == 1 && !reader.ValueIsEscaped ? name[0] : (byte)0;
            if (!reader.Read()) return "truncated kline";
            string? error = null;
            switch (key)
            {
                case (byte)'t': error = ReadTime(ref reader, out state.OpenTime); state.Has |= KlineFields.T0; break;
                case (byte)'T': error = ReadTime(ref reader, out state.CloseTime); state.Has |= KlineFields.T1; break;
                case (byte)'o': error = ReadDecimal(ref reader, out state.Open); state.Has |= KlineFields.O; break;
                case (byte)'c': error = ReadDecimal(ref reader, out state.Close); state.Has |= KlineFields.C; break;
                case (byte)'h': error = ReadDecimal(ref reader, out state.High); state.Has |= KlineFields.H; break;
                case (byte)'l': error = ReadDecimal(ref reader, out state.Low); state.Has |= KlineFields.L; break;
                case (byte)'v': error = ReadDecimal(ref reader, out state.Volume); state.Has |= KlineFields.V; break;
                case (byte)'q': error = ReadDecimal(ref reader, out state.Quote); state.Has |= KlineFields.Q; break;
                case (byte)'V': error = ReadDecimal(ref reader, out state.TakerBase); break;
                case (byte)'Q': error = ReadDecimal(ref reader, out state.TakerQuote); break;
                case (byte)'n': error = ReadInteger(ref reader, out state.Count); state.Has |= KlineFields.N; break;
                case (byte)'x':
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) error = "expected true or false";
                    else state.Closed = reader.TokenType == JsonTokenType.True;
                    state.Has |= KlineFields.X;
                    break;
                case (byte)'i':
                    error = ReadInterval(ref reader, out state.Timeframe);
                    state.Has |= KlineFields.I;
                    break;
                case (byte)'s':
                    error = ReadSymbol(ref reader, ref state);
                    break;
                default:
                    reader.Skip();
                    break;
            }
            if (error is not null) return $"k.{(key == 0 ? "?" : ((char)key).ToString())}: {error}";
        }
    }

    private static string? ReadInterval(ref Utf8JsonReader reader, out Timeframe timeframe)
    {
        timeframe = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return "expected an interval string";
        foreach (var candidate in Timeframe.All)
        {
            if (reader.ValueTextEquals(candidate.Name))
            {
                timeframe = candidate;
                return null;
            }
        }
        return $"unknown interval '{reader.GetString()}'";
    }

    // ---- values --------------------------------------------------------------------------------

    /// <summary>A Unix time as a JSON integer (or a string of digits); microseconds become milliseconds.</summary>
    private static string? ReadTime(ref Utf8JsonReader reader, out long unixMs)
    {
        var error = ReadInteger(ref reader, out unixMs);
        if (error is null && unixMs >= MicrosecondThreshold) unixMs /= 1000;
        return error;
    }

    private static string? ReadInteger(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetInt64(out value) ? null : "expected an integer";
            case JsonTokenType.String when !reader.ValueIsEscaped:
                return Utf8Parser.TryParse(reader.ValueSpan, out value, out var consumed) && consumed == reader.ValueSpan.Length
                    ? null : "expected an integer";
            default:
                return $"expected an integer, got {reader.TokenType}";
        }
    }

    /// <summary>A decimal as a JSON string (Binance, MEXC) or number, into fixed point.</summary>
    private static string? ReadDecimal(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number) || reader.ValueIsEscaped)
            return $"expected a decimal, got {reader.TokenType}";
        var result = Utf8FixedPoint.Parse(reader.ValueSpan, out value);
        return result == DecimalParseError.None ? null : Utf8FixedPoint.Describe(result);
    }

    private static string Excerpt(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, 200)]);
}
