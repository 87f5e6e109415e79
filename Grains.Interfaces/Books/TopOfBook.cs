namespace MarketData.Books;

/// <summary>Best bid and ask with the book's status and update id.</summary>
[GenerateSerializer, Immutable, Alias("MarketData.TopOfBook")]
public sealed record TopOfBook(
    [property: Id(0)] BookStatus Status,
    [property: Id(1)] long LastUpdateId,
    [property: Id(2)] BookLevel? BestBid,
    [property: Id(3)] BookLevel? BestAsk,
    [property: Id(4)] DateTime? UpdatedAt);
