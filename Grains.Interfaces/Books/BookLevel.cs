namespace MarketData.Books;

/// <summary>One price level of a book, as an exact decimal (8 decimals, like Binance's wire text).</summary>
[GenerateSerializer, Immutable, Alias("MarketData.BookLevel")]
public readonly record struct BookLevel([property: Id(0)] decimal Price, [property: Id(1)] decimal Quantity);
