namespace MarketData.Recording;

/// <summary>
/// Splits a byte stream into '\n'-terminated lines (a trailing '\r' is removed) without decoding text, with one
/// reusable buffer that grows to the longest line up to <see cref="MaxLineBytes"/>. Read errors (a truncated gzip
/// member, a failing disk) end the stream with <see cref="LineStatus.Failed"/> instead of throwing, because the
/// caller is an iterator that cannot catch around a yield.
/// </summary>
internal sealed class LineReader : IDisposable
{
    public const int MaxLineBytes = 16 * 1024 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;
    private bool _eof;

    public LineReader(Stream stream) => _stream = stream;

    /// <summary>Set when <see cref="LineStatus.Failed"/> or <see cref="LineStatus.TooLong"/> is returned.</summary>
    public string? Error { get; private set; }

    public LineStatus ReadLine(out ReadOnlySpan<byte> line)
    {
        line = default;
        var skipping = false;
        var scanFrom = _start;
        while (true)
        {
            var newline = _buffer.AsSpan(scanFrom, _end - scanFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var lineEnd = scanFrom + newline;
                var content = _buffer.AsSpan(_start, lineEnd - _start);
                _start = lineEnd + 1;
                if (skipping) { Error = $"line longer than {MaxLineBytes} bytes"; return LineStatus.TooLong; }
                line = content.Length > 0 && content[^1] == (byte)'\r' ? content[..^1] : content;
                return LineStatus.Line;
            }
            if (_eof)
            {
                if (_start == _end) return LineStatus.End;
                var content = _buffer.AsSpan(_start, _end - _start);
                _start = _end;
                if (skipping) { Error = $"line longer than {MaxLineBytes} bytes"; return LineStatus.TooLong; }
                // Writers end every line with '\n': a last line without one is what a cut-off file leaves.
                line = content;
                return LineStatus.Unterminated;
            }
            // No newline in what we hold: make room and read more.
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= MaxLineBytes)
                {
                    skipping = true; // keep reading until the newline, then report the line as too long
                    _end = 0;
                }
                else
                {
                    Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes));
                }
            }
            scanFrom = _end;
            int read;
            try
            {
                read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                Error = ex.Message;
                _eof = true;
                _start = _end = 0; // a partial last line before the error is not trustworthy
                return LineStatus.Failed;
            }
            if (read == 0) _eof = true;
            _end += read;
        }
    }

    public void Dispose() => _stream.Dispose();
}

internal enum LineStatus
{
    Line,
    End,
    TooLong,
    Failed,
    /// <summary>Bytes after the last '\n' at the end of the stream (in <c>line</c>).</summary>
    Unterminated,
}
