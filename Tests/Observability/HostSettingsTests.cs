using System.Text;
using MarketData.Silo.Hosting;
using MarketData.Tests.Integration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MarketData.Tests.Observability;

/// <summary>Start-up checks of the dashboard, telemetry and health settings, and the pieces behind them.</summary>
public sealed class HostSettingsTests
{
    private const string NoCredentials = "The Orleans Dashboard is enabled (Dashboard:Enabled=true) without credentials";

    private static Task<Microsoft.AspNetCore.Builder.WebApplication> BuildAsync(Dictionary<string, string?> settings)
    {
        var builder = SiloHost.CreateBuilder([], settings, appSettings: false);
        builder.Logging.ClearProviders();
        return Task.FromResult(SiloHost.Build(builder));
    }

    [Fact]
    public async Task Dashboard_enabled_without_credentials_refuses_to_start_with_a_sentence()
    {
        var error = await Assert.ThrowsAsync<SiloConfigurationException>(() => BuildAsync(new() { ["Dashboard:Enabled"] = "true" }));
        Assert.StartsWith(NoCredentials, error.Message, StringComparison.Ordinal);
        Assert.Contains("Dashboard:AllowAnonymous", error.Message, StringComparison.Ordinal);

        var half = await Assert.ThrowsAsync<SiloConfigurationException>(() => BuildAsync(new() { ["Dashboard:Enabled"] = "true", ["Dashboard:Username"] = "x" }));
        Assert.Contains("must be set together", half.Message, StringComparison.Ordinal);

        // Said so explicitly, or disabled, or with credentials: the host builds.
        foreach (var settings in new Dictionary<string, string?>[]
        {
            new() { ["Dashboard:Enabled"] = "true", ["Dashboard:AllowAnonymous"] = "true" },
            new() { ["Dashboard:Enabled"] = "false" },
            new() { ["Dashboard:Enabled"] = "true", ["Dashboard:Username"] = "a", ["Dashboard:Password"] = "b" },
        })
        {
            await using var app = await BuildAsync(settings);
        }
    }

    [Fact]
    public async Task The_silo_program_prints_the_sentence_and_exits_2()
    {
        var (exit, text) = await SiloProcess.RunToEndAsync(new Dictionary<string, string?> { ["Dashboard:Enabled"] = "true" }, [], TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.Contains(NoCredentials, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_telemetry_and_health_settings_refuse_to_start()
    {
        var endpoint = await Assert.ThrowsAsync<SiloConfigurationException>(() => BuildAsync(new() { ["Telemetry:Otlp:Endpoint"] = "not a url" }));
        Assert.Contains("Telemetry:Otlp:Endpoint", endpoint.Message, StringComparison.Ordinal);
        var protocol = await Assert.ThrowsAsync<SiloConfigurationException>(() => BuildAsync(new() { ["Telemetry:Otlp:Protocol"] = "carrier-pigeon" }));
        Assert.Contains("Telemetry:Otlp:Protocol", protocol.Message, StringComparison.Ordinal);
        var fraction = await Assert.ThrowsAsync<SiloConfigurationException>(() => BuildAsync(new() { ["Health:MinSyncedFraction"] = "1.5" }));
        Assert.Contains("Health:MinSyncedFraction", fraction.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_settings_read_the_otlp_endpoint_from_the_section_or_the_standard_variable()
    {
        static TelemetrySettings Read(Dictionary<string, string?> values)
            => TelemetrySettings.From(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

        var none = Read([]);
        Assert.True(none.PrometheusEnabled);
        Assert.Null(none.OtlpEndpoint);
        Assert.False(Read(new() { ["Telemetry:Prometheus:Enabled"] = "false" }).PrometheusEnabled);
        Assert.Equal(new Uri("http://collector:4317"), Read(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317" }).OtlpEndpoint);
        Assert.Equal(new Uri("http://mine:4317"), Read(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317", ["Telemetry:Otlp:Endpoint"] = "http://mine:4317" }).OtlpEndpoint);
        // Over HTTP a bare collector address gets the metrics path.
        var http = Read(new() { ["Telemetry:Otlp:Endpoint"] = "http://collector:4318", ["Telemetry:Otlp:Protocol"] = "http/protobuf" });
        Assert.Equal(new Uri("http://collector:4318/v1/metrics"), http.OtlpEndpoint);
        Assert.Equal(OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, http.OtlpProtocol);
    }

    [Fact]
    public void Basic_credentials_accept_only_the_exact_pair()
    {
        var credentials = new BasicCredentials("operator", "pa:ss wörd");
        static string Header(string pair) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));
        Assert.True(credentials.Accepts(Header("operator:pa:ss wörd")));
        Assert.True(credentials.Accepts("basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:pa:ss wörd"))));
        Assert.False(credentials.Accepts(Header("operator:pa:ss word")));
        Assert.False(credentials.Accepts(Header("Operator:pa:ss wörd")));
        Assert.False(credentials.Accepts(Header("operator:")));
        Assert.False(credentials.Accepts(Header("operatorpa:ss wörd")));
        Assert.False(credentials.Accepts(Header("no colon")));
        Assert.False(credentials.Accepts("Basic %%%"));
        Assert.False(credentials.Accepts("Bearer abc"));
        Assert.False(credentials.Accepts(""));
        Assert.False(credentials.Accepts(null));
    }

    [Fact]
    public void Books_reason_counts_and_names_at_most_ten_books()
    {
        var problems = new SortedDictionary<string, List<string>>(StringComparer.Ordinal)
        {
            ["stale"] = ["X", "Y", "Z"],
            ["syncing"] = Enumerable.Range(1, 12).Select(i => $"S{i:00}").ToList(),
        };
        var reason = ReadinessProbe.BooksReason(1_485, 1_500, 1.0, problems, replayFinished: false);
        Assert.StartsWith("1,485 of 1,500 books synced (at least 100% needed); stale: X, Y, Z; syncing: S01, S02, S03, S04, S05, S06, S07, and 5 more", reason, StringComparison.Ordinal);
        Assert.Equal("2 of 2 books synced (at least 95% needed)", ReadinessProbe.BooksReason(2, 2, 0.95, new Dictionary<string, List<string>>(), replayFinished: false));
    }
}
