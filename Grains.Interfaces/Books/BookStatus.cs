namespace MarketData.Books;

/// <summary>Where a local order book stands against the exchange.</summary>
[GenerateSerializer, Alias("MarketData.BookStatus")]
public enum BookStatus
{
    /// <summary>First synchronisation: diffs are buffered until a REST snapshot bridges them. No data served.</summary>
    Syncing = 0,
    /// <summary>Snapshot applied and every diff since has been contiguous: the book is correct and fresh.</summary>
    Synced = 1,
    /// <summary>A gap, crossed book or bad level was detected; the book was discarded and is being rebuilt.</summary>
    Resyncing = 2,
    /// <summary>The book was correct, but its feed is interrupted or silent: the data is as of <c>UpdatedAt</c>, not now.</summary>
    Stale = 3,
}
