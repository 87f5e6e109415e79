using System.Buffers;
using System.Net.WebSockets;

namespace MarketData.Exchanges.Binance;

/// <summary>
/// One combined-stream WebSocket connection and its receive loop. Frames are reassembled from fragments
/// into a pooled buffer and handed to <see cref="FrameHandler"/> with this connection's own parser.
/// Server pings are answered by the .NET WebSocket itself; our keep-alive pings with a timeout detect a
/// dead peer. The loop never throws: it ends and reports why through <see cref="Completion"/>.
/// </summary>
internal sealed class BinanceConnection : IAsyncDisposable
{
    /// <summary>Frames above this are not Binance's; the loop drops them as malformed instead of growing forever.</summary>
    internal const int MaxFrameBytes = 8 * 1024 * 1024;

    private static int s_nextId;
    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    internal delegate void FrameHandler(BinanceConnection connection, BinanceFrameParser parser, ReadOnlySpan<byte> frame, bool oversized);

    private readonly TimeProvider _time;
    private long _lastFrameTimestamp;
    private bool _receivedAnyFrame;

    private BinanceConnection(ClientWebSocket socket, int shard, TimeProvider time)
    {
        _socket = socket;
        _time = time;
        var openedAtTimestamp = time.GetTimestamp();
        _lastFrameTimestamp = openedAtTimestamp;
        Shard = shard;
        OpenedAtTimestamp = openedAtTimestamp;
        Id = Interlocked.Increment(ref s_nextId);
    }

    public int Id { get; }
    public int Shard { get; }
    public long OpenedAtTimestamp { get; }
    /// <summary>We closed it on purpose (handover, shutdown): its end is not a loss.</summary>
    public bool ClosingByUs { get; private set; }
    /// <summary>Completes with the reason the receive loop ended.</summary>
    public Task<string> Completion => _completion.Task;
    public bool IsOpen => !_completion.Task.IsCompleted;

    /// <summary>When the last complete frame arrived (<see cref="TimeProvider.GetTimestamp"/> units): proof that data flows, not just that the socket is open.</summary>
    public long LastFrameTimestamp => Interlocked.Read(ref _lastFrameTimestamp);

    /// <summary>At least one complete frame arrived (until then <see cref="LastFrameTimestamp"/> is the opening time).</summary>
    public bool ReceivedAnyFrame => Volatile.Read(ref _receivedAnyFrame);

    public static async Task<BinanceConnection> ConnectAsync(Uri uri, int shard, BinanceFeedOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = options.KeepAliveInterval;
        socket.Options.KeepAliveTimeout = options.KeepAliveTimeout;
        try
        {
            // I/O guards run on real time on purpose: they protect against the network, not business timing,
            // and must fire even when tests drive the injected clock by hand.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            await socket.ConnectAsync(uri, linked.Token).ConfigureAwait(false);
            return new BinanceConnection(socket, shard, time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts the receive loop (once).</summary>
    public void Start(FrameHandler handler)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        _ = Task.Run(() => ReceiveLoopAsync(handler));
    }

    private async Task ReceiveLoopAsync(FrameHandler handler)
    {
        var parser = new BinanceFrameParser();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var reason = "closed";
        try
        {
            while (true)
            {
                var count = 0;
                var oversized = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        if (buffer.Length >= MaxFrameBytes) { oversized = true; count = 0; }
                        else
                        {
                            var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                            buffer.AsSpan(0, count).CopyTo(bigger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = bigger;
                        }
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), _stop.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        reason = $"server closed the connection ({_socket.CloseStatus} {_socket.CloseStatusDescription})";
                        if (_socket.State == WebSocketState.CloseReceived)
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false);
                        return;
                    }
                    count += result.Count;
                }
                while (!result.EndOfMessage);
                Interlocked.Exchange(ref _lastFrameTimestamp, _time.GetTimestamp());
                if (!_receivedAnyFrame) Volatile.Write(ref _receivedAnyFrame, true);
                handler(this, parser, buffer.AsSpan(0, count), oversized);
            }
        }
        catch (OperationCanceledException) { reason = ClosingByUs ? "closed by us" : "cancelled"; }
        catch (WebSocketException ex) { reason = $"connection lost: {ex.Message}"; }
        catch (Exception ex) { reason = $"receive loop failed: {ex.GetType().Name}: {ex.Message}"; }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            // The loop is the socket's last reader: release it now (Close/Abort after this are harmless no-ops),
            // so a feed that reconnects for weeks holds no dead sockets.
            _socket.Dispose();
            _completion.TrySetResult(ClosingByUs ? "closed by us" : reason);
        }
    }

    /// <summary>Closes with a close handshake (so the server sees the client leave), aborting if it takes too long.</summary>
    public async Task CloseAsync(string description)
    {
        ClosingByUs = true;
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)); // real-time I/O guard
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, description, timeout.Token).ConfigureAwait(false);
                if (_started != 0)
                    await Task.WhenAny(Completion, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            _stop.Cancel();
            _socket.Abort();
            if (_started == 0) _completion.TrySetResult("closed by us");
        }
    }

    public async ValueTask DisposeAsync()
    {
        ClosingByUs = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        if (_started != 0) await Completion.ConfigureAwait(false);
        _socket.Dispose();
        _stop.Dispose();
    }
}
