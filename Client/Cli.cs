using System.Globalization;
using MarketData.Instruments;
using MarketData.Json;

namespace MarketData.Client;

/// <summary>
/// <c>book exchange:SYMBOL [--depth N]</c>, <c>feeds</c>; common options <c>--gateway-port P</c>,
/// <c>--service-id S</c>, <c>--cluster-id C</c>, <c>--verbose</c>. Exit codes: 0 ok, 2 bad usage, 3 not found,
/// 4 cannot reach the cluster.
/// </summary>
public static class Cli
{
    public const string Usage = """
        usage: marketdata book <exchange:SYMBOL> [--depth N]   the order book as JSON (default depth 100)
               marketdata feeds                               every feed's state and counters as JSON
        options: --gateway-port P (default 30000)  --service-id S  --cluster-id C  --verbose
        """;

    /// <param name="connect">How to reach the cluster; by default an Orleans client of its own (tests pass one over a test cluster).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors,
        Func<MarketDataClientOptions, Task<MarketDataClient>>? connect = null)
    {
        if (!TryParse(args, out var command, out var error))
        {
            await errors.WriteLineAsync(error);
            await errors.WriteLineAsync(Usage);
            return 2;
        }

        MarketDataClient client;
        try
        {
            client = await (connect ?? (o => MarketDataClient.ConnectAsync(o)))(command.Client);
        }
        catch (Exception ex)
        {
            await errors.WriteLineAsync($"Cannot connect to the cluster at gateway port {command.Client.GatewayPort}: {ex.Message}");
            return 4;
        }

        await using (client)
        {
            try
            {
                return await RunCommandAsync(command, client, output, errors);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException)
            {
                await errors.WriteLineAsync($"The cluster did not answer: {ex.Message}");
                return 4;
            }
        }
    }

    private static async Task<int> RunCommandAsync(Command command, MarketDataClient client, TextWriter output, TextWriter errors)
    {
        if (command.Verb == "feeds")
        {
            var feeds = await client.GetFeedsAsync();
            await output.WriteLineAsync(MarketDataJson.Serialize(new MarketDataJson.FeedsDocument(feeds), indented: true));
            return 0;
        }
        if (!await client.IsFollowedAsync(command.Instrument))
        {
            await errors.WriteLineAsync(MarketDataJson.Serialize(new MarketDataJson.ErrorDocument($"No feed follows {command.Instrument}.")));
            return 3;
        }
        var view = await client.GetBookAsync(command.Instrument, command.Depth);
        await output.WriteLineAsync(MarketDataJson.Serialize(MarketDataJson.ToDocument(view), indented: true));
        return 0;
    }

    internal sealed record Command(string Verb, Instrument Instrument, int Depth, MarketDataClientOptions Client);

    internal static bool TryParse(string[] args, out Command command, out string error)
    {
        command = null!;
        string? verb = null, target = null;
        var depth = 100;
        var client = new MarketDataClientOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--depth":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out depth) || depth is < 1 or > 5000)
                    { error = "--depth must be an integer from 1 to 5000."; return false; }
                    break;
                case "--gateway-port":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                    { error = "--gateway-port must be a port number."; return false; }
                    client = client with { GatewayPort = port };
                    break;
                case "--service-id": client = client with { ServiceId = Value() ?? "" }; break;
                case "--cluster-id": client = client with { ClusterId = Value() ?? "" }; break;
                case "--verbose": client = client with { Verbose = true }; break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal)) { error = $"Unknown option {arg}."; return false; }
                    if (verb is null) verb = arg;
                    else if (target is null) target = arg;
                    else { error = $"Unexpected argument {arg}."; return false; }
                    break;
            }
        }

        switch (verb)
        {
            case "book":
                if (!Instrument.TryParse(target, out var instrument, out var instrumentError)) { error = instrumentError; return false; }
                command = new Command("book", instrument, depth, client);
                break;
            case "feeds":
                if (target is not null) { error = "feeds takes no argument."; return false; }
                command = new Command("feeds", default, depth, client);
                break;
            default:
                error = verb is null ? "No command given." : $"Unknown command '{verb}'.";
                return false;
        }
        error = "";
        return true;
    }
}
