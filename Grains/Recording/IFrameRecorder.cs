namespace MarketData.Recording;

/// <summary>
/// Receives every raw frame a live feed gets, for later replay. Implementations must never block the
/// caller (a receive loop): they copy the payload and return.
/// </summary>
public interface IFrameRecorder
{
    /// <param name="receivedAtUtc">Local receive time (UTC).</param>
    /// <param name="source"><c>ws</c> for a WebSocket frame, <c>rest:depth:BTCUSDT</c> for a REST depth body of BTCUSDT (see <see cref="RecordingFormat"/>).</param>
    /// <param name="payload">The bytes exactly as received.</param>
    void Record(DateTime receivedAtUtc, string source, ReadOnlySpan<byte> payload);
}
