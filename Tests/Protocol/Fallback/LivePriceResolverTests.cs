using System.Net;
using MarketData.Exchanges;
using MarketData.Exchanges.Binance;
using MarketData.Exchanges.Fallback;
using MarketData.Tests.Fakes;

namespace MarketData.Tests.Protocol.Fallback;

/// <summary>Live price fallbacks in order: book mid, last trade, ticker, Binance REST ticker, MEXC REST ticker.</summary>
public sealed class LivePriceResolverTests
{
    private const string Symbol = "BTCUSDT";

    [Fact]
    public async Task Sources_are_tried_in_order()
    {
        await using var h = await FallbackHarness.StartAsync();
        var resolver = new LivePriceResolver(h.Binance, h.Mexc, h.Policy);
        var ct = CancellationToken.None;

        Assert.Equal((100L, LivePriceSource.BookMid), Pick(await resolver.ResolveAsync(Symbol, 100, 200, 300, ct)));
        Assert.Equal((200L, LivePriceSource.LastTrade), Pick(await resolver.ResolveAsync(Symbol, null, 200, 300, ct)));
        Assert.Equal((300L, LivePriceSource.Ticker), Pick(await resolver.ResolveAsync(Symbol, 0, null, 300, ct)));
        Assert.Equal(0, h.BinanceServer.TickerRequests);

        var expected = SyntheticCandles.LastPrice(Symbol, h.NowMs);
        var rest = await resolver.ResolveAsync(Symbol, null, null, null, ct);
        Assert.Equal((expected, LivePriceSource.BinanceRestTicker), Pick(rest));
        Assert.Equal(3, rest.Skipped.Count);
        Assert.Equal(1, h.BinanceServer.TickerRequests);

        h.BinanceServer.RestFault = FakeRestFault.GeoBlocked451;
        var mexc = await resolver.ResolveAsync(Symbol, null, null, null, ct);
        Assert.Equal((expected, LivePriceSource.MexcRestTicker), Pick(mexc));
        Assert.Contains(mexc.Skipped, s => s.Contains("451", StringComparison.Ordinal));
        Assert.Equal(ExchangeSource.Mexc, h.Policy.Current); // the Binance failure was reported

        // While on MEXC the Binance REST ticker is not even tried.
        var requests = h.BinanceServer.RestRequests;
        var again = await resolver.ResolveAsync(Symbol, null, null, null, ct);
        Assert.Equal(LivePriceSource.MexcRestTicker, again.Source);
        Assert.Equal(requests, h.BinanceServer.RestRequests);
    }

    [Fact]
    public async Task Nothing_found_lists_every_reason()
    {
        await using var h = await FallbackHarness.StartAsync();
        h.BinanceServer.RestFault = FakeRestFault.ServerError5xx;
        h.MexcServer.RestFault = FakeRestFault.ServerError5xx;
        var resolver = new LivePriceResolver(h.Binance, h.Mexc, h.Policy);
        var result = await resolver.ResolveAsync(Symbol, null, null, null, CancellationToken.None);
        Assert.False(result.Found);
        Assert.Null(result.Source);
        Assert.Equal(5, result.Skipped.Count);
    }

    [Fact]
    public async Task Binance_client_classifies_ticker_failures()
    {
        await using var h = await FallbackHarness.StartAsync();
        h.BinanceServer.RestFault = FakeRestFault.Forbidden403;
        var ex = await Assert.ThrowsAsync<BinanceRestException>(() => h.Binance.GetTickerPriceAsync(Symbol, CancellationToken.None));
        Assert.Equal((HttpStatusCode.Forbidden, ExchangeFailure.GeoBlocked, "binance"), (ex.Status!.Value, ex.Failure, ex.Exchange));
    }

    private static (long, LivePriceSource) Pick(LivePrice price) => (price.Price!.Value, price.Source!.Value);
}
