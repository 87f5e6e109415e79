using MarketData.Silo.Hosting;

// A market-data silo: Orleans (embedded default: localhost clustering, memory streams, storage and reminders;
// with ConnectionStrings:Postgres: membership, grain state and reminders in PostgreSQL, several silos per
// cluster), the feeds (live Binance, or a replay with --replay), the HTTP API, metrics, health endpoints and the
// optional dashboard on the same host (built by SiloHost, which the integration tests share).
// `migrate` applies the PostgreSQL schema and exits.
SiloCommandLine.Parsed commandLine;
try
{
    commandLine = SiloCommandLine.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var builder = SiloHost.CreateBuilder(commandLine.Remaining, commandLine.Settings);

if (commandLine.Verb == SiloCommandLine.MigrateVerb)
{
    using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
    return await PostgresSetup.RunMigrateCommandAsync(builder.Configuration, loggers.CreateLogger("MarketData.Migrate"), Console.Error, CancellationToken.None);
}

WebApplication app;
try
{
    app = SiloHost.Build(builder);
}
catch (SiloConfigurationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// The schema before Orleans starts: its providers read their queries from the database when they start.
if (PostgresSetup.ConnectionString(builder.Configuration) is { } postgres && PostgresSetup.MigrateOnStart(builder.Configuration))
{
    var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MarketData.Migrate");
    if (await PostgresSetup.TryMigrateAsync(postgres, logger, app.Lifetime.ApplicationStopping) is { } failure)
    {
        logger.LogCritical("{Failure} (set {Key}=false to skip migrating at start)", failure, PostgresSetup.MigrateOnStartKey);
        return 1;
    }
}
await app.RunAsync();
return 0;
