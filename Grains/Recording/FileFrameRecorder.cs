using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace MarketData.Recording;

/// <summary>
/// Writes frames to <c>DIR/&lt;feedId&gt;-&lt;yyyyMMddTHHmmssZ&gt;.rec.gz</c> in the project's recording format
/// (<see cref="RecordingFormat"/>), gzip at the fastest level, rolling to a new file every
/// <see cref="RollInterval"/>. <see cref="Record"/> copies the payload into a bounded channel and returns at once;
/// one background task does all file work, so a slow disk never stalls a receive loop. When the channel is full
/// the record is dropped and counted (<see cref="DroppedRecords"/>); the writer logs the count.
/// </summary>
public sealed class FileFrameRecorder : IFrameRecorder, IAsyncDisposable
{
    /// <summary>Default channel capacity: at ~1,000 frames/s this is more than a minute of backlog.</summary>
    public const int DefaultCapacity = 65_536;

    private const int StagingFlushBytes = 64 * 1024;

    private readonly string _directory;
    private readonly string _feedId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PendingRecord> _channel;
    private readonly Task _writer;
    private readonly ArrayBufferWriter<byte> _staging = new(StagingFlushBytes * 2);
    private long _dropped, _written, _filesOpened;
    private int _staged; // records in _staging, not yet handed to the compressor
    private long _droppedReported;
    private DateTimeOffset _droppedReportedAt;

    // Writer-task state only.
    private FileStream? _file;
    private GZipStream? _gzip;
    private DateTimeOffset _openedAt;
    private DateTimeOffset _lastFlush;
    private DateTimeOffset _retryOpenAfter;
    private bool _unflushed;
    private volatile string? _currentPath;

