using MarketData.Domain.Aggregation;
using static MarketData.Tests.Domain.Aggregation.BookAggregatorTests;

namespace MarketData.Tests.Domain.Aggregation;

public class BucketConfigResolverTests
{
    [Fact]
    public void Defaults_are_the_reference_values_for_btc_and_eth()
    {
        var resolver = new BucketConfigResolver();
        Assert.True(resolver.TryResolve("BTCUSDT", 0, out var btc));
        Assert.Equal(new BucketConfig(P(10), P(50)), btc);
        Assert.True(resolver.TryResolve("ethusdt", P(2600), out var eth));
        Assert.Equal(new BucketConfig(P(1), P(5)), eth);
    }

    [Theory]
    [InlineData(61000, 10)]
    [InlineData(2600, 0.5)]
    [InlineData(150, 0.02)]
    [InlineData(0.5, 0.0001)]
    [InlineData(0.00000001, 0.00000001)]
    [InlineData(400000, 100)]
    public void Other_symbols_derive_from_the_price(decimal price, decimal bucket)
    {
        var config = BucketConfigResolver.DeriveFromPrice(P(price));
        Assert.Equal(P(bucket), config.BucketSize);
        Assert.Equal(P(bucket) * 5, config.Range);
    }

    [Fact]
    public void A_derived_configuration_is_kept_while_the_price_moves_and_needs_a_price_first()
    {
        var resolver = new BucketConfigResolver();
        Assert.False(resolver.TryResolve("SOLUSDT", 0, out _)); // no configuration, no price yet: caller records a gap
        Assert.True(resolver.TryResolve("SOLUSDT", P(150), out var first));
        Assert.True(resolver.TryResolve("SOLUSDT", P(300), out var later));
        Assert.Equal(first, later);
        Assert.Equal(P(0.02m), first.BucketSize);
    }

    [Fact]
    public void Configuration_changes_at_runtime()
    {
        var resolver = new BucketConfigResolver([new("ETHUSDT", new BucketConfig(P(2), P(20)))]);
        Assert.Equal(new BucketConfig(P(2), P(20)), resolver.Find("ETHUSDT"));
        resolver.Set("BTCUSDT", new BucketConfig(P(5), P(100)));
        Assert.True(resolver.TryResolve("BTCUSDT", P(61000), out var btc));
        Assert.Equal(new BucketConfig(P(5), P(100)), btc);
        resolver.Set("SOLUSDT", new BucketConfig(P(1), P(3)));
        Assert.Equal(new BucketConfig(P(1), P(3)), resolver.Find("SOLUSDT"));
        Assert.True(resolver.Reset("BTCUSDT"));
        Assert.Equal(BucketConfigResolver.BtcDefault, resolver.Find("BTCUSDT"));
    }

    [Fact]
    public void Invalid_configurations_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BucketConfig(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BucketConfig(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BucketConfig(1, 1_000_000));
    }
}
