using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace MarketData.Recording;

/// <summary>The line format of a recording file, decided by its first well-formed line.</summary>
public enum RecordingFileFormat
{
    /// <summary>The project's own <c>&lt;ns&gt; &lt;source&gt; &lt;payload&gt;</c> (see <see cref="RecordingFormat"/>).</summary>
    Native = 0,
    /// <summary>hftbacktest's collector output, <c>&lt;ns&gt; &lt;raw json&gt;</c>: one symbol's streams plus its REST snapshot.</summary>
    Hftbacktest = 1,
}

/// <summary>Files played one after another as one sequence of frames.</summary>
/// <param name="Symbol">The symbol of the files' streams (hftbacktest files), or null for a file of the project's own format, which may hold many symbols.</param>
public sealed record RecordingSession(string? Symbol, RecordingFileFormat Format, IReadOnlyList<string> Files);

/// <summary>A recording file could not be opened or read at all.</summary>
public sealed class RecordingException : IOException
{
    public RecordingException(string message, Exception? inner = null) : base(message, inner) { }
    public RecordingException() { }
    public RecordingException(string message) : base(message) { }
}

/// <summary>
/// Reads recordings (plain or gzip, told apart by the gzip magic bytes, not the file name) in the project's own
/// format and in hftbacktest's. Files of one symbol form one session played in time order (for example the 0808
/// file, then the 0809 file); sessions are merged by receive time, so BTCUSDT and ETHUSDT recorded separately
/// interleave as they were received. Lines are streamed: each session holds one frame of lookahead.
/// A malformed line (no or bad timestamp, unknown source, bad base64) is counted, described in
/// <see cref="Problems"/> with its file and line number, and skipped; it never throws. A file that cannot be
/// opened or whose first bytes cannot be decoded throws <see cref="RecordingException"/>; a file that breaks off
/// later (a recorder that crashed mid-gzip) ends there with a problem noted: a decoding error, or a last line
/// without its newline, which is skipped.
/// </summary>
public sealed class RecordingReader
{
    /// <summary>Problem descriptions kept in <see cref="Problems"/>; all are counted.</summary>
    public const int MaxProblemsKept = 100;

    /// <summary>How far ahead a file is scanned for its stream symbol (the snapshot may come before any stream line).</summary>
    public const int ProbeLines = 10_000;

    private static readonly byte[] StreamKey = "\"stream\":\""u8.ToArray();
    private static readonly byte[] SymbolKey = "\"s\":\""u8.ToArray();
    private static readonly byte[] LastUpdateIdKey = "\"lastUpdateId\""u8.ToArray();

    private readonly string[] _files;
    private readonly Action<string>? _onProblem;
    private readonly List<string> _problems = [];
    private readonly Dictionary<string, string> _symbols = new(StringComparer.Ordinal);
    private long _linesRead, _framesRead, _malformed;
    private IReadOnlyList<RecordingSession>? _sessions;

    /// <param name="files">Recording files, in any order.</param>
    /// <param name="onProblem">Called (on the reading thread) for every malformed line or truncated file.</param>
    public RecordingReader(IEnumerable<string> files, Action<string>? onProblem = null)
    {
        _files = files.ToArray();
        if (_files.Length == 0) throw new ArgumentException("At least one recording file is needed.", nameof(files));
        _onProblem = onProblem;
    }

    /// <summary>Lines read so far, well-formed or not.</summary>
    public long LinesRead => Interlocked.Read(ref _linesRead);

    /// <summary>Frames yielded so far.</summary>
    public long FramesRead => Interlocked.Read(ref _framesRead);

    /// <summary>Lines skipped as malformed (plus files that broke off).</summary>
    public long MalformedLines => Interlocked.Read(ref _malformed);

    /// <summary>The first <see cref="MaxProblemsKept"/> problem descriptions (<c>file:line: reason</c>).</summary>
    public IReadOnlyList<string> Problems { get { lock (_problems) return _problems.ToArray(); } }

