using MarketData.Actors;
using MarketData.Feeds;
using MarketData.Storage.TimeSeries;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace MarketData.Silo.Hosting;

/// <summary>
/// Metrics export of the silo through OpenTelemetry: the market-data meters, Orleans', the .NET runtime's and ASP.NET
/// Core's, served for Prometheus at <c>GET /metrics</c> (<c>Telemetry:Prometheus:Enabled</c>, on by default) and pushed
/// over OTLP when an endpoint is configured (<c>Telemetry:Otlp:Endpoint</c> or the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>). With neither, nothing listens and the instruments cost nothing.
/// </summary>
public static class Telemetry
{
    public const string Section = "Telemetry";
    public const string OrleansMeter = "Microsoft.Orleans";
    public const string RuntimeMeter = "System.Runtime";

    /// <summary>Every meter the silo exports.</summary>
    public static IReadOnlyList<string> Meters { get; } =
    [
        MarketDataMetrics.MeterName, FeedMetrics.MeterName, BookMetrics.MeterName, StorageMetrics.MeterName,
        OrleansMeter, RuntimeMeter,
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics", "Microsoft.AspNetCore.Http.Connections", "System.Net.Http",
    ];

    /// <summary>The histograms that get the fine latency buckets of <see cref="FeedMetrics.LagBucketsMilliseconds"/>.</summary>
    public static IReadOnlyList<string> LagHistograms { get; } = [BookMetrics.UpdateLagInstrument, FeedMetrics.LagInstrument];

    /// <summary>Instruments tagged by symbol: one series per book.</summary>
    public static IReadOnlyList<string> PerBookInstruments { get; } = [BookMetrics.Updates.Name, BookMetrics.Gaps.Name, BookMetrics.Resyncs.Name];

    /// <summary>Series kept per per-book instrument (books per silo, with room to spare).</summary>
    public const int PerBookCardinalityLimit = 20_000;

    public static WebApplicationBuilder AddMarketDataTelemetry(this WebApplicationBuilder builder)
    {
        var settings = TelemetrySettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        if (!settings.PrometheusEnabled && settings.OtlpEndpoint is null) return builder;

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(settings.ServiceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([.. Meters]);
                var buckets = FeedMetrics.LagBucketsMilliseconds.ToArray();
                foreach (var histogram in LagHistograms)
                    metrics.AddView(histogram, new ExplicitBucketHistogramConfiguration { Boundaries = buckets });
                // One series per book: OpenTelemetry's default of 2,000 series per instrument would fold the rest of a
                // whole-market silo into an overflow series.
                foreach (var perBook in PerBookInstruments)
                    metrics.AddView(perBook, new MetricStreamConfiguration { CardinalityLimit = PerBookCardinalityLimit });
                if (settings.PrometheusEnabled) metrics.AddPrometheusExporter();
                if (settings.OtlpEndpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Protocol = settings.OtlpProtocol;
                        exporter.Endpoint = endpoint;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)settings.OtlpExportInterval.TotalMilliseconds;
                    });
                }
            });
        return builder;
    }

    /// <summary>Maps <c>GET /metrics</c> when the Prometheus exporter is on.</summary>
    public static WebApplication MapMarketDataTelemetry(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TelemetrySettings>().PrometheusEnabled) app.MapPrometheusScrapingEndpoint();
        return app;
    }
}

/// <summary>The <c>Telemetry</c> section, read once at start.</summary>
public sealed record TelemetrySettings
{
    public bool PrometheusEnabled { get; init; } = true;

    /// <summary>Where OTLP metrics go; null: no OTLP export.</summary>
    public Uri? OtlpEndpoint { get; init; }

    public OtlpExportProtocol OtlpProtocol { get; init; } = OtlpExportProtocol.Grpc;

    public TimeSpan OtlpExportInterval { get; init; } = TimeSpan.FromSeconds(15);

    public string ServiceName { get; init; } = "marketdata-silo";

    /// <summary>
    /// <c>Telemetry:Prometheus:Enabled</c> (default true); <c>Telemetry:Otlp:Endpoint</c>, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>;
    /// <c>Telemetry:Otlp:Protocol</c> (<c>grpc</c> or <c>http/protobuf</c>, else <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, default grpc);
    /// <c>Telemetry:Otlp:ExportInterval</c> (default 15 s); <c>Telemetry:ServiceName</c> (else <c>OTEL_SERVICE_NAME</c>).
    /// </summary>
    public static TelemetrySettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Telemetry.Section);
        var endpointText = section["Otlp:Endpoint"] is { Length: > 0 } configured ? configured : configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var protocolText = section["Otlp:Protocol"] ?? configuration["OTEL_EXPORTER_OTLP_PROTOCOL"];
        var protocol = protocolText?.Trim().ToLowerInvariant() switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
            _ => throw new SiloConfigurationException($"Telemetry:Otlp:Protocol must be 'grpc' or 'http/protobuf', not '{protocolText}'."),
        };
        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(endpointText))
        {
            if (!Uri.TryCreate(endpointText.Trim(), UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                throw new SiloConfigurationException($"Telemetry:Otlp:Endpoint must be an absolute http(s) URL, not '{endpointText}'.");
            // Over HTTP the exporter posts to exactly this URL: a bare collector address gets the metrics path, as the
            // environment variable would.
            if (protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath is "" or "/")
                endpoint = new Uri(endpoint, "v1/metrics");
        }
        var interval = section.GetValue("Otlp:ExportInterval", TimeSpan.FromSeconds(15));
        if (interval < TimeSpan.FromSeconds(1))
            throw new SiloConfigurationException($"Telemetry:Otlp:ExportInterval must be at least one second, not {interval}.");
        return new TelemetrySettings
        {
            PrometheusEnabled = section.GetValue("Prometheus:Enabled", true),
            OtlpEndpoint = endpoint,
            OtlpProtocol = protocol,
            OtlpExportInterval = interval,
            ServiceName = section["ServiceName"] is { Length: > 0 } name ? name : configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } env ? env : "marketdata-silo",
        };
    }
}

/// <summary>A setting that keeps the silo from starting; the message is one sentence saying what to fix.</summary>
public sealed class SiloConfigurationException(string message) : Exception(message);
