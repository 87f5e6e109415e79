using System.Globalization;
using System.Text;
using System.Text.Json;
using MarketData.Books;
using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace MarketData.Silo.Hosting;

/// <summary>Readiness tuning, bound from <c>Health</c>.</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>Share of the followed books that must be synced for the silo to be ready (0-1; 1 = every one).</summary>
    public double MinSyncedFraction { get; set; } = 1.0;

    /// <summary>How long a readiness answer is reused: probes stay cheap however often they come.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait for the feed and book grains to answer; a book that has not answered by then counts as not synced.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public string? Validate()
    {
        if (double.IsNaN(MinSyncedFraction) || MinSyncedFraction is < 0 or > 1) return $"Health:MinSyncedFraction must be between 0 and 1, not {MinSyncedFraction.ToString(CultureInfo.InvariantCulture)}.";
        if (CacheDuration < TimeSpan.Zero) return $"Health:CacheDuration must not be negative, not {CacheDuration}.";
        if (CallTimeout <= TimeSpan.Zero) return $"Health:CallTimeout must be positive, not {CallTimeout}.";
        return null;
    }
}

/// <summary>
/// <c>GET /health/live</c>: the process (200 while the HTTP host runs). <c>GET /health/ready</c>: 200 only when this silo
/// is an active member of the cluster, every feed it should run is connected (a replay: playing or finished), and at least
/// <see cref="HealthOptions.MinSyncedFraction"/> of the books those feeds follow are synced; 503 otherwise. Both answer JSON
/// with each check's status and reason.
/// </summary>
public static class Health
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    private const string Live = "live";
    private const string Ready = "ready";

    public static IServiceCollection AddMarketDataHealth(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new HealthOptions();
        configuration.GetSection(HealthOptions.Section).Bind(options);
        if (options.Validate() is { } error) throw new SiloConfigurationException(error);
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<ReadinessProbe>();
        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy("the HTTP host is running"), tags: [Live])
            .AddCheck<ClusterMembershipCheck>("cluster", tags: [Ready])
            .AddCheck<FeedsConnectedCheck>("feeds", tags: [Ready])
            .AddCheck<BooksSyncedCheck>("books", tags: [Ready]);
        return services;
    }

    public static WebApplication MapMarketDataHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(Live), ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        return app;
    }

    /// <summary><c>{"status":"Unhealthy","checks":{"books":{"status":"Unhealthy","reason":"..."}}}</c>.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("reason", entry.Description ?? entry.Exception?.Message);
                foreach (var (key, value) in entry.Data)
                {
                    json.WritePropertyName(key);
                    JsonSerializer.Serialize(json, value);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return context.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }
}

/// <summary>Ready when this silo is an active member of its cluster (joined, not starting or shutting down).</summary>
internal sealed class ClusterMembershipCheck(ILocalSiloDetails silo, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(ReadinessProbe.ClusterResult(silo, membership));
}

internal sealed class FeedsConnectedCheck(ReadinessProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => (await probe.GetAsync(cancellationToken)).Feeds;
}

internal sealed class BooksSyncedCheck(ReadinessProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => (await probe.GetAsync(cancellationToken)).Books;
}

