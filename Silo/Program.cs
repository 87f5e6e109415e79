using MarketData.Silo.Hosting;
using MarketData.Silo.Http;

// A market-data silo: Orleans (embedded default: localhost clustering, memory streams, storage and reminders;
// with ConnectionStrings:Postgres: membership, grain state and reminders in PostgreSQL, several silos per
// cluster), the feeds (live Binance, or a replay with --replay), and the HTTP API on the same host.
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

// appsettings.json ships beside the binary; the working directory is the caller's (for relative --replay paths).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = commandLine.Remaining, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddInMemoryCollection(commandLine.Settings);

if (commandLine.Verb == SiloCommandLine.MigrateVerb)
{
    using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
    return await PostgresSetup.RunMigrateCommandAsync(builder.Configuration, loggers.CreateLogger("MarketData.Migrate"), Console.Error, CancellationToken.None);
}

builder.UseOrleans(silo =>
{
    silo.UseMarketDataClustering(builder.Configuration);
    silo.AddMarketDataProviders(builder.Configuration);
});
builder.Services.AddSingleton<ActiveFeeds>();
builder.Services.AddHostedService<FeedStarter>();
builder.Services.AddHostedService<SnapshotPublisherStarter>();

var app = builder.Build();
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
app.MapMarketDataApi();
await app.RunAsync();
return 0;
