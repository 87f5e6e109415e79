using MarketData.Client;

namespace MarketData.Tests.Hosting;

public class ClientPostgresOptionTests
{
    private static Func<string, string?> Environment(string? postgres)
        => name => name == Cli.PostgresEnvironmentVariable ? postgres : null;

    [Fact]
    public void Postgres_comes_from_the_option_else_the_environment_else_localhost_clustering()
    {
        Assert.True(Cli.TryParse(["feeds", "--postgres", "Host=a;Database=m"], Environment("Host=b"), out var option, out _));
        Assert.Equal("Host=a;Database=m", option.Client.PostgresConnectionString);

        Assert.True(Cli.TryParse(["feeds"], Environment("Host=b"), out var fromEnvironment, out _));
        Assert.Equal("Host=b", fromEnvironment.Client.PostgresConnectionString);

        Assert.True(Cli.TryParse(["feeds", "--gateway-port", "30001"], Environment(null), out var local, out _));
        Assert.Null(local.Client.PostgresConnectionString);
        Assert.Equal(30001, local.Client.GatewayPort);
    }

    [Theory]
    [InlineData("feeds", "--postgres")]
    [InlineData("feeds", "--postgres", "--verbose")]
    [InlineData("feeds", "--postgres", " ")]
    public void Postgres_without_a_connection_string_is_a_usage_error(params string[] args)
    {
        Assert.False(Cli.TryParse(args, Environment(null), out _, out var error));
        Assert.Contains("--postgres", error, StringComparison.Ordinal);
    }
}
