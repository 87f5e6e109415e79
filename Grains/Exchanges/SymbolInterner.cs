using MarketData.Instruments;

namespace MarketData.Exchanges;

/// <summary>
/// Turns symbol bytes from a frame into a shared upper-case <see cref="string"/> without allocating
/// for symbols seen before. The table is capped so a hostile or buggy peer sending endless new
/// symbols cannot grow it without bound; beyond the cap new symbols are simply allocated each time.
/// Not thread-safe: one per parser.
/// </summary>
public sealed class SymbolInterner
{
    public const int DefaultCapacity = 4096;

    private readonly Dictionary<string, string> _table = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _capacity;

    public SymbolInterner(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _lookup = _table.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _table.Count;

    /// <summary>
    /// Upper-cases ASCII <paramref name="utf8"/> and returns the shared string, or null when the bytes
    /// are not a valid symbol (1..32 characters of A-Z, a-z, 0-9, '-', '_', '/').
    /// </summary>
    public string? Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty || utf8.Length > Instrument.MaxSymbolLength) return null;
        Span<char> chars = stackalloc char[Instrument.MaxSymbolLength];
        chars = chars[..utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b is >= (byte)'a' and <= (byte)'z') b -= 32;
            else if (!(b is >= (byte)'A' and <= (byte)'Z' || b is >= (byte)'0' and <= (byte)'9' || b is (byte)'-' or (byte)'_' or (byte)'/')) return null;
            chars[i] = (char)b;
        }

        if (_lookup.TryGetValue(chars, out var existing)) return existing;
        var created = new string(chars);
        if (_table.Count < _capacity) _table[created] = created;
        return created;
    }
}
