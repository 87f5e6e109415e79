using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace MarketData.LoadGeneration;

/// <summary>
/// One combined-stream WebSocket of the load server: a bounded outbound queue filled by the scheduler and drained by
/// one sender loop. The queue holds whole frames (<c>{"stream":..,"data":..}</c>) length-prefixed in pooled chunks,
/// so queuing is a copy, not an allocation. When a frame would take the unsent bytes beyond the bound, the
/// connection is a slow consumer: it is cut off (as Binance does) and what it had queued is dropped and counted,
/// so a reader that stalls costs the server at most the bound.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The SemaphoreSlim never allocates a wait handle; the scheduler may still signal a finished connection, which must not throw.")]
internal sealed class LoadConnection
{
    private const int ChunkSize = 32 * 1024;
    private const int SpareChunks = 4;

    private sealed class Chunk(byte[] buffer)
    {
        public byte[] Buffer = buffer;
        public int Length;
        public int Frames;
    }

    private readonly object _gate = new();
    private List<Chunk> _queue = [];
    private List<Chunk> _sending = [];
    private readonly Stack<Chunk> _spare = new();
    private Chunk? _tail;
    private long _queuedBytes;
    private int _queuedFrames;
    private bool _closed;
    private int _signalled;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly WebSocket _socket;
    private readonly HttpContext _context;
    private readonly BinanceLoadServer _server;
    private readonly long _maxQueuedBytes;

    public LoadConnection(int id, IReadOnlyList<string> streams, WebSocket socket, HttpContext context, BinanceLoadServer server, long maxQueuedBytes)
    {
        Id = id;
        Streams = streams;
        _socket = socket;
        _context = context;
        _server = server;
        _maxQueuedBytes = maxQueuedBytes;
    }

    public int Id { get; }
    public IReadOnlyList<string> Streams { get; }
    public bool IsClosed { get { lock (_gate) return _closed; } }
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>
    /// Queues <c>prefix + payload + '}'</c> as one frame. False when the connection is closed, or when this frame made it a
    /// slow consumer (it is then being cut off). Called by the scheduler only.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload)
    {
        var size = prefix.Length + payload.Length + 1;
        var slow = false;
        long dropped = 0;
        long queued;
        lock (_gate)
        {
            if (_closed) return false;
            if (_queuedBytes + size > _maxQueuedBytes)
            {
                _closed = true;
                slow = true;
                dropped = _queuedFrames + 1;
                queued = _queuedBytes;
            }
            else
            {
                var need = size + 4;
                var tail = _tail;
                if (tail is null || tail.Length + need > tail.Buffer.Length)
                {
                    tail = Rent(need);
                    _queue.Add(tail);
                    _tail = tail;
                }
                var span = tail.Buffer.AsSpan(tail.Length);
                BinaryPrimitives.WriteInt32LittleEndian(span, size);
                prefix.CopyTo(span[4..]);
                payload.CopyTo(span[(4 + prefix.Length)..]);
                span[4 + prefix.Length + payload.Length] = (byte)'}';
                tail.Length += need;
                tail.Frames++;
                _queuedFrames++;
                queued = _queuedBytes += size;
            }
        }
        _server.ObserveQueued(queued);
        if (slow)
        {
            _server.OnSlowConsumer(this, dropped);
            Abort();
            return false;
        }
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _signal.Release();
        return true;
    }

    private Chunk Rent(int need)
    {
        if (need <= ChunkSize && _spare.TryPop(out var spare))
        {
            spare.Length = 0;
            spare.Frames = 0;
            return spare;
        }
        return new Chunk(ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, need)));
    }

    private void Recycle(Chunk chunk)
    {
        if (chunk.Buffer.Length == ChunkSize && _spare.Count < SpareChunks) _spare.Push(chunk);
        else ArrayPool<byte>.Shared.Return(chunk.Buffer);
    }

    /// <summary>Sends queued frames until the connection closes; one per connection, the socket's only writer.</summary>
    public async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _signalled, 0);
                List<Chunk> batch;
                lock (_gate)
                {
                    if (_closed) return;
                    if (_queue.Count == 0) continue;
                    batch = _queue;
                    _queue = _sending;
                    _sending = batch;
                    _tail = null;
                }
                for (var c = 0; c < batch.Count; c++)
                {
                    var chunk = batch[c];
                    long bytes = 0;
                    var offset = 0;
                    while (offset < chunk.Length)
                    {
                        var length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Buffer.AsSpan(offset));
                        await _socket.SendAsync(chunk.Buffer.AsMemory(offset + 4, length), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                        offset += 4 + length;
                        bytes += length;
                    }
                    _server.OnSent(chunk.Frames, bytes);
                    lock (_gate)
                    {
                        _queuedBytes -= bytes;
                        _queuedFrames -= chunk.Frames;
                        batch[c] = null!;
                        Recycle(chunk);
                        if (_closed) return;
                    }
                }
                batch.Clear();
            }
        }
        finally
        {
            Close();
            ReleaseBuffers();
        }
    }

    /// <summary>Stops queuing and wakes the sender so it ends.</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
        _signal.Release();
    }

    /// <summary>Drops the connection without a close handshake (network failure, slow consumer).</summary>
    public void Abort()
    {
        Close();
        try { _socket.Abort(); } catch (ObjectDisposedException) { }
        // The request may have ended meanwhile (the client left while the server shut down): nothing left to abort.
        try { _context.Abort(); } catch (ObjectDisposedException) { }
    }

    private void ReleaseBuffers()
    {
        lock (_gate)
        {
            foreach (var list in new[] { _queue, _sending })
            {
                foreach (var chunk in list)
                    if (chunk is not null) ArrayPool<byte>.Shared.Return(chunk.Buffer);
                list.Clear();
            }
            while (_spare.TryPop(out var spare)) ArrayPool<byte>.Shared.Return(spare.Buffer);
            _tail = null;
            _queuedBytes = 0;
            _queuedFrames = 0;
        }
    }
}
