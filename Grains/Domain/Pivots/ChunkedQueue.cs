namespace MarketData.Domain.Pivots;

/// <summary>
/// FIFO of structs addressed by an absolute sequence number, stored in fixed 4,096-element chunks: memory follows the
/// count (no doubling slack, which matters at a million pivots), appends and front removals are O(1), and random
/// access by sequence (for binary search and level-k references) is a shift and a mask. The first chunk starts small
/// and doubles (or compacts a sliding window back to its start) until it is a full chunk: a silo following the whole
/// market holds 32 queues per symbol, most of them a few dozen points long, and 32 full chunks would be 2 MB a symbol.
/// </summary>
internal sealed class ChunkedQueue<T> where T : struct
{
    private const int Shift = 12;
    private const int ChunkSize = 1 << Shift;
    private const int Mask = ChunkSize - 1;
    private const int FirstChunkSize = 64;

    private readonly List<T[]> _chunks = [];
    private T[]? _spare; // one emptied chunk kept so a steady sliding window does not churn the GC
    private int _head;   // offset of the first element in _chunks[0]

    /// <summary>Sequence number of the first element (grows as elements are removed).</summary>
    public long FirstSeq { get; private set; }

    public int Count { get; private set; }

    public long EndSeq => FirstSeq + Count;

    public long AllocatedBytes
    {
        get
        {
            long elements = _spare?.Length ?? 0;
            foreach (var chunk in _chunks) elements += chunk.Length;
            return elements * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        }
    }

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
            _chunks.Add(_spare ?? new T[chunk == 0 ? FirstChunkSize : ChunkSize]);
            _spare = null;
        }
        else if (chunk == 0 && offset == _chunks[0].Length)
        {
            offset = MakeRoomInFirstChunk();
        }
        _chunks[chunk][offset & Mask] = item;
        Count++;
    }

    /// <summary>The only chunk is short and full up to its end: slide the points to its start when at most half of it is
    /// in use (a steady window stays put), otherwise double it. Returns the offset of the next free element.</summary>
    private int MakeRoomInFirstChunk()
    {
        var first = _chunks[0];
        if (Count <= first.Length / 2)
        {
            Array.Copy(first, _head, first, 0, Count);
            Array.Clear(first, Count, first.Length - Count);
            _head = 0;
            return Count;
        }
        var grown = new T[first.Length * 2];
        Array.Copy(first, _head, grown, 0, Count);
        _chunks[0] = grown;
        _head = 0;
        return Count;
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
            _spare = _chunks[0]; // a full chunk: the first one grows to ChunkSize before a second is added
            _chunks.RemoveAt(0); // a few hundred references at most, once per 4,096 removals
            _head = 0;
        }
        if (Count == 0 && _chunks.Count > 0)
        {
            if (_chunks[0].Length == ChunkSize) _spare ??= _chunks[0];
            _chunks.Clear();
            _head = 0;
        }
    }
}
