using System.Globalization;
using MarketData.Candles;
using MarketData.Instruments;
using MarketData.Json;

namespace MarketData.Client;

/// <summary>
/// The <c>marketdata</c> command line over <see cref="MarketDataClient"/>; it prints the same JSON documents as
/// the HTTP API. Exit codes: 0 ok, 2 bad usage, 3 not found, 4 cannot reach the cluster, 5 data quality below the
/// caller's minimum (the report is printed on stderr).
/// </summary>
public static class Cli
{
    public const string Usage = """
        usage: marketdata book <exchange:SYMBOL> [--depth N]                  order book (default depth 100), with its verified range
               marketdata book-health <exchange:SYMBOL>                      the book's counters, verified range and coverage refreshes
               marketdata candles <exchange:SYMBOL> <1s|1m|1h|1d> [--limit N] [--as-of MS]
               marketdata pivots <SYMBOL> [--timeframe 1s] [--levels 5] [--limit N] [--as-of MS] [--exchange binance]
               marketdata pivot-bounds <SYMBOL> [--timeframe 1s] [--exchange binance]
               marketdata base-input <SYMBOL> [--min-quality 0.8] [--as-of MS] [--model NAME] [--exchange binance]
               marketdata features <SYMBOL> [--min-quality 0.8] [--as-of MS] [--model NAME] [--exchange binance]
               marketdata model-outputs <SYMBOL> [--model NAME] [--limit N] [--exchange binance]
               marketdata feeds                                              every feed's state and counters
        options: --gateway-port P (default 30000)  --service-id S  --cluster-id C  --verbose
                 --postgres CONNSTR   find the silos in the cluster's PostgreSQL membership table (default: the
                                      environment variable ConnectionStrings__Postgres; else localhost clustering)
        exit codes: 0 ok, 2 bad usage, 3 not found, 4 cluster unreachable, 5 data quality below the minimum
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
            var where = command.Client.PostgresConnectionString is null
                ? $"at gateway port {command.Client.GatewayPort}"
                : "through its PostgreSQL membership table";
            await errors.WriteLineAsync($"Cannot connect to the cluster {where}: {ex.Message}");
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
            catch (ArgumentException ex)
            {
                // The silo refused the arguments (e.g. an asOf in its future): a usage error, said plainly.
                await errors.WriteLineAsync(MarketDataJson.Serialize(new MarketDataJson.ErrorDocument(ex.Message)));
                return 2;
            }
        }
    }

    private static async Task<int> RunCommandAsync(Command command, MarketDataClient client, TextWriter output, TextWriter errors)
    {
        if (command.Verb == "feeds")
            return await PrintAsync(output, new MarketDataJson.FeedsDocument(await client.GetFeedsAsync()));

        if (!await client.IsFollowedAsync(command.Instrument))
        {
            await errors.WriteLineAsync(MarketDataJson.Serialize(new MarketDataJson.ErrorDocument($"No feed follows {command.Instrument}.")));
            return 3;
        }
        switch (command.Verb)
        {
            case "base-input":
            {
                var result = await client.GetBaseDataResultAsync(command.Instrument, command.Request);
                if (result.Input is null) return await RefusedAsync(errors, command.Instrument, result.Quality);
                return await PrintAsync(output, MarketDataJson.ToDocument(result.Input));
            }
            case "features":
            {
                var result = await client.GetFeatureResultAsync(command.Instrument, command.Request);
                if (result.Vector is not { } vector) return await RefusedAsync(errors, command.Instrument, result.Quality);
                return await PrintAsync(output, new MarketDataJson.FeatureVectorDocument(command.Instrument.Exchange, command.Instrument.Symbol,
                    vector.LayoutVersion, vector.Timestamp, vector.Values, vector.Quality));
            }
            case "model-outputs":
            {
                var outputs = await client.GetModelOutputsAsync(command.Instrument, command.Request.Model, command.Count);
                return await PrintAsync(output, new MarketDataJson.ModelOutputsDocument(command.Instrument.Exchange, command.Instrument.Symbol,
                    command.Request.Model, outputs.Select(MarketDataJson.ToDocument).ToArray()));
            }
            case "book":
                return await PrintAsync(output, MarketDataJson.ToDocument(await client.GetBookAsync(command.Instrument, command.Count)));
            case "book-health":
                return await PrintAsync(output, MarketDataJson.ToDocument(command.Instrument.Exchange, command.Instrument.Symbol,
                    await client.GetBookHealthAsync(command.Instrument)));
            case "candles":
                return await PrintAsync(output, MarketDataJson.ToDocument(await client.GetCandlesAsync(command.Series, command.Count, command.AsOf)));
            case "pivots":
                return await PrintAsync(output, MarketDataJson.ToDocument(await client.GetPivotsAsync(command.Series, command.Levels, command.AsOf, command.Count)));
            default:
                var bounds = await client.GetPivotBoundsAsync(command.Series, command.AsOf);
                if (bounds is null)
                {
                    await errors.WriteLineAsync(MarketDataJson.Serialize(new MarketDataJson.ErrorDocument($"No pivot bounds for {command.Series} yet.")));
                    return 3;
                }
                return await PrintAsync(output, MarketDataJson.ToDocument(command.Instrument.Exchange, command.Instrument.Symbol, command.Series.Timeframe, bounds));
        }
    }

    private static async Task<int> RefusedAsync(TextWriter errors, Instrument instrument, Inputs.QualityReport quality)
    {
        await errors.WriteLineAsync(MarketDataJson.Serialize(MarketDataJson.Refused(instrument.Symbol, quality), indented: true));
        return 5;
    }

    private static async Task<int> PrintAsync<T>(TextWriter output, T document)
    {
        await output.WriteLineAsync(MarketDataJson.Serialize(document, indented: true));
        return 0;
    }

    internal sealed record Command(string Verb, Instrument Instrument, Timeframe Timeframe, int Count, int Levels, long? AsOf, MarketDataClientOptions Client)
    {
        public Inputs.BaseDataRequest Request { get; init; } = new();

        public CandleSeriesKey Series => new(Instrument, Timeframe);
    }

    /// <summary>The silos' own variable for the connection string; the CLI uses it when --postgres is not given.</summary>
    public const string PostgresEnvironmentVariable = "ConnectionStrings__Postgres";

    internal static bool TryParse(string[] args, out Command command, out string error)
        => TryParse(args, Environment.GetEnvironmentVariable, out command, out error);

    internal static bool TryParse(string[] args, Func<string, string?> environment, out Command command, out string error)
    {
        command = null!;
        var positional = new List<string>();
        int? depth = null, limit = null;
        var levels = 5;
        long? asOf = null;
        var minQuality = Inputs.BaseDataRequest.DefaultMinQuality;
        string? timeframeText = null, exchange = null, model = null;
        var postgres = environment(PostgresEnvironmentVariable);
        var client = new MarketDataClientOptions { PostgresConnectionString = string.IsNullOrWhiteSpace(postgres) ? null : postgres };
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--depth":
                    if (!TryInt(Value(), 1, 5000, out var d)) { error = "--depth must be an integer from 1 to 5000."; return false; }
                    depth = d;
                    break;
                case "--limit":
                    if (!TryInt(Value(), 1, 100_000, out var l)) { error = "--limit must be an integer from 1 to 100000."; return false; }
                    limit = l;
                    break;
                case "--levels":
                    if (!TryInt(Value(), 1, 5, out levels)) { error = "--levels must be an integer from 1 to 5."; return false; }
                    break;
                case "--as-of":
                    if (!long.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) || t <= 0) { error = "--as-of must be positive Unix milliseconds."; return false; }
                    asOf = t;
                    break;
                case "--min-quality":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out minQuality) || !(minQuality is >= 0 and <= 1))
                    {
                        error = "--min-quality must be a number from 0 to 1.";
                        return false;
                    }
                    break;
                case "--model":
                    model = Value();
                    if (!ModelOutputs.ModelOutputKey.IsValidModelName(model)) { error = ModelOutputs.ModelOutputKey.InvalidModelName(model); return false; }
                    break;
                case "--timeframe": timeframeText = Value(); break;
                case "--exchange": exchange = Value(); break;
                case "--gateway-port":
                    if (!TryInt(Value(), 1, 65535, out var port)) { error = "--gateway-port must be a port number."; return false; }
                    client = client with { GatewayPort = port };
                    break;
                case "--service-id": client = client with { ServiceId = Value() ?? "" }; break;
                case "--cluster-id": client = client with { ClusterId = Value() ?? "" }; break;
                case "--verbose": client = client with { Verbose = true }; break;
                case "--postgres":
                    if (Value() is not { } connection || string.IsNullOrWhiteSpace(connection) || connection.StartsWith("--", StringComparison.Ordinal))
                    {
                        error = "--postgres needs a PostgreSQL connection string (\"Host=...;Database=...;Username=...\").";
                        return false;
                    }
                    client = client with { PostgresConnectionString = connection };
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal)) { error = $"Unknown option {arg}."; return false; }
                    positional.Add(arg);
                    break;
            }
        }

        var verb = positional.Count > 0 ? positional[0] : null;
        var arguments = positional.Skip(1).ToArray();
        Instrument instrument = default;
        var timeframe = Timeframe.OneSecond;
        string? instrumentError;
        switch (verb)
        {
            case "feeds":
                if (arguments.Length != 0) { error = "feeds takes no argument."; return false; }
                break;
            case "book" or "book-health" when arguments.Length == 1:
                if (!Instrument.TryParse(arguments[0], out instrument, out instrumentError)) { error = instrumentError; return false; }
                break;
            case "candles" when arguments.Length == 2:
                if (!Instrument.TryParse(arguments[0], out instrument, out instrumentError)) { error = instrumentError; return false; }
                if (!Timeframe.TryParse(arguments[1], out timeframe)) { error = $"Unknown timeframe '{arguments[1]}': expected one of 1s, 1m, 1h, 1d."; return false; }
                break;
            case "pivots" or "pivot-bounds" when arguments.Length == 1:
                if (!Instrument.TryCreate(exchange ?? "binance", arguments[0], out instrument, out instrumentError)) { error = instrumentError; return false; }
                if (timeframeText is not null && !Timeframe.TryParse(timeframeText, out timeframe)) { error = $"Unknown timeframe '{timeframeText}': expected one of 1s, 1m, 1h, 1d."; return false; }
                break;
            case "base-input" or "features" or "model-outputs" when arguments.Length == 1:
                if (!Instrument.TryCreate(exchange ?? "binance", arguments[0], out instrument, out instrumentError)) { error = instrumentError; return false; }
                break;
            case "book" or "book-health" or "candles" or "pivots" or "pivot-bounds" or "base-input" or "features" or "model-outputs":
                error = $"Wrong arguments for {verb}.";
                return false;
            default:
                error = verb is null ? "No command given." : $"Unknown command '{verb}'.";
                return false;
        }
        var count = verb switch { "book" => depth ?? 100, "model-outputs" => limit ?? 100, _ => limit ?? 500 };
        command = new Command(verb, instrument, timeframe, count, levels, asOf, client)
        {
            Request = new Inputs.BaseDataRequest { MinQuality = minQuality, AsOf = asOf, Model = model },
        };
        error = "";
        return true;
    }

    private static bool TryInt(string? text, int min, int max, out int value)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
