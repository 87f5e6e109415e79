using MarketData.Exchanges.Binance;
using MarketData.Exchanges.Mexc;

namespace MarketData.Exchanges.Fallback;

/// <summary>Where a live price came from, in the order they are tried.</summary>
public enum LivePriceSource { BookMid, LastTrade, Ticker, BinanceRestTicker, MexcRestTicker }

/// <summary>
/// A resolved live price (fixed-point 1e8) and its source; <see cref="Price"/> is null when every source failed.
/// <see cref="Skipped"/> says why each earlier source was passed over.
/// </summary>
public sealed record LivePrice(long? Price, LivePriceSource? Source, IReadOnlyList<string> Skipped)
{
    public bool Found => Price is not null;
}

/// <summary>
/// The live price of a symbol with fallbacks, in order: book mid, last trade, 24 h ticker (all three supplied by
/// the caller from its live state; it passes null when a value is absent or too old), then Binance REST
/// <c>/api/v3/ticker/price</c>, then MEXC's. Binance REST is skipped while the policy is on MEXC, and its
/// outcomes are reported to the policy. Thread-safe.
/// </summary>
public sealed class LivePriceResolver
{
    private readonly BinanceRestClient? _binance;
    private readonly MexcRestClient? _mexc;
    private readonly ExchangeFallbackPolicy? _policy;

    public LivePriceResolver(BinanceRestClient? binance, MexcRestClient? mexc, ExchangeFallbackPolicy? policy)
    {
        _binance = binance;
        _mexc = mexc;
        _policy = policy;
    }

    /// <param name="bookMid">Mid of the synchronised book's best bid and ask; null when the book is not in sync.</param>
    /// <param name="lastTrade">Price of the latest trade; null when none is recent.</param>
    /// <param name="ticker">Last price of the latest ticker event; null when none is recent.</param>
    public async Task<LivePrice> ResolveAsync(string symbol, long? bookMid, long? lastTrade, long? ticker, CancellationToken cancellationToken)
    {
        var skipped = new List<string>();
        if (Usable(bookMid, "book mid", skipped)) return new LivePrice(bookMid, LivePriceSource.BookMid, skipped);
        if (Usable(lastTrade, "last trade", skipped)) return new LivePrice(lastTrade, LivePriceSource.LastTrade, skipped);
        if (Usable(ticker, "ticker", skipped)) return new LivePrice(ticker, LivePriceSource.Ticker, skipped);

        if (_binance is null) skipped.Add("Binance REST ticker: no client");
        else if (_policy?.Current == ExchangeSource.Mexc && _mexc is not null) skipped.Add($"Binance REST ticker: fallback to MEXC active ({_policy.Reason})");
        else
        {
            try
            {
                var price = await _binance.GetTickerPriceAsync(symbol, cancellationToken).ConfigureAwait(false);
                _policy?.ReportBinanceSuccess();
                return new LivePrice(price.Price, LivePriceSource.BinanceRestTicker, skipped);
            }
            catch (ExchangeRestException ex)
            {
                _policy?.ReportBinanceFailure(ex);
                skipped.Add("Binance REST ticker: " + ex.Message);
            }
        }

        if (_mexc is null) skipped.Add("MEXC REST ticker: MEXC disabled");
        else
        {
            try
            {
                var price = await _mexc.GetTickerPriceAsync(symbol, cancellationToken).ConfigureAwait(false);
                return new LivePrice(price.Price, LivePriceSource.MexcRestTicker, skipped);
            }
            catch (ExchangeRestException ex)
            {
                skipped.Add("MEXC REST ticker: " + ex.Message);
            }
        }
        return new LivePrice(null, null, skipped);
    }

    private static bool Usable(long? value, string name, List<string> skipped)
    {
        if (value is > 0) return true;
        skipped.Add(value is null ? $"{name}: not available" : $"{name}: non-positive value {value}");
        return false;
    }
}
