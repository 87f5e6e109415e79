using System.Buffers;
using System.Text;
using System.Text.Json;
using MarketData.Aggregation;

namespace MarketData.Storage.TimeSeries;

/// <summary>
/// The jsonb form of a second's per-bucket arrays. Buckets: <c>[[price_from, bid_volume, ask_volume], ...]</c>
/// (fixed point 10^8, exact: jsonb numbers are numeric). Bucket averages: <c>[[s1, s5, s15, s60], ...]</c>, null where
/// the average is absent (or not finite, which JSON cannot hold). Arrays of arrays keep the document small.
/// </summary>
internal static class CobJson
{
    public static string Buckets(PriceBucket[] buckets)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + buckets.Length * 40);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var b in buckets)
            {
                json.WriteStartArray();
                json.WriteNumberValue(b.PriceFrom);
                json.WriteNumberValue(b.BidVolume);
                json.WriteNumberValue(b.AskVolume);
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Averages(ImbalanceAverages[] averages)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + averages.Length * 48);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var a in averages)
            {
                json.WriteStartArray();
                Write(json, a.S1);
                Write(json, a.S5);
                Write(json, a.S15);
                Write(json, a.S60);
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static PriceBucket[] ParseBuckets(string text)
    {
        using var doc = JsonDocument.Parse(text);
        var result = new PriceBucket[doc.RootElement.GetArrayLength()];
        var i = 0;
        foreach (var b in doc.RootElement.EnumerateArray())
            result[i++] = new PriceBucket(b[0].GetInt64(), b[1].GetInt64(), b[2].GetInt64());
        return result;
    }

    public static ImbalanceAverages[] ParseAverages(string text)
    {
        using var doc = JsonDocument.Parse(text);
        var result = new ImbalanceAverages[doc.RootElement.GetArrayLength()];
        var i = 0;
        foreach (var a in doc.RootElement.EnumerateArray())
            result[i++] = new ImbalanceAverages(Read(a[0]), Read(a[1]), Read(a[2]), Read(a[3]));
        return result;
    }

    public static string Metadata(IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, value) in metadata) json.WriteString(key, value);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static Dictionary<string, string> ParseMetadata(string text)
    {
        using var doc = JsonDocument.Parse(text);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject()) result[p.Name] = p.Value.GetString() ?? "";
        return result;
    }

    private static void Write(Utf8JsonWriter json, double? value)
    {
        if (value is { } v && double.IsFinite(v)) json.WriteNumberValue(v);
        else json.WriteNullValue();
    }

    private static double? Read(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();
}
