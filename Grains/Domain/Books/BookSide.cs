using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// One side of an L2 book as two parallel arrays sorted ascending by key, with the best level at the
/// END: bids use the price as key, asks the negated price, so both sides share one code path and the
/// levels that change most (near the top) sit where inserts and removals shift the fewest elements.
/// Keys and quantities are separate arrays so the binary search touches only the keys.
/// </summary>
internal sealed class BookSide
{
    private long[] _keys;
    private long[] _quantities;
    private int _count;
    private readonly bool _negate;

    public BookSide(bool isAsk, int initialCapacity = 256)
    {
        _negate = isAsk;
        _keys = new long[initialCapacity];
        _quantities = new long[initialCapacity];
    }

    public int Count => _count;

    public bool TryGetBest(out PriceLevel level)
    {
        if (_count == 0)
        {
            level = default;
            return false;
        }
        var i = _count - 1;
        level = new PriceLevel(PriceOf(_keys[i]), _quantities[i]);
        return true;
    }

    /// <summary>The level <paramref name="rank"/> places from the top (0 = best).</summary>
    public PriceLevel At(int rank)
    {
        var i = _count - 1 - rank;
        return new PriceLevel(PriceOf(_keys[i]), _quantities[i]);
    }

    public void Clear() => _count = 0;

    /// <summary>Sets a level's absolute quantity; 0 removes it (removing a missing level is a no-op).</summary>
    public void Set(long price, long quantity)
    {
        var key = _negate ? -price : price;
        var index = Find(key);
        if (index >= 0)
        {
            if (quantity == 0) RemoveAt(index);
            else _quantities[index] = quantity;
        }
        else if (quantity != 0)
        {
            InsertAt(~index, key, quantity);
        }
    }

    /// <summary>Replaces the whole side with <paramref name="levels"/> (any order). Returns false on a duplicate price.</summary>
    public bool Load(ReadOnlySpan<PriceLevel> levels)
    {
        EnsureCapacity(levels.Length);
        var n = 0;
        foreach (var level in levels)
        {
            if (level.Quantity == 0) continue;
            _keys[n] = _negate ? -level.Price : level.Price;
            _quantities[n] = level.Quantity;
            n++;
        }
        Array.Sort(_keys, _quantities, 0, n);
        _count = n;
        for (var i = 1; i < n; i++)
        {
            if (_keys[i] == _keys[i - 1])
            {
                _count = 0;
                return false;
            }
        }
        return true;
    }

    public int CopyTo(Span<PriceLevel> destination)
    {
        var n = Math.Min(destination.Length, _count);
        for (var rank = 0; rank < n; rank++)
        {
            var i = _count - 1 - rank;
            destination[rank] = new PriceLevel(PriceOf(_keys[i]), _quantities[i]);
        }
        return n;
    }

    public void CopyFrom(BookSide other)
    {
        EnsureCapacity(other._count);
        Array.Copy(other._keys, _keys, other._count);
        Array.Copy(other._quantities, _quantities, other._count);
        _count = other._count;
    }

    private long PriceOf(long key) => _negate ? -key : key;

    private int Find(long key)
    {
        // Most updates touch the top few levels, which live at the end: check the best first.
        var hi = _count - 1;
        if (hi < 0) return ~0;
        var top = _keys[hi];
        if (key > top) return ~_count;
        if (key == top) return hi;

        var lo = 0;
        hi--;
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var k = _keys[mid];
            if (k == key) return mid;
            if (k < key) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    private void InsertAt(int index, long key, long quantity)
    {
        if (_count == _keys.Length) EnsureCapacity(_count + 1);
        var tail = _count - index;
        if (tail > 0)
        {
            Array.Copy(_keys, index, _keys, index + 1, tail);
            Array.Copy(_quantities, index, _quantities, index + 1, tail);
        }
        _keys[index] = key;
        _quantities[index] = quantity;
        _count++;
    }

    private void RemoveAt(int index)
    {
        var tail = _count - index - 1;
        if (tail > 0)
        {
            Array.Copy(_keys, index + 1, _keys, index, tail);
            Array.Copy(_quantities, index + 1, _quantities, index, tail);
        }
        _count--;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _keys.Length) return;
        var size = Math.Max(needed, _keys.Length * 2);
        Array.Resize(ref _keys, size);
        Array.Resize(ref _quantities, size);
    }
}
