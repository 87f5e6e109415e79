namespace MarketData.Books;

/// <summary>
/// The L2 order book of one instrument, keyed by <c>exchange:SYMBOL</c> (see <see cref="Instruments.Instrument"/>).
/// It is fed by the instrument's depth stream; reading it never activates ingestion.
/// </summary>
[Alias("MarketData.IOrderBookGrain")]
public interface IOrderBookGrain : IGrainWithStringKey
{
    /// <summary>The book to <paramref name="depth"/> levels per side (1..5000), best first.</summary>
    [Alias("GetSnapshot")]
    Task<OrderBookView> GetSnapshotAsync(int depth);

    [Alias("GetTopOfBook")]
    Task<TopOfBook> GetTopOfBookAsync();

    [Alias("GetHealth")]
    Task<BookHealth> GetHealthAsync();

}
