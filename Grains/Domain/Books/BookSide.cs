using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// One side of an L2 book as two parallel arrays sorted ascending by key, with the best level at the
/// END: bids use the price as key, asks the negated price, so both sides share one code path and the
/// best level is read without a search. Keys and quantities are separate arrays so the binary search
/// touches only the keys.
/// <para>
/// Binance diffs insert and remove about 29 levels per 100 ms message all across the depth (measured on
/// the BTCUSDT recording: average rank about 250 of 1,000-2,000), so a dense array shifted about 7,400
/// elements per message. Instead the side is a gapped array: removed levels become tombstones (quantity
/// 0, key kept, so the order stays valid), the layout is rebuilt with a free slot before every level
/// (key - 1, an unused price when the tick is coarser than 1e-8), and an insert shifts only as far as the
/// nearest free slot, which is usually adjacent. A free slot is simply an absent level: a later update
/// at exactly its key revives it in place. The last slot is always live, so the best level is one read.
/// </para>
/// </summary>
internal sealed class BookSide
{
    private const int MaxProbe = 32;
    private const int MinTombstonesBeforeRespread = 64;

    private long[] _keys;
    private long[] _quantities;
    // The layout is rebuilt into these and the pairs swapped, so rebuilding does not allocate.
    private long[] _spareKeys;
    private long[] _spareQuantities;
    private int _count; // slots in use, live and tombstones
    private int _live;
    private readonly bool _negate;

    public BookSide(bool isAsk, int initialCapacity = 256)
    {
        _negate = isAsk;
        _keys = new long[initialCapacity];
        _quantities = new long[initialCapacity];
        _spareKeys = new long[initialCapacity];
        _spareQuantities = new long[initialCapacity];
    }

    /// <summary>Live levels.</summary>
    public int Count => _live;

    public bool TryGetBest(out PriceLevel level)
    {
        // Invariant: the last used slot is live (trailing tombstones are trimmed).
        if (_count == 0)
        {
            level = default;
            return false;
        }
        var i = _count - 1;
        level = new PriceLevel(PriceOf(_keys[i]), _quantities[i]);
        return true;
    }

