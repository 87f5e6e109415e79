namespace MarketData.Recording;

/// <summary>Where a recorded payload came from.</summary>
public enum FrameSource
{
    /// <summary>A WebSocket text frame, exactly as received.</summary>
    WebSocket = 0,
    /// <summary>The body of a REST depth snapshot (<c>GET /api/v3/depth</c>).</summary>
    RestDepth = 1,
}

/// <summary>
/// One line of a recording.
/// </summary>
/// <param name="ReceivedAtNs">Local receive time, Unix nanoseconds.</param>
/// <param name="Source">WebSocket frame or REST depth body.</param>
/// <param name="Symbol">For REST depth bodies, the symbol the body belongs to (from the source token, or for
/// hftbacktest files the symbol of the file's streams); null for WebSocket frames, whose payload names its symbol,
/// and for REST bodies whose symbol could not be determined.</param>
/// <param name="Payload">The payload bytes as received (base64 already decoded).</param>
public readonly record struct RecordedFrame(long ReceivedAtNs, FrameSource Source, string? Symbol, ReadOnlyMemory<byte> Payload)
{
    public DateTime ReceivedAtUtc => RecordingFormat.FromUnixNanoseconds(ReceivedAtNs);
}