    /// <summary>
    /// Opens every file's first lines to learn its format, first receive time and symbol, and groups the files into
    /// sessions. Throws <see cref="RecordingException"/> for a missing or undecodable file. Called by <see cref="ReadFrames"/>.
    /// </summary>
    public IReadOnlyList<RecordingSession> Plan()
    {
        if (_sessions is not null) return _sessions;
        var probes = new List<FileProbe>(_files.Length);
        for (var i = 0; i < _files.Length; i++) probes.Add(Probe(_files[i], i));

        var sessions = new List<(string? Symbol, RecordingFileFormat Format, List<FileProbe> Files)>();
        foreach (var probe in probes)
        {
            var existing = probe.Format == RecordingFileFormat.Hftbacktest && probe.Symbol is not null
                ? sessions.FindIndex(s => s.Format == RecordingFileFormat.Hftbacktest && s.Symbol == probe.Symbol)
                : -1;
            if (existing >= 0) sessions[existing].Files.Add(probe);
            else sessions.Add((probe.Format == RecordingFileFormat.Hftbacktest ? probe.Symbol : null, probe.Format, [probe]));
        }
        _sessions = sessions
            .Select(s => new RecordingSession(s.Symbol, s.Format,
                s.Files.OrderBy(f => f.FirstTimestamp).ThenBy(f => f.Index).Select(f => f.Path).ToArray()))
            .ToArray();
        return _sessions;
    }

    /// <summary>All frames of all files: each session in file order, sessions merged by receive time (ties: session order).</summary>
    public IEnumerable<RecordedFrame> ReadFrames()
    {
        var sessions = Plan();
        var cursors = new IEnumerator<RecordedFrame>[sessions.Count];
        var queue = new PriorityQueue<int, (long, int)>(sessions.Count);
        try
        {
            for (var i = 0; i < sessions.Count; i++)
            {
                cursors[i] = ReadSession(sessions[i]).GetEnumerator();
                if (cursors[i].MoveNext()) queue.Enqueue(i, (cursors[i].Current.ReceivedAtNs, i));
            }
            while (queue.TryDequeue(out var index, out _))
            {
                var cursor = cursors[index];
                var frame = cursor.Current;
                // Advance before yielding so the consumer may hold the frame while we read on.
                if (cursor.MoveNext()) queue.Enqueue(index, (cursor.Current.ReceivedAtNs, index));
                Interlocked.Increment(ref _framesRead);
                yield return frame;
            }
        }
        finally
        {
            foreach (var cursor in cursors) cursor?.Dispose();
        }
    }

    /// <summary>Reads one file on its own (no grouping), for tools and tests.</summary>
    public static IEnumerable<RecordedFrame> ReadFile(string path, Action<string>? onProblem = null)
        => new RecordingReader([path], onProblem).ReadFrames();

    private IEnumerable<RecordedFrame> ReadSession(RecordingSession session)
    {
        foreach (var file in session.Files)
            foreach (var frame in ReadFileLines(file, session.Format == RecordingFileFormat.Hftbacktest ? session.Symbol : null))
                yield return frame;
    }

    private IEnumerable<RecordedFrame> ReadFileLines(string path, string? fileSymbol)
    {
        using var reader = new LineReader(OpenDecoded(path));
        var lineNumber = 0L;
        while (true)
        {
            var frame = NextFrame(reader, path, fileSymbol, ref lineNumber, out var done);
            if (done) yield break;
            if (frame is { } f) yield return f;
        }
    }