    public FileFrameRecorder(string directory, string feedId, TimeProvider time, ILogger logger, int capacity = DefaultCapacity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(feedId);
        if (feedId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) throw new ArgumentException($"Feed id '{feedId}' cannot be part of a file name.", nameof(feedId));
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _directory = directory;
        _feedId = feedId;
        _time = time;
        _logger = logger;
        _channel = Channel.CreateBounded<PendingRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: "full" means false, never a wait
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>How long one file covers before the recorder rolls to a new one.</summary>
    public TimeSpan RollInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often buffered data is pushed to disk while frames keep coming or the feed goes quiet.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Records thrown away because the channel was full, the recorder was disposed, or the disk failed.</summary>
    public long DroppedRecords => Interlocked.Read(ref _dropped);

    /// <summary>Records handed to the compressor.</summary>
    public long WrittenRecords => Interlocked.Read(ref _written);

    public long FilesOpened => Interlocked.Read(ref _filesOpened);

    /// <summary>The file being written, or null before the first record or after a disk failure.</summary>
    public string? CurrentPath => _currentPath;

    public void Record(DateTime receivedAtUtc, string source, ReadOnlySpan<byte> payload)
    {
        if (!RecordingFormat.IsValidSource(source)) throw new ArgumentException($"Recording source '{source}' must be non-empty printable ASCII without spaces.", nameof(source));
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        var record = new PendingRecord(RecordingFormat.ToUnixNanoseconds(receivedAtUtc), source, buffer, payload.Length);
        if (!_channel.Writer.TryWrite(record))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Stops accepting records, writes everything queued, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _channel.Reader;
        try
        {
            while (true)
            {
                var wait = reader.WaitToReadAsync().AsTask();
                if (!wait.IsCompleted && _unflushed)
                {
                    // Quiet feed with data still in the compressor: wake up to flush it.
                    var delay = Task.Delay(FlushInterval, _time);
                    if (await Task.WhenAny(wait, delay).ConfigureAwait(false) == delay) FlushToDisk();
                }
                if (!await wait.ConfigureAwait(false)) break;
                while (reader.TryRead(out var record))
                {
                    try
                    {
                        Write(record);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(record.Buffer);
                    }
                }
                WriteStaging();
                if (_unflushed && _time.GetUtcNow() - _lastFlush >= FlushInterval) FlushToDisk();
                ReportDrops(force: false);
            }
        }
        catch (Exception ex)
        {
            // A bug, not a data problem: never let it vanish unobserved.
            _logger.LogError(ex, "Recorder {FeedId}: writer stopped unexpectedly", _feedId);
        }
        finally
        {
            WriteStaging();
            CloseFile();
            ReportDrops(force: true);
        }
    }

    private void Write(in PendingRecord record)
    {
        var now = _time.GetUtcNow();
        if (_gzip is not null && now - _openedAt >= RollInterval)
        {
            WriteStaging();
            CloseFile();
        }
        if (_gzip is null && !TryOpenFile(now))
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        RecordingFormat.WriteLine(_staging, record.ReceiveUnixNs, record.Source, record.Buffer.AsSpan(0, record.Length));
        _staged++;
        if (_staging.WrittenCount >= StagingFlushBytes) WriteStaging();
    }

    private bool TryOpenFile(DateTimeOffset now)
    {
        if (now < _retryOpenAfter) return false;
        try
        {
            Directory.CreateDirectory(_directory);
            var stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            for (var attempt = 0; ; attempt++)
            {
                var name = attempt == 0 ? $"{_feedId}-{stamp}.rec.gz" : $"{_feedId}-{stamp}-{attempt}.rec.gz";
                var path = Path.Combine(_directory, name);
                try
                {
                    _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
                    _currentPath = path;
                    break;
                }
                catch (IOException) when (attempt < 100 && File.Exists(path))
                {
                    // Same second as an earlier file (restart): take the next suffix.
                }
            }
            _gzip = new GZipStream(_file, CompressionLevel.Fastest, leaveOpen: false);
            _openedAt = now;
            _lastFlush = now;
            Interlocked.Increment(ref _filesOpened);
            _logger.LogInformation("Recorder {FeedId}: writing {Path}", _feedId, _currentPath);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _file?.Dispose();
            _file = null;
            _currentPath = null;
            _retryOpenAfter = now + TimeSpan.FromMinutes(1);
            _logger.LogError(ex, "Recorder {FeedId}: cannot open a recording file in {Directory}; dropping records, retrying in 1 minute", _feedId, _directory);
            return false;
        }
    }

    private void WriteStaging()
    {
        if (_staging.WrittenCount == 0) return;
        var written = false;
        if (_gzip is not null)
        {
            try
            {
                _gzip.Write(_staging.WrittenSpan);
                _unflushed = true;
                written = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                FailFile(ex);
            }
        }
        if (written) Interlocked.Add(ref _written, _staged);
        else Interlocked.Add(ref _dropped, _staged);
        _staged = 0;
        _staging.ResetWrittenCount();
    }

    private void FlushToDisk()
    {
        WriteStaging();
        if (_gzip is null) return;
        try
        {
            _gzip.Flush();
            _lastFlush = _time.GetUtcNow();
            _unflushed = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            FailFile(ex);
        }
    }

    private void FailFile(Exception ex)
    {
        _logger.LogError(ex, "Recorder {FeedId}: write to {Path} failed; closing it and retrying in 1 minute", _feedId, _currentPath);
        try { _gzip?.Dispose(); } catch (IOException) { }
        _gzip = null;
        _file = null;
        _currentPath = null;
        _unflushed = false;
        _retryOpenAfter = _time.GetUtcNow() + TimeSpan.FromMinutes(1);
    }

    private void CloseFile()
    {
        if (_gzip is null) return;
        try
        {
            _gzip.Dispose(); // writes the gzip trailer and closes the file
        }
        catch (IOException ex)
        {
            _logger.LogError(ex, "Recorder {FeedId}: closing {Path} failed", _feedId, _currentPath);
        }
        _gzip = null;
        _file = null;
        _unflushed = false;
    }

    private void ReportDrops(bool force)
    {
        var dropped = DroppedRecords;
        if (dropped == _droppedReported) return;
        var now = _time.GetUtcNow();
        if (!force && now - _droppedReportedAt < TimeSpan.FromMinutes(1)) return;
        _logger.LogWarning("Recorder {FeedId}: dropped {Dropped} records so far ({New} since the last report): channel full or disk failing", _feedId, dropped, dropped - _droppedReported);
        _droppedReported = dropped;
        _droppedReportedAt = now;
    }

    private readonly record struct PendingRecord(long ReceiveUnixNs, string Source, byte[] Buffer, int Length);
}
