using MarketData.Instruments;
using MarketData.Streams;

namespace MarketData.Domain.Books;

/// <summary>
/// A fixed-point L2 order book (prices and quantities scaled 1e8, see <see cref="FixedPoint"/>).
/// Every update is validated as a whole before anything changes, so a bad level leaves the book as it
/// was. Sequencing (which updates may be applied) is the job of <see cref="OrderBookSynchronizer"/>.
/// Not thread-safe.
/// </summary>
public sealed class OrderBook
{
    private readonly BookSide _bids = new(isAsk: false);
    private readonly BookSide _asks = new(isAsk: true);

    /// <summary>The exchange update id of the snapshot or last applied update.</summary>
    public long LastUpdateId { get; private set; }
    public int BidCount => _bids.Count;
    public int AskCount => _asks.Count;

    public bool TryGetBestBid(out PriceLevel level) => _bids.TryGetBest(out level);
    public bool TryGetBestAsk(out PriceLevel level) => _asks.TryGetBest(out level);

    /// <summary>True when both sides have levels and the best bid is at or above the best ask.</summary>
    public bool IsCrossed =>
        _bids.TryGetBest(out var bid) && _asks.TryGetBest(out var ask) && bid.Price >= ask.Price;

    /// <summary>Bid number <paramref name="rank"/> from the top (0 = best).</summary>
    public PriceLevel BidAt(int rank) => (uint)rank < (uint)_bids.Count ? _bids.At(rank) : throw new ArgumentOutOfRangeException(nameof(rank));
    public PriceLevel AskAt(int rank) => (uint)rank < (uint)_asks.Count ? _asks.At(rank) : throw new ArgumentOutOfRangeException(nameof(rank));

    /// <summary>Copies bids best first; returns how many were written.</summary>
    public int CopyBids(Span<PriceLevel> destination) => _bids.CopyTo(destination);
    public int CopyAsks(Span<PriceLevel> destination) => _asks.CopyTo(destination);

    public void Clear()
    {
        _bids.Clear();
        _asks.Clear();
        LastUpdateId = 0;
    }

    /// <summary>Makes this book an exact copy of <paramref name="other"/> (no allocation once capacity suffices).</summary>
    public void CopyFrom(OrderBook other)
    {
        _bids.CopyFrom(other._bids);
        _asks.CopyFrom(other._asks);
        LastUpdateId = other.LastUpdateId;
    }

    /// <summary>
    /// Checks that every level is usable: price &gt; 0 and quantity &gt;= 0. Returns null when valid, else a
    /// reason naming the first bad level (for example <c>bids[3]: negative quantity -1.00000000</c>).
    /// </summary>
    public static string? Validate(ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks)
    {
        var bad = FirstBad(bids);
        if (bad >= 0) return Describe("bids", bad, bids[bad]);
        bad = FirstBad(asks);
        if (bad >= 0) return Describe("asks", bad, asks[bad]);
        return null;
    }

    /// <summary>
    /// Applies absolute level quantities (0 removes the level) and sets <see cref="LastUpdateId"/>.
    /// If any level is invalid nothing changes and <paramref name="error"/> says which.
    /// </summary>
    public bool TryApply(ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, long updateId, out string? error)
    {
        error = Validate(bids, asks);
        if (error is not null) return false;
        foreach (var level in bids) _bids.Set(level.Price, level.Quantity);
        foreach (var level in asks) _asks.Set(level.Price, level.Quantity);
        LastUpdateId = updateId;
        return true;
    }

    /// <summary>
    /// Replaces the book with a snapshot (levels in any order; zero quantities are ignored). Invalid or
    /// duplicate levels leave the book empty and return false with a reason.
    /// </summary>
    public bool TryLoadSnapshot(long lastUpdateId, ReadOnlySpan<PriceLevel> bids, ReadOnlySpan<PriceLevel> asks, out string? error)
    {
        error = Validate(bids, asks);
        if (error is not null) return false;
        if (!_bids.Load(bids)) error = "bids: duplicate price in snapshot";
        else if (!_asks.Load(asks)) error = "asks: duplicate price in snapshot";
        if (error is not null)
        {
            Clear();
            return false;
        }
        LastUpdateId = lastUpdateId;
        return true;
    }

    private static int FirstBad(ReadOnlySpan<PriceLevel> levels)
    {
        for (var i = 0; i < levels.Length; i++)
        {
            if (levels[i].Price <= 0 || levels[i].Quantity < 0) return i;
        }
        return -1;
    }

    private static string Describe(string side, int index, PriceLevel level) => level.Price <= 0
        ? $"{side}[{index}]: non-positive price {FixedPoint.ToText(level.Price)}"
        : $"{side}[{index}]: negative quantity {FixedPoint.ToText(level.Quantity)}";
}