    /// <summary>One line: a frame, null for a malformed line (counted), or <paramref name="done"/> at the end.</summary>
    private RecordedFrame? NextFrame(LineReader reader, string path, string? fileSymbol, ref long lineNumber, out bool done)
    {
        done = false;
        var status = reader.ReadLine(out var line);
        switch (status)
        {
            case LineStatus.End:
                done = true;
                return null;
            case LineStatus.Failed:
                done = true;
                Problem($"{path}:{lineNumber + 1}: file breaks off: {reader.Error}");
                return null;
            case LineStatus.TooLong:
                lineNumber++;
                Interlocked.Increment(ref _linesRead);
                Problem($"{path}:{lineNumber}: {reader.Error}");
                return null;
            case LineStatus.Unterminated:
                // gzip streams that break off often decode without an error: the unfinished line is the only sign.
                lineNumber++;
                Interlocked.Increment(ref _linesRead);
                Problem($"{path}:{lineNumber}: last line has no newline (file cut off?): skipped");
                return null;
        }
        lineNumber++;
        Interlocked.Increment(ref _linesRead);
        if (TryParseLine(line, fileSymbol, out var frame, out var error)) return frame;
        Problem($"{path}:{lineNumber}: {error}");
        return null;
    }

    private void Problem(string message)
    {
        Interlocked.Increment(ref _malformed);
        lock (_problems)
            if (_problems.Count < MaxProblemsKept) _problems.Add(message);
        _onProblem?.Invoke(message);
    }

