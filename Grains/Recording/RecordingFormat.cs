using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;

namespace MarketData.Recording;

/// <summary>
/// The project's own recording line format (documented in docs/recording-format.md):
/// <c>&lt;receive_unix_ns&gt; &lt;source&gt; &lt;payload&gt;\n</c>, where source is <c>ws</c> or <c>rest:depth:SYMBOL</c>,
/// optionally suffixed with <c>;b64</c> when the payload had to be base64-encoded because it contained a line break.
/// </summary>
public static class RecordingFormat
{
    public const string WebSocketSource = "ws";
    public const string RestDepthPrefix = "rest:depth:";
    public const string Base64Suffix = ";b64";

    /// <summary>The source token for a REST depth body of <paramref name="symbol"/>.</summary>
    public static string RestDepthSource(string symbol) => RestDepthPrefix + symbol;

    /// <summary>Unix nanoseconds of a UTC time (100 ns resolution, as <see cref="DateTime"/> has).</summary>
    public static long ToUnixNanoseconds(DateTime utc) => (utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>The UTC time of Unix nanoseconds (truncated to 100 ns).</summary>
    public static DateTime FromUnixNanoseconds(long nanoseconds) => new(DateTime.UnixEpoch.Ticks + nanoseconds / 100, DateTimeKind.Utc);

    /// <summary>A source token must be non-empty, printable ASCII without spaces: it is the second field of a line.</summary>
    public static bool IsValidSource([NotNullWhen(true)] string? source)
    {
        if (string.IsNullOrEmpty(source) || source.Length > 64) return false;
        foreach (var c in source)
            if (c <= ' ' || c > '~') return false;
        return true;
    }

    /// <summary>True when the payload cannot be written raw on one line.</summary>
    public static bool NeedsBase64(ReadOnlySpan<byte> payload) => payload.IndexOfAny((byte)'\n', (byte)'\r') >= 0;

    /// <summary>Writes one complete line (with the trailing newline) to <paramref name="writer"/>.</summary>
    public static void WriteLine(IBufferWriter<byte> writer, long receiveUnixNs, string source, ReadOnlySpan<byte> payload)
    {
        var base64 = NeedsBase64(payload);
        var payloadLength = base64 ? Base64.GetMaxEncodedToUtf8Length(payload.Length) : payload.Length;
        var total = 20 + 1 + source.Length + (base64 ? Base64Suffix.Length : 0) + 1 + payloadLength + 1;
        var span = writer.GetSpan(total);
        receiveUnixNs.TryFormat(span, out var n, provider: System.Globalization.CultureInfo.InvariantCulture);
        span[n++] = (byte)' ';
        foreach (var c in source) span[n++] = (byte)c;
        if (base64)
            foreach (var c in Base64Suffix) span[n++] = (byte)c;
        span[n++] = (byte)' ';
        if (base64)
        {
            Base64.EncodeToUtf8(payload, span[n..], out _, out var written);
            n += written;
        }
        else
        {
            payload.CopyTo(span[n..]);
            n += payload.Length;
        }
        span[n++] = (byte)'\n';
        writer.Advance(n);
    }
}
