using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Orleans.Dashboard;

namespace MarketData.Silo.Hosting;

/// <summary>
/// The Orleans Dashboard at <c>/dashboard</c>: off unless <c>Dashboard:Enabled</c> (it profiles every grain call), and
/// then behind HTTP basic authentication with <c>Dashboard:Username</c> / <c>Dashboard:Password</c>. Enabled without
/// credentials, the silo refuses to start unless <c>Dashboard:AllowAnonymous</c> says so. The section's other keys
/// (<c>CounterUpdateIntervalMs</c>, <c>HistoryLength</c>, <c>HideTrace</c>) are the dashboard's own options.
/// </summary>
public static class Dashboard
{
    public const string Section = "Dashboard";
    public const string Path = "/dashboard";

    /// <summary>Adds the dashboard's silo services when enabled; throws <see cref="SiloConfigurationException"/> for unsafe settings.</summary>
    public static ISiloBuilder AddMarketDataDashboard(this ISiloBuilder silo, DashboardSettings settings, IConfiguration configuration)
    {
        if (!settings.Enabled) return silo;
        var section = configuration.GetSection(Section);
        return silo.AddDashboard(options => section.Bind(options));
    }

    /// <summary>Maps the dashboard and its authentication when enabled; when disabled nothing answers there (404).</summary>
    public static WebApplication MapMarketDataDashboard(this WebApplication app, DashboardSettings settings)
    {
        if (!settings.Enabled) return app;
        if (settings.Credentials is { } credentials)
        {
            // Runs after routing and before any endpoint: every dashboard route (page, scripts, API) is covered.
            app.UseWhen(context => context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase),
                branch => branch.Use(next => context => credentials.Accepts(context.Request.Headers.Authorization)
                    ? next(context)
                    : Challenge(context)));
        }
        app.MapOrleansDashboard(routePrefix: Path);
        return app;
    }

    private static Task Challenge(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"Orleans Dashboard\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }
}

/// <summary>The <c>Dashboard</c> section, checked at start.</summary>
public sealed record DashboardSettings
{
    public bool Enabled { get; init; }
    public bool AllowAnonymous { get; init; }

    /// <summary>Null when the dashboard is served without authentication.</summary>
    public BasicCredentials? Credentials { get; init; }

    public static DashboardSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Dashboard.Section);
        var enabled = section.GetValue(nameof(Enabled), false);
        var allowAnonymous = section.GetValue(nameof(AllowAnonymous), false);
        var username = section["Username"];
        var password = section["Password"];
        if (!enabled) return new DashboardSettings();

        var hasUser = !string.IsNullOrEmpty(username);
        var hasPassword = !string.IsNullOrEmpty(password);
        if (hasUser != hasPassword)
            throw new SiloConfigurationException("Dashboard:Username and Dashboard:Password must be set together: set both to protect /dashboard with HTTP basic authentication.");
        if (!hasUser && !allowAnonymous)
            throw new SiloConfigurationException("The Orleans Dashboard is enabled (Dashboard:Enabled=true) without credentials: set Dashboard:Username and Dashboard:Password, or set Dashboard:AllowAnonymous=true to serve /dashboard to anyone who can reach this port.");
        if (hasUser && username!.Contains(':', StringComparison.Ordinal))
            throw new SiloConfigurationException("Dashboard:Username must not contain ':' (HTTP basic authentication separates user and password with it).");
        return new DashboardSettings
        {
            Enabled = true,
            AllowAnonymous = allowAnonymous,
            Credentials = hasUser ? new BasicCredentials(username!, password!) : null,
        };
    }
}

/// <summary>
/// One user name and password for HTTP basic authentication. Compared in constant time: both sides are hashed to a
/// fixed length first (so neither the content nor the length of the secret leaks through timing), and the user name and
/// password results are combined without short-circuiting.
/// </summary>
public sealed class BasicCredentials
{
    private readonly byte[] _user;
    private readonly byte[] _password;

    public BasicCredentials(string username, string password)
    {
        _user = Hash(username);
        _password = Hash(password);
    }

    /// <summary>True when <paramref name="authorization"/> is <c>Basic base64(user:password)</c> with these credentials.</summary>
    public bool Accepts(string? authorization)
    {
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return false;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return false;
        var userMatches = CryptographicOperations.FixedTimeEquals(Hash(decoded[..colon]), _user);
        var passwordMatches = CryptographicOperations.FixedTimeEquals(Hash(decoded[(colon + 1)..]), _password);
        return userMatches & passwordMatches;
    }

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
