namespace MarketData.Storage.TimeSeries;

/// <summary>
/// A bounded FIFO of rows with one consumer that takes them a batch at a time. A plain lock and a ring that grows up to
/// the bound (so an idle table costs little memory); every accepted row gets the next sequence number under the same
/// lock, which is what lets a flush wait for "everything accepted before now". The consumer sleeps on a task that a
/// producer completes only when the count reaches the level the consumer asked for, so producers pay no signal per row.
/// </summary>
internal sealed class RowQueue<T>
{
    private readonly Lock _lock = new();
    private readonly int _capacity;
    private T[] _ring;
    private int _head;
    private int _count;
    private long _enqueued;
    private long _dequeued;
    private TaskCompletionSource? _waiter;
    private int _wakeAt = int.MaxValue;
    private bool _wakeRequested;
    private TaskCompletionSource? _roomWaiter;
    private int _roomWanted;

    public RowQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _ring = new T[Math.Min(capacity, 1024)];
    }

    public int Capacity => _capacity;

    public int Count { get { lock (_lock) return _count; } }

    /// <summary>Rows accepted so far (the sequence number of the latest one).</summary>
    public long Enqueued { get { lock (_lock) return _enqueued; } }

    /// <summary>Appends unless the queue holds <see cref="Capacity"/> rows.</summary>
    public bool TryEnqueue(in T row)
    {
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            if (_count == _capacity) return false;
            if (_count == _ring.Length) Grow();
            var tail = _head + _count;
            if (tail >= _ring.Length) tail -= _ring.Length;
            _ring[tail] = row;
            _count++;
            _enqueued++;
            if (_waiter is not null && _count >= _wakeAt)
            {
                wake = _waiter;
                _waiter = null;
            }
        }
        wake?.TrySetResult();
        return true;
    }

    /// <summary>Rows taken out so far by <see cref="Drain"/>.</summary>
    public long Dequeued { get { lock (_lock) return _dequeued; } }

    /// <summary>
    /// Moves up to <c>destination.Length</c> rows, oldest first, into <paramref name="destination"/>; returns how many.
    /// <paramref name="firstSequence"/> is the sequence number (1-based, in acceptance order) of the first row moved.
    /// </summary>
    public int Drain(T[] destination, out long firstSequence)
    {
        TaskCompletionSource? room = null;
        int drained;
        lock (_lock)
        {
            var n = Math.Min(_count, destination.Length);
            var first = Math.Min(n, _ring.Length - _head);
            Array.Copy(_ring, _head, destination, 0, first);
            Array.Clear(_ring, _head, first);
            if (n > first)
            {
                Array.Copy(_ring, 0, destination, first, n - first);
                Array.Clear(_ring, 0, n - first);
            }
            _head = (_head + n) % _ring.Length;
            _count -= n;
            firstSequence = _dequeued + 1;
            _dequeued += n;
            drained = n;
            if (_roomWaiter is not null && _capacity - _count >= _roomWanted)
            {
                room = _roomWaiter;
                _roomWaiter = null;
            }
        }
        room?.TrySetResult();
        return drained;
    }

    /// <summary>
    /// Completes when the queue has room for <paramref name="rows"/> more rows (capped at the capacity): back-pressure for
    /// a producer that can wait (a replay, a backfill). With several producers waiting it may complete for the smallest
    /// request, and another producer may take the room first: check and wait again.
    /// </summary>
    public Task WaitForRoomAsync(int rows)
    {
        lock (_lock)
        {
            rows = Math.Clamp(rows, 1, _capacity);
            if (_capacity - _count >= rows) return Task.CompletedTask;
            _roomWanted = _roomWaiter is null ? rows : Math.Min(_roomWanted, rows);
            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _roomWaiter.Task;
        }
    }

    /// <summary>Completes when the queue holds at least <paramref name="rows"/> rows, or when <see cref="Wake"/> is called.</summary>
    public Task WaitForAsync(int rows)
    {
        lock (_lock)
        {
            if (_count >= rows || _wakeRequested)
            {
                _wakeRequested = false;
                return Task.CompletedTask;
            }
            _wakeAt = rows;
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }

    /// <summary>Wakes the consumer now (or at its next wait): a flush wants what is queued written.</summary>
    public void Wake()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            wake = _waiter;
            _waiter = null;
            if (wake is null) _wakeRequested = true;
        }
        wake?.TrySetResult();
    }

    private void Grow()
    {
        var bigger = new T[(int)Math.Min(_capacity, (long)_ring.Length * 2)];
        var first = Math.Min(_count, _ring.Length - _head);
        Array.Copy(_ring, _head, bigger, 0, first);
        Array.Copy(_ring, 0, bigger, first, _count - first);
        _ring = bigger;
        _head = 0;
    }
}
