using MarketData.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace MarketData.Tests.Integration;

/// <summary>In-process clusters of one silo, configured as the host program configures a silo.</summary>
internal static class TestClusters
{
    /// <summary>
    /// Deploys a silo with <paramref name="settings"/> as configuration, its active feeds started by <see cref="FeedStarter"/>.
    /// <paramref name="services"/> adds silo services (e.g. more hosted services), <paramref name="client"/> configures the
    /// cluster's client.
    /// </summary>
    public static async Task<InProcessTestCluster> StartAsync(IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? services = null, Action<IClientBuilder>? client = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(settings);
            host.Services.AddSingleton<ActiveFeeds>();
            host.Services.AddHostedService<FeedStarter>();
            services?.Invoke(host.Services);
            host.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        builder.ConfigureSilo((_, silo) => silo.AddMarketDataProviders(silo.Configuration));
        if (client is not null) builder.ConfigureClient(client);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
