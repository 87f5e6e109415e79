namespace MarketData.Domain.Pivots;

/// <summary>
/// FIFO of structs addressed by an absolute sequence number, stored in fixed 4,096-element chunks: memory follows the
/// count (no doubling slack, which matters at a million pivots), appends and front removals are O(1), and random
/// access by sequence (for binary search and level-k references) is a shift and a mask.
/// </summary>
internal sealed class ChunkedQueue<T> where T : struct
{
    private const int Shift = 12;
    private const int ChunkSize = 1 << Shift;
    private const int Mask = ChunkSize - 1;

    private readonly List<T[]> _chunks = [];
    private T[]? _spare; // one emptied chunk kept so a steady sliding window does not churn the GC
    private int _head;   // offset of the first element in _chunks[0]

    /// <summary>Sequence number of the first element (grows as elements are removed).</summary>
    public long FirstSeq { get; private set; }

    public int Count { get; private set; }

    public long EndSeq => FirstSeq + Count;

    public long AllocatedBytes => (long)(_chunks.Count + (_spare is null ? 0 : 1)) * ChunkSize * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Empties the queue and makes <paramref name="firstSeq"/> the next sequence number (snapshot import).</summary>
    public void Reset(long firstSeq)
    {
        _chunks.Clear();
        _head = 0;
        Count = 0;
        FirstSeq = firstSeq;
    }

    public void Add(in T item)
    {
        var offset = _head + Count;
        var chunk = offset >> Shift;
        if (chunk == _chunks.Count)
        {
            _chunks.Add(_spare ?? new T[ChunkSize]);
            _spare = null;
        }
        _chunks[chunk][offset & Mask] = item;
        Count++;
    }

    public ref readonly T this[long seq]
    {
        get
        {
            var offset = _head + (int)(seq - FirstSeq);
            return ref _chunks[offset >> Shift][offset & Mask];
        }
    }

    public ref readonly T First => ref _chunks[0][_head];

    public void RemoveFirst()
    {
        _head++;
        FirstSeq++;
        Count--;
        if (_head == ChunkSize)
        {
            _spare = _chunks[0];
            _chunks.RemoveAt(0); // a few hundred references at most, once per 4,096 removals
            _head = 0;
        }
        if (Count == 0 && _chunks.Count > 0)
        {
            _spare ??= _chunks[0];
            _chunks.Clear();
            _head = 0;
        }
    }
}