    private bool TryParseLine(ReadOnlySpan<byte> line, string? fileSymbol, out RecordedFrame frame, out string? error)
    {
        frame = default;
        if (!TryParseHeader(line, out var receivedAtNs, out var rest, out error)) return false;
        if (rest[0] == (byte)'{')
        {
            // hftbacktest: the JSON follows the timestamp directly; a REST body is told apart by its first key.
            var source = IsRestDepthBody(rest) ? FrameSource.RestDepth : FrameSource.WebSocket;
            frame = new RecordedFrame(receivedAtNs, source, source == FrameSource.RestDepth ? fileSymbol : null, rest.ToArray());
            return true;
        }
        var space = rest.IndexOf((byte)' ');
        if (space <= 0) { error = "no payload after the source"; return false; }
        var sourceToken = rest[..space];
        var payload = rest[(space + 1)..];
        var base64 = sourceToken.EndsWith(";b64"u8);
        if (base64) sourceToken = sourceToken[..^4];
        FrameSource kind;
        string? symbol = null;
        if (sourceToken.SequenceEqual("ws"u8))
        {
            kind = FrameSource.WebSocket;
        }
        else if (sourceToken.StartsWith("rest:depth:"u8) && sourceToken.Length > "rest:depth:".Length)
        {
            kind = FrameSource.RestDepth;
            symbol = Intern(sourceToken["rest:depth:".Length..]);
            if (symbol is null) { error = $"bad symbol in source '{Printable(sourceToken)}'"; return false; }
        }
        else
        {
            error = $"unknown source '{Printable(sourceToken)}'";
            return false;
        }
        byte[] bytes;
        if (base64)
        {
            bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(payload.Length)];
            if (Base64.DecodeFromUtf8(payload, bytes, out _, out var written) != OperationStatus.Done) { error = "bad base64 payload"; return false; }
            Array.Resize(ref bytes, written);
        }
        else
        {
            bytes = payload.ToArray();
        }
        frame = new RecordedFrame(receivedAtNs, kind, symbol, bytes);
        return true;
    }

    /// <summary>Splits off and checks the timestamp; <paramref name="rest"/> is non-empty on success.</summary>
    private static bool TryParseHeader(ReadOnlySpan<byte> line, out long receivedAtNs, out ReadOnlySpan<byte> rest, out string? error)
    {
        receivedAtNs = 0;
        rest = default;
        error = null;
        if (line.IsEmpty) { error = "empty line"; return false; }
        var space = line.IndexOf((byte)' ');
        var token = space < 0 ? line : line[..space];
        if (token.IsEmpty || token[0] is < (byte)'0' or > (byte)'9') { error = "no timestamp at the start of the line"; return false; }
        if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out receivedAtNs) || receivedAtNs <= 0)
        {
            error = $"bad timestamp '{Printable(token)}'";
            return false;
        }
        if (space < 0 || space == line.Length - 1) { error = "nothing after the timestamp"; return false; }
        rest = line[(space + 1)..];
        return true;
    }

    private static bool IsRestDepthBody(ReadOnlySpan<byte> json)
    {
        var head = json[..Math.Min(json.Length, 32)];
        return head.IndexOf(StreamKey) < 0 && head.IndexOf(LastUpdateIdKey) >= 0;
    }

    private string? Intern(ReadOnlySpan<byte> symbolBytes)
    {
        if (symbolBytes.Length is 0 or > 32) return null;
        Span<char> chars = stackalloc char[symbolBytes.Length];
        for (var i = 0; i < symbolBytes.Length; i++)
        {
            var c = (char)symbolBytes[i];
            if (c is >= 'a' and <= 'z') c = (char)(c - 32);
            if (!(c is >= 'A' and <= 'Z' || c is >= '0' and <= '9' || c is '-' or '_' or '/')) return null;
            chars[i] = c;
        }
        var lookup = _symbols.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars, out var existing)) return existing;
        var symbol = new string(chars);
        _symbols[symbol] = symbol;
        return symbol;
    }

    /// <summary>The symbol a stream line names: from <c>"stream":"btcusdt@...</c>, else from a <c>"s":"BTCUSDT"</c> field near the start.</summary>
    private string? StreamSymbol(ReadOnlySpan<byte> json)
    {
        var head = json[..Math.Min(json.Length, 256)];
        var at = head.IndexOf(StreamKey);
        if (at >= 0)
        {
            var name = head[(at + StreamKey.Length)..];
            var end = name.IndexOfAny((byte)'@', (byte)'"');
            if (end > 0 && name[end] == (byte)'@') return Intern(name[..end]);
            return null;
        }
        at = head.IndexOf(SymbolKey);
        if (at < 0) return null;
        var value = head[(at + SymbolKey.Length)..];
        var quote = value.IndexOf((byte)'"');
        return quote > 0 ? Intern(value[..quote]) : null;
    }

    private FileProbe Probe(string path, int index)
    {
        using var reader = new LineReader(OpenDecoded(path));
        RecordingFileFormat? format = null;
        var first = long.MaxValue;
        string? symbol = null;
        for (var n = 0; n < ProbeLines; n++)
        {
            var status = reader.ReadLine(out var line);
            if (status == LineStatus.End) break;
            if (status == LineStatus.Failed)
            {
                if (n == 0) throw new RecordingException($"Recording '{path}' is unreadable: {reader.Error}");
                break; // reported with its line number when the file is played
            }
            if (status is not (LineStatus.Line or LineStatus.Unterminated) || !TryParseHeader(line, out var ns, out var rest, out _)) continue;
            first = Math.Min(first, ns);
            var isHft = rest[0] == (byte)'{';
            format ??= isHft ? RecordingFileFormat.Hftbacktest : RecordingFileFormat.Native;
            if (format == RecordingFileFormat.Native) break; // a native file is its own session: nothing more to learn
            if (isHft && !IsRestDepthBody(rest) && StreamSymbol(rest) is { } s)
            {
                symbol = s;
                break;
            }
        }
        return new FileProbe(path, index, format ?? RecordingFileFormat.Native, first, symbol);
    }

    /// <summary>Opens a file, decompressing when it starts with the gzip magic bytes 1f 8b.</summary>
    private static Stream OpenDecoded(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RecordingException($"Recording '{path}' cannot be opened: {ex.Message}", ex);
        }
        try
        {
            Span<byte> magic = stackalloc byte[2];
            var read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(file, CompressionMode.Decompress);
            return file;
        }
        catch (IOException ex)
        {
            file.Dispose();
            throw new RecordingException($"Recording '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var cut = bytes[..Math.Min(bytes.Length, 40)];
        var text = Encoding.UTF8.GetString(cut);
        return bytes.Length > cut.Length ? text + "..." : text;
    }

    private sealed record FileProbe(string Path, int Index, RecordingFileFormat Format, long FirstTimestamp, string? Symbol);
}
