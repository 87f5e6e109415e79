using System.Text.Json;
using MarketData.Candles;

namespace MarketData.Exchanges.Fallback;

/// <summary>Column layout of a REST kline row.</summary>
internal enum KlineRowFormat
{
    /// <summary>Binance: 12 columns, close time = open + interval - 1.</summary>
    Binance12,
    /// <summary>MEXC: 8 columns (no trade count, no taker volumes); close time is sent as open + interval.</summary>
    Mexc8,
}

/// <summary>
/// Reads a REST kline body (an array of row arrays) into <see cref="Candle"/>s with a forward-only
/// <see cref="Utf8JsonReader"/> and exact fixed-point numbers.
/// NOTE: a small private reader for the fallback fetcher; BinanceKlineParser (written by the candles helper)
/// may replace it once merged. Rows with impossible values are rejected one by one with a reason; a body that is
/// not a JSON array of arrays (truncated, wrong shape) fails as a whole.
/// </summary>
internal static class KlineRowReader
{
    /// <returns>False (with <paramref name="error"/>) when the body as a whole is unusable.</returns>
    public static bool TryRead(ReadOnlySpan<byte> body, KlineRowFormat format, Timeframe timeframe, CandleSource source,
        List<Candle> candles, List<string> rejected, out string? error)
    {
        error = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                error = "klines: expected a JSON array of rows";
                return false;
            }
            var index = 0;
            while (true)
            {
                if (!reader.Read()) { error = "klines: body ends inside the row list (truncated)"; return false; }
                if (reader.TokenType == JsonTokenType.EndArray) break;
                if (reader.TokenType != JsonTokenType.StartArray) { error = $"klines: row {index} is not an array"; return false; }
                var rowError = ReadRow(ref reader, format, timeframe, source, out var candle);
                if (rowError is null) candles.Add(candle);
                else rejected.Add($"row {index}: {rowError}");
                index++;
            }
            if (reader.Read()) { error = "klines: data after the row list"; return false; }
            return true;
        }
        catch (JsonException ex)
        {
            error = "klines: invalid JSON: " + ex.Message;
            return false;
        }
    }

    /// <summary>Reads one row (reader on its StartArray, left on its EndArray). Returns a rejection reason or null.</summary>
    private static string? ReadRow(ref Utf8JsonReader reader, KlineRowFormat format, Timeframe timeframe, CandleSource source, out Candle candle)
    {
        candle = default;
        var required = format == KlineRowFormat.Binance12 ? 11 : 8;
        long openTime = 0, closeTime = 0, open = 0, high = 0, low = 0, close = 0, volume = 0, quoteVolume = 0, trades = 0, takerBase = 0, takerQuote = 0;
        string? problem = null;
        var column = 0;
        while (true)
        {
            if (!reader.Read()) throw new JsonException("row truncated");
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
            {
                reader.Skip();
                problem ??= $"column {column} is not a scalar";
                column++;
                continue;
            }
            if (problem is null)
            {
                problem = column switch
                {
                    0 => Integer(ref reader, "openTime", out openTime),
                    1 => Decimal(ref reader, "open", false, out open),
                    2 => Decimal(ref reader, "high", false, out high),
                    3 => Decimal(ref reader, "low", false, out low),
                    4 => Decimal(ref reader, "close", false, out close),
                    5 => Decimal(ref reader, "volume", format == KlineRowFormat.Mexc8, out volume),
                    6 => Integer(ref reader, "closeTime", out closeTime),
                    7 => Decimal(ref reader, "quoteVolume", format == KlineRowFormat.Mexc8, out quoteVolume),
                    8 when format == KlineRowFormat.Binance12 => Integer(ref reader, "tradeCount", out trades),
                    9 when format == KlineRowFormat.Binance12 => Decimal(ref reader, "takerBuyBase", false, out takerBase),
                    10 when format == KlineRowFormat.Binance12 => Decimal(ref reader, "takerBuyQuote", false, out takerQuote),
                    _ => null, // the ignored 12th column, and columns an exchange may add later
                };
            }
            column++;
        }
        if (problem is not null) return problem;
        if (column < required) return $"{column} columns, expected {required}";

        if (format == KlineRowFormat.Mexc8 && closeTime == openTime + timeframe.Milliseconds) closeTime--; // MEXC's exclusive close time
        if (timeframe.OpenTimeOf(openTime) != openTime) return $"open time {openTime} is not aligned to {timeframe.Name}";
        if (closeTime < openTime || closeTime > timeframe.CloseTimeOf(openTime)) return $"close time {closeTime} outside the candle opened at {openTime}";
        if (low <= 0 || open <= 0 || close <= 0) return "non-positive price";
        if (high < low) return $"high {high} below low {low}";
        if (high < Math.Max(open, close) || low > Math.Min(open, close)) return "open or close outside high-low";
        if (volume < 0 || quoteVolume < 0 || trades < 0 || takerBase < 0 || takerQuote < 0) return "negative volume or count";
        if (takerBase > volume) return "taker buy volume above volume";

        candle = new Candle
        {
            OpenTime = openTime,
            CloseTime = closeTime,
            Open = open,
            High = high,
            Low = low,
            Close = close,
            Volume = volume,
            QuoteVolume = quoteVolume,
            TradeCount = trades,
            TakerBuyVolume = takerBase,
            TakerBuyQuoteVolume = takerQuote,
            Source = source,
            Flags = closeTime < timeframe.CloseTimeOf(openTime) ? CandleFlags.CutShort : CandleFlags.None,
        };
        return null;
    }

    private static string? Integer(ref Utf8JsonReader reader, string name, out long value)
    {
        value = 0;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value)) return null;
        // Tolerate integers sent as strings (seen on some MEXC mirrors).
        if (reader.TokenType == JsonTokenType.String && !reader.HasValueSequence && !reader.ValueIsEscaped
            && System.Buffers.Text.Utf8Parser.TryParse(reader.ValueSpan, out value, out var consumed) && consumed == reader.ValueSpan.Length) return null;
        return $"{name} is not an integer";
    }

    private static string? Decimal(ref Utf8JsonReader reader, string name, bool truncateExtraDecimals, out long value)
    {
        value = 0;
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number) || reader.HasValueSequence || reader.ValueIsEscaped)
            return $"{name} is not a decimal";
        var span = reader.ValueSpan;
        var result = Utf8FixedPoint.Parse(span, out value);
        if (result == DecimalParseError.TooManyDecimals && truncateExtraDecimals)
        {
            // MEXC volumes can carry more than 8 decimals; the 9th and later are dropped (truncated, not rounded).
            var dot = span.IndexOf((byte)'.');
            result = Utf8FixedPoint.Parse(span[..(dot + 9)], out value);
        }
        return result == DecimalParseError.None ? null : $"{name}: {Utf8FixedPoint.Describe(result)}";
    }
}
