using MarketData.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;

namespace MarketData.Tests.Hosting;

public class ClusterSettingsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Membership_gets_the_fast_failover_defaults_and_configuration_overrides_them()
    {
        var tuned = new ClusterMembershipOptions();
        MembershipTuning.Apply(tuned, Config());
        Assert.Equal(TimeSpan.FromSeconds(2), tuned.ProbeTimeout);
        Assert.Equal(3, tuned.NumMissedProbesLimit);
        Assert.Equal(TimeSpan.FromSeconds(5), tuned.TableRefreshTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), tuned.IAmAliveTablePublishTimeout);
        // The adaptive probe bounds follow the shorter probe.
        Assert.True(tuned.MaxProbeTimeout <= TimeSpan.FromSeconds(8), $"MaxProbeTimeout {tuned.MaxProbeTimeout}");

        var overridden = new ClusterMembershipOptions();
        MembershipTuning.Apply(overridden, Config(("ProbeTimeout", "00:00:01"), ("NumVotesForDeathDeclaration", "1")));
        Assert.Equal(TimeSpan.FromSeconds(1), overridden.ProbeTimeout);
        Assert.Equal(1, overridden.NumVotesForDeathDeclaration);
        Assert.Equal(3, overridden.NumMissedProbesLimit);
    }

    [Fact]
    public void Stream_retries_double_from_50_ms_up_to_the_ceiling()
    {
        var backoff = new StreamRetryBackoff(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(50), backoff.Next(0));
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next(1));
        Assert.Equal(TimeSpan.FromMilliseconds(800), backoff.Next(4));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next(5));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next(int.MaxValue));
    }

    [Fact]
    public void Postgres_mode_needs_a_non_blank_connection_string_and_migrates_at_start_by_default()
    {
        Assert.Null(PostgresSetup.ConnectionString(Config()));
        Assert.Null(PostgresSetup.ConnectionString(Config(("ConnectionStrings:Postgres", "  "))));
        Assert.Equal("Host=h", PostgresSetup.ConnectionString(Config(("ConnectionStrings:Postgres", "Host=h"))));
        Assert.True(PostgresSetup.MigrateOnStart(Config()));
        Assert.False(PostgresSetup.MigrateOnStart(Config(("Postgres:MigrateOnStart", "false"))));
    }
}