/// <summary>
/// Asks the feed grains and the followed books where they stand, at most once per <see cref="HealthOptions.CacheDuration"/>
/// (concurrent probes share one evaluation). Books are asked in parallel, each answer bounded by <see cref="HealthOptions.CallTimeout"/>.
/// </summary>
internal sealed class ReadinessProbe(IGrainFactory grains, ActiveFeeds feeds, ILocalSiloDetails silo, IClusterMembershipService membership,
    IOptions<HealthOptions> options, TimeProvider time)
{
    internal sealed record Report(HealthCheckResult Feeds, HealthCheckResult Books);

    /// <summary>Names listed in a reason, at most.</summary>
    internal const int MaxListed = 10;

    private readonly Lock _gate = new();
    private Task<Report>? _current;
    private long _evaluatedAt;

    public Task<Report> GetAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        lock (_gate)
        {
            var fresh = _current is { IsCompleted: false }
                || (_current is { IsCompletedSuccessfully: true } && time.GetElapsedTime(_evaluatedAt) < settings.CacheDuration);
            if (!fresh)
            {
                _evaluatedAt = time.GetTimestamp();
                _current = EvaluateAsync(settings);
            }
            return _current!.WaitAsync(cancellationToken);
        }
    }

    internal static HealthCheckResult ClusterResult(ILocalSiloDetails silo, IClusterMembershipService membership)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        var text = $"silo {silo.SiloAddress} is {status}";
        return status == SiloStatus.Active ? HealthCheckResult.Healthy(text) : HealthCheckResult.Unhealthy(text + " (not an active cluster member)");
    }

    private async Task<Report> EvaluateAsync(HealthOptions settings)
    {
        if (ClusterResult(silo, membership).Status != HealthStatus.Healthy)
        {
            const string waiting = "waiting for this silo to join the cluster";
            return new Report(HealthCheckResult.Unhealthy(waiting), HealthCheckResult.Unhealthy(waiting));
        }
        var active = feeds.All;
        if (active.Count == 0)
            return new Report(HealthCheckResult.Healthy("no feeds configured"), HealthCheckResult.Healthy("no feeds configured, so no books followed"));

        var statuses = await Task.WhenAll(active.Select(f => FeedStatusAsync(f.Kind, f.FeedId, settings.CallTimeout)));
        var feedResult = FeedsResult(active, statuses);
        var booksResult = await BooksResultAsync(active, statuses, settings);
        return new Report(feedResult, booksResult);
    }

    private async Task<FeedStatus?> FeedStatusAsync(FeedKind kind, string feedId, TimeSpan timeout)
    {
        try
        {
            return await Actors.FeedGrains.Get(grains, kind, feedId).GetStatusAsync().WaitAsync(timeout, time);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return null;
        }
    }

    /// <summary>A live feed must be connected (degraded: REST refused but streams flowing, reported as such); a replay playing or finished.</summary>
    private static HealthCheckResult FeedsResult(IReadOnlyList<(FeedKind Kind, string FeedId)> active, FeedStatus?[] statuses)
    {
        var problems = new List<string>();
        var notes = new List<string>();
        var fine = new List<string>();
        for (var i = 0; i < active.Count; i++)
        {
            var (kind, id) = active[i];
            var status = statuses[i];
            if (status is null) { problems.Add($"feed {id} did not answer"); continue; }
            var state = status.State;
            var ok = kind == FeedKind.Replay ? state is FeedState.Connected or FeedState.Completed : state == FeedState.Connected;
            var error = status.LastError is { Length: > 0 } last ? $" (last error: {last})" : "";
            if (ok) fine.Add($"{id} {StateText(state)}");
            else if (kind != FeedKind.Replay && state == FeedState.Degraded) notes.Add($"feed {id} is degraded: REST refused until {status.RestBlockedUntil:O}, streams still flowing");
            else problems.Add($"feed {id} is {StateText(state)}{error}");
        }
        if (problems.Count > 0) return HealthCheckResult.Unhealthy(string.Join("; ", problems.Concat(notes)));
        if (notes.Count > 0) return HealthCheckResult.Degraded(string.Join("; ", notes.Concat(fine)));
        return HealthCheckResult.Healthy(string.Join("; ", fine));
    }

    private static string StateText(FeedState state) => state switch
    {
        FeedState.Connected => "connected",
        FeedState.Completed => "finished",
        _ => state.ToString().ToLowerInvariant(),
    };

    private async Task<HealthCheckResult> BooksResultAsync(IReadOnlyList<(FeedKind Kind, string FeedId)> active, FeedStatus?[] statuses, HealthOptions settings)
    {
        IReadOnlyList<FeedRegistration> registered;
        try
        {
            registered = await grains.GetGrain<IFeedRegistryGrain>(0).GetFeedsAsync().WaitAsync(settings.CallTimeout, time);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return HealthCheckResult.Unhealthy("the feed registry did not answer: " + e.Message);
        }

        // The books of each active feed; those of a finished replay may be stale: their levels are the recording's last state.
        var books = new List<(Instrument Instrument, bool StaleAllowed)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unregistered = new List<string>();
        for (var i = 0; i < active.Count; i++)
        {
            var (kind, id) = active[i];
            var registration = registered.FirstOrDefault(r => r.FeedId == id && r.Kind == kind);
            if (registration is null) { unregistered.Add(id); continue; }
            var staleAllowed = kind == FeedKind.Replay && statuses[i]?.State == FeedState.Completed;
            foreach (var symbol in registration.Symbols)
                if (Instrument.TryCreate(registration.Exchange, symbol, out var instrument, out _) && seen.Add(instrument.Key))
                    books.Add((instrument, staleAllowed));
        }
        if (unregistered.Count > 0)
            return HealthCheckResult.Unhealthy($"feed {string.Join(", ", unregistered)} has not registered its symbols yet");
        if (books.Count == 0) return HealthCheckResult.Healthy("the feeds follow no books yet");

        var calls = books.Select(b => grains.GetGrain<IOrderBookGrain>(b.Instrument.Key).GetTopOfBookAsync()).ToArray();
        var all = Task.WhenAll(calls);
        await Task.WhenAny(all, Task.Delay(settings.CallTimeout, time));
        _ = all.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed: late failures are not news

        var byProblem = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var ok = 0;
        for (var i = 0; i < calls.Length; i++)
        {
            var call = calls[i];
            string? problem;
            if (!call.IsCompletedSuccessfully) problem = call.IsFaulted ? "failed" : "not answering";
            else if (call.Result.Status == BookStatus.Synced || (books[i].StaleAllowed && call.Result.Status == BookStatus.Stale)) problem = null;
            else problem = Actors.BookMetrics.TagOf(call.Result.Status);
            if (problem is null) { ok++; continue; }
            if (!byProblem.TryGetValue(problem, out var names)) byProblem[problem] = names = [];
            names.Add(books[i].Instrument.Symbol);
        }
        var reason = BooksReason(ok, books.Count, settings.MinSyncedFraction, byProblem, books.Any(b => b.StaleAllowed));
        var data = new Dictionary<string, object>
        {
            ["synced"] = ok,
            ["followed"] = books.Count,
            ["minSyncedFraction"] = settings.MinSyncedFraction,
        };
        var ready = ok >= Math.Ceiling(settings.MinSyncedFraction * books.Count - 1e-9);
        return ready ? HealthCheckResult.Healthy(reason, data: data) : HealthCheckResult.Unhealthy(reason, data: data);
    }

    /// <summary>"1,497 of 1,500 books synced (at least 100% needed); stale: X, Y; syncing: Z" naming at most <see cref="MaxListed"/> books.</summary>
    internal static string BooksReason(int ok, int total, double minFraction, IReadOnlyDictionary<string, List<string>> byProblem, bool replayFinished)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{ok:N0} of {total:N0} books synced{(replayFinished ? " (or stale after a finished replay)" : "")}");
        text.Append(CultureInfo.InvariantCulture, $" (at least {minFraction * 100:0.##}% needed)");
        var listed = 0;
        foreach (var (problem, names) in byProblem)
        {
            text.Append("; ").Append(problem).Append(": ");
            var shown = names.Take(Math.Max(0, MaxListed - listed)).ToList();
            listed += shown.Count;
            text.Append(string.Join(", ", shown));
            if (names.Count > shown.Count)
                text.Append(shown.Count > 0 ? ", " : "").Append(CultureInfo.InvariantCulture, $"and {names.Count - shown.Count:N0} more");
        }
        return text.ToString();
    }
}
