using MarketData.Domain.Quality;

namespace MarketData.Tests.Domain.Quality;

public sealed class QualityThresholdsTests
{
    [Fact]
    public void Defaults_are_valid_and_as_documented()
    {
        var t = new QualityThresholds();
        Assert.Null(t.Validate());
        Assert.Equal(
            [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(70), TimeSpan.FromMinutes(61), TimeSpan.FromMinutes(1450), TimeSpan.FromSeconds(3)],
            [t.BookAllowance, t.AggregateAllowance, t.Candles1sAllowance, t.Candles1mAllowance, t.Candles1hAllowance, t.Candles1dAllowance, t.Reference1sAllowance]);
        Assert.Equal((5.0, 0.4, 0.3, 0.3, 0.5), (t.StaleFactor, t.CompletenessWeight, t.FreshnessWeight, t.ConsistencyWeight, t.CriticalCap));
        Assert.Equal("BaseInput:Quality", QualityThresholds.SectionName);
    }

    public static TheoryData<string, Action<QualityThresholds>> Invalid => new()
    {
        { "BookAllowance", t => t.BookAllowance = TimeSpan.Zero },
        { "AggregateAllowance", t => t.AggregateAllowance = TimeSpan.FromSeconds(-1) },
        { "Candles1sAllowance", t => t.Candles1sAllowance = TimeSpan.Zero },
        { "Candles1mAllowance", t => t.Candles1mAllowance = TimeSpan.Zero },
        { "Candles1hAllowance", t => t.Candles1hAllowance = TimeSpan.Zero },
        { "Candles1dAllowance", t => t.Candles1dAllowance = TimeSpan.FromDays(31) },
        { "Reference1sAllowance", t => t.Reference1sAllowance = TimeSpan.Zero },
        { "StaleFactor", t => t.StaleFactor = 0.99 },
        { "StaleFactor", t => t.StaleFactor = double.NaN },
        { "CompletenessWeight", t => t.CompletenessWeight = -0.1 },
        { "FreshnessWeight", t => t.FreshnessWeight = double.PositiveInfinity },
        { "ConsistencyWeight", t => t.ConsistencyWeight = double.NaN },
        { "weights", t => (t.CompletenessWeight, t.FreshnessWeight, t.ConsistencyWeight) = (0, 0, 0) },
        { "CriticalCap", t => t.CriticalCap = 1.5 },
        { "CriticalCap", t => t.CriticalCap = double.NaN },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_bad_value_is_named(string name, Action<QualityThresholds> spoil)
    {
        var t = new QualityThresholds();
        spoil(t);
        Assert.Contains(name, t.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_factor_of_one_makes_freshness_a_step()
    {
        Assert.Null(new QualityThresholds { StaleFactor = 1 }.Validate());
        Assert.Equal(1, QualityScorer.Freshness(2_000, 2_000, 1));
        Assert.Equal(0, QualityScorer.Freshness(2_001, 2_000, 1));
    }
}
