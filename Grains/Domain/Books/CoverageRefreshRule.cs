using System.Globalization;
using MarketData.Books;
using MarketData.Instruments;

namespace MarketData.Domain.Books;

/// <summary>
/// When a synced book should ask for a coverage refresh (a fresh snapshot merged without leaving <c>synced</c>): before
/// a touch runs out of verified range (fewer than <see cref="WithinLevels"/> levels, or less than
/// <see cref="WithinShare"/> of the price, left between the touch and the bound; or the touch already beyond it), and
/// after <see cref="Period"/> without one (an audit of the deep levels). Never more often than
/// <see cref="MinInterval"/>, never while a refresh or a resync is outstanding. Pure: the caller supplies the time.
/// </summary>
public sealed record CoverageRefreshRule
{
    /// <summary>Ask when fewer verified levels than this remain between a touch and its bound (0 turns the level test off).</summary>
    public int WithinLevels { get; init; } = 200;
    /// <summary>Ask when the touch is closer to its bound than this share of its price (0 turns the price test off).</summary>
    public double WithinShare { get; init; } = 0.001;
    /// <summary>Ask after this long without a snapshot (an audit of deep levels no diff touched); zero or less turns it off.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromMinutes(45);
    /// <summary>At most one refresh per book in this time.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Every problem with these settings, one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (WithinLevels < 0) errors.Add($"RefreshWithinLevels {WithinLevels} is negative.");
        if (!double.IsFinite(WithinShare) || WithinShare is < 0 or >= 1) errors.Add($"RefreshWithinShare {WithinShare.ToString(CultureInfo.InvariantCulture)} must be from 0 to below 1.");
        if (MinInterval < TimeSpan.Zero) errors.Add($"RefreshMinInterval {MinInterval} is negative.");
        return errors;
    }

    /// <summary>
    /// Why <paramref name="sync"/> should refresh now, or null. <paramref name="period"/> is this book's period (the
    /// caller spreads books over it); <paramref name="lastRequest"/> when this book last asked.
    /// </summary>
    public string? Reason(OrderBookSynchronizer sync, DateTime now, DateTime? lastRequest, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(sync);
        if (sync.Status != BookStatus.Synced || sync.RefreshOutstanding || sync.SnapshotOutstanding) return null;
        if (lastRequest is { } last && now - last < MinInterval) return null;
        var range = sync.Verified;
        return SideReason(sync.Book, range, bids: true) ?? SideReason(sync.Book, range, bids: false)
            ?? (period > TimeSpan.Zero && sync.VerifiedAt is { } verifiedAt && now - verifiedAt >= period
                ? $"periodic audit: last snapshot {(now - verifiedAt).TotalMinutes:F0} min ago"
                : null);
    }

    private string? SideReason(OrderBook book, VerifiedRange range, bool bids)
    {
        if (bids ? !range.BidBounded : !range.AskBounded) return null;
        var bound = range.Bound(bids);
        var side = bids ? "bid" : "ask";
        var edge = bids ? "floor" : "ceiling";
        if (!(bids ? book.TryGetBestBid(out var touch) : book.TryGetBestAsk(out touch))) return null;
        if (!range.Covers(bids, touch.Price))
            return $"best {side} {FixedPoint.ToText(touch.Price)} is beyond the verified {edge} {FixedPoint.ToText(bound)}";
        if (WithinLevels > 0)
        {
            var left = bids ? book.CountBidsAtOrAbove(bound, WithinLevels) : book.CountAsksAtOrBelow(bound, WithinLevels);
            if (left < WithinLevels)
                return $"{left} verified {side} level(s) left before the {edge} {FixedPoint.ToText(bound)} (refresh below {WithinLevels})";
        }
        if (WithinShare > 0)
        {
            var distance = Math.Abs((double)touch.Price - bound) / touch.Price;
            if (distance < WithinShare)
                return $"best {side} within {distance * 100:0.###} % of the verified {edge} {FixedPoint.ToText(bound)} (refresh below {WithinShare * 100:0.###} %)";
        }
        return null;
    }
}
