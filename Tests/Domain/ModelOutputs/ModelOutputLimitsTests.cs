using MarketData.Domain.ModelOutputs;

namespace MarketData.Tests.Domain.ModelOutputs;

public sealed class ModelOutputLimitsTests
{
    [Fact]
    public void Defaults_are_valid_and_as_documented()
    {
        var limits = new ModelOutputLimits();
        Assert.Null(limits.Validate());
        Assert.Equal("ModelOutputs", ModelOutputLimits.SectionName);
        Assert.Equal(1_000, limits.HistoryLimit);
        Assert.Equal(16L * 1024 * 1024, limits.MaxHistoryBytes);
        Assert.Equal(4_096, limits.MaxPredictions);
        Assert.Equal(1024 * 1024, limits.MaxHiddenStateBytes);
        Assert.Equal(64, limits.MaxMetadataEntries);
        Assert.Equal(64, limits.MaxMetadataKeyLength);
        Assert.Equal(1_024, limits.MaxMetadataValueLength);
        Assert.Equal(64, limits.MaxModelTypeLength);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MaxFutureSkew);
        Assert.Equal(TimeSpan.FromDays(3_650), limits.MaxAge);
        // The largest accepted output (about 1.2 MB) fits the history many times over.
        Assert.InRange(limits.LargestOutputBytes(), 1_100_000, 1_300_000);
    }

    public static TheoryData<Action<ModelOutputLimits>, string> Invalid => new()
    {
        { l => l.HistoryLimit = 0, "HistoryLimit must be at least 1 (was 0)." },
        { l => l.MaxPredictions = 0, "MaxPredictions must be at least 1 (was 0)." },
        { l => l.MaxHiddenStateBytes = -1, "MaxHiddenStateBytes must not be negative (was -1)." },
        { l => l.MaxMetadataEntries = -1, "MaxMetadataEntries must not be negative (was -1)." },
        { l => l.MaxMetadataKeyLength = 0, "MaxMetadataKeyLength must be at least 1 (was 0)." },
        { l => l.MaxMetadataValueLength = -1, "MaxMetadataValueLength must not be negative (was -1)." },
        { l => l.MaxModelTypeLength = 0, "MaxModelTypeLength must be at least 1 (was 0)." },
        { l => l.MaxFutureSkew = TimeSpan.FromSeconds(-1), "MaxFutureSkew must not be negative (was -00:00:01)." },
        { l => l.MaxAge = TimeSpan.Zero, "MaxAge must be positive (was 00:00:00)." },
        { l => l.MaxHistoryBytes = 1_000_000, "MaxHistoryBytes (1,000,000) must hold at least one output of the largest size" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_bad_setting_is_named(Action<ModelOutputLimits> spoil, string message)
    {
        var limits = new ModelOutputLimits();
        spoil(limits);
        var error = limits.Validate();
        Assert.NotNull(error);
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_listed()
    {
        var error = new ModelOutputLimits { HistoryLimit = -3, MaxAge = TimeSpan.FromDays(-1), MaxPredictions = 0 }.Validate();
        Assert.NotNull(error);
        Assert.Contains("HistoryLimit", error, StringComparison.Ordinal);
        Assert.Contains("MaxAge", error, StringComparison.Ordinal);
        Assert.Contains("MaxPredictions", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Smaller_field_limits_allow_a_smaller_history()
    {
        var limits = new ModelOutputLimits { MaxHiddenStateBytes = 0, MaxPredictions = 16, MaxMetadataEntries = 4, MaxMetadataValueLength = 64, MaxHistoryBytes = 4_096 };
        Assert.Null(limits.Validate());
    }

    [Fact]
    public void Absurd_limits_do_not_overflow()
    {
        var limits = new ModelOutputLimits
        {
            MaxMetadataEntries = int.MaxValue, MaxMetadataKeyLength = int.MaxValue, MaxMetadataValueLength = int.MaxValue, MaxHistoryBytes = long.MaxValue,
        };
        Assert.Contains("MaxHistoryBytes", limits.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Copy_is_independent()
    {
        var limits = new ModelOutputLimits();
        var copy = limits.Copy();
        limits.HistoryLimit = 5;
        Assert.Equal(1_000, copy.HistoryLimit);
    }
}
