using MarketData.Silo.Hosting;
using MarketData.Silo.Http;

// A market-data silo: Orleans (embedded default: localhost clustering, memory streams, storage and
// reminders), the feeds (live Binance, or a replay with --replay), and the HTTP API on the same host.
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

var orleans = builder.Configuration.GetSection("Orleans");
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(
        siloPort: orleans.GetValue("SiloPort", 11111),
        gatewayPort: orleans.GetValue("GatewayPort", 30000),
        serviceId: orleans.GetValue("ServiceId", "marketdata") ?? "marketdata",
        clusterId: orleans.GetValue("ClusterId", "dev") ?? "dev");
    silo.AddMarketDataProviders(builder.Configuration);
});
builder.Services.AddSingleton<ActiveFeeds>();
builder.Services.AddHostedService<FeedStarter>();
builder.Services.AddHostedService<SnapshotPublisherStarter>();

var app = builder.Build();
app.MapMarketDataApi();
await app.RunAsync();
return 0;