    /// <summary>The level <paramref name="rank"/> places from the top (0 = best). O(rank + tombstones).</summary>
    public PriceLevel At(int rank)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            if (_quantities[i] == 0) continue;
            if (rank-- == 0) return new PriceLevel(PriceOf(_keys[i]), _quantities[i]);
        }
        throw new ArgumentOutOfRangeException(nameof(rank));
    }

    public void Clear() => _count = _live = 0;

    /// <summary>Live levels worse than <paramref name="price"/> (bids below it, asks above it), walked from the worst end.</summary>
    public int CountWorseThan(long price)
    {
        if (price == (_negate ? long.MaxValue : long.MinValue)) return 0;
        var bound = _negate ? -price : price;
        var n = 0;
        for (var i = 0; i < _count && _keys[i] < bound; i++)
            if (_quantities[i] != 0) n++;
        return n;
    }

    /// <summary>Live levels at or better than <paramref name="price"/>, counted from the best, stopping at <paramref name="cap"/>.</summary>
    public int CountAtOrBetter(long price, int cap)
    {
        if (price == (_negate ? long.MaxValue : long.MinValue)) return Math.Min(_live, cap);
        var bound = _negate ? -price : price;
        var n = 0;
        for (var i = _count - 1; i >= 0 && n < cap && _keys[i] >= bound; i--)
            if (_quantities[i] != 0) n++;
        return n;
    }

    /// <summary>Sets a level's absolute quantity; 0 removes it (removing a missing level is a no-op).</summary>
    public void Set(long price, long quantity)
    {
        var key = _negate ? -price : price;
        var index = Find(key);
        if (index >= 0)
        {
            if (_quantities[index] != 0)
            {
                if (quantity == 0) RemoveAt(index);
                else _quantities[index] = quantity;
            }
            else if (quantity != 0)
            {
                _quantities[index] = quantity; // revive a tombstone in place
                _live++;
            }
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
        _count = _live = n;
        for (var i = 1; i < n; i++)
        {
            if (_keys[i] == _keys[i - 1])
            {
                Clear();
                return false;
            }
        }
        Respread();
        return true;
    }

    public int CopyTo(Span<PriceLevel> destination)
    {
        var written = 0;
        for (var i = _count - 1; i >= 0 && written < destination.Length; i--)
        {
            if (_quantities[i] == 0) continue;
            destination[written++] = new PriceLevel(PriceOf(_keys[i]), _quantities[i]);
        }
        return written;
    }

    public void CopyFrom(BookSide other)
    {
        EnsureCapacity(other._count);
        Array.Copy(other._keys, _keys, other._count);
        Array.Copy(other._quantities, _quantities, other._count);
        _count = other._count;
        _live = other._live;
    }

    private long PriceOf(long key) => _negate ? -key : key;

    /// <summary>Index of <paramref name="key"/> (live or tombstone), else the complement of its insertion point.</summary>
    private int Find(long key)
    {
        // Many updates touch the best level, which lives at the end: check it first.
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

    private void RemoveAt(int index)
    {
        _quantities[index] = 0;
        _live--;
        if (index == _count - 1)
        {
            // Keep the top slot live so the best level stays a single read.
            while (_count > 0 && _quantities[_count - 1] == 0) _count--;
        }
        else if (_count - _live > Math.Max(MinTombstonesBeforeRespread, 3 * _live))
        {
            Respread(); // mostly empty slots: tighten so searches and copies stay short
        }
    }

    /// <summary>Inserts before slot <paramref name="index"/> (all keys from there on are greater).</summary>
    private void InsertAt(int index, long key, long quantity)
    {
        if (!TryInsertIntoFreeSlot(index, key, quantity))
        {
            // No free slot nearby: rebuild the gaps (O(n), then many cheap inserts) and try again.
            Respread();
            var found = Find(key);
            if (found >= 0)
            {
                _quantities[found] = quantity; // the rebuild put a free slot at exactly this key
            }
            else if (!TryInsertIntoFreeSlot(~found, key, quantity))
            {
                InsertByShifting(~found, key, quantity);
            }
        }
        _live++;
    }

    private bool TryInsertIntoFreeSlot(int index, long key, long quantity)
    {
        if (_count == _live) return false;
        var right = index;
        var left = index - 1;
        for (var probe = 0; probe < MaxProbe; probe++)
        {
            if (right < _count)
            {
                if (_quantities[right] == 0)
                {
                    // Free slot at or after the insertion point: move [index, right) one up.
                    var n = right - index;
                    if (n > 0) Move(index, index + 1, n);
                    _keys[index] = key;
                    _quantities[index] = quantity;
                    return true;
                }
                right++;
            }
            if (left >= 0)
            {
                if (_quantities[left] == 0)
                {
                    // Free slot before it: move (left, index) one down; the new level takes index - 1.
                    var n = index - 1 - left;
                    if (n > 0) Move(left + 1, left, n);
                    _keys[index - 1] = key;
                    _quantities[index - 1] = quantity;
                    return true;
                }
                left--;
            }
            else if (right >= _count)
            {
                break;
            }
        }
        return false;
    }

    private void InsertByShifting(int index, long key, long quantity)
    {
        if (_count == _keys.Length) EnsureCapacity(_count + 1);
        var tail = _count - index;
        if (tail > 0) Move(index, index + 1, tail);
        _keys[index] = key;
        _quantities[index] = quantity;
        _count++;
    }

    private void Move(int from, int to, int length)
    {
        _keys.AsSpan(from, length).CopyTo(_keys.AsSpan(to, length));
        _quantities.AsSpan(from, length).CopyTo(_quantities.AsSpan(to, length));
    }

    /// <summary>
    /// Rebuilds the layout with a free slot (key - 1) before every live level where that key is unused,
    /// dropping all other tombstones. The last slot stays live.
    /// </summary>
    private void Respread()
    {
        var needed = 2 * _live + 2;
        if (_spareKeys.Length < needed)
        {
            var size = Math.Max(needed, 2 * _spareKeys.Length);
            _spareKeys = new long[size];
            _spareQuantities = new long[size];
        }
        var keys = _spareKeys;
        var quantities = _spareQuantities;
        var n = 0;
        var previous = long.MinValue;
        for (var i = 0; i < _count; i++)
        {
            var quantity = _quantities[i];
            if (quantity == 0) continue;
            var key = _keys[i];
            if (key - 1 > previous)
            {
                keys[n] = key - 1;
                quantities[n] = 0;
                n++;
            }
            keys[n] = key;
            quantities[n] = quantity;
            n++;
            previous = key;
        }
        (_keys, _spareKeys) = (keys, _keys);
        (_quantities, _spareQuantities) = (quantities, _quantities);
        _count = n;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _keys.Length) return;
        var size = Math.Max(needed, _keys.Length * 2);
        Array.Resize(ref _keys, size);
        Array.Resize(ref _quantities, size);
    }
}
