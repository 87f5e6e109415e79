using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace MarketData.Tests.Postgres;

/// <summary>
/// A throwaway PostgreSQL server for tests: a fresh data directory under the temp folder, a free loopback port,
/// trust authentication, stopped and deleted at the end. Uses the machine's PostgreSQL binaries (PATH, else
/// /usr/lib/postgresql/*/bin); as root it runs them as the <c>postgres</c> user (the server refuses root).
/// <see cref="StartAsync"/> returns null, with the reason in <see cref="Unavailable"/>, when there are no binaries.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string? _runAs;
    private readonly string _root;
    private readonly string[] _settings;
    private int _databases;

    private PostgresServer(string bin, string? runAs, string root, int port, string[] settings)
    {
        _bin = bin;
        _runAs = runAs;
        _root = root;
        Port = port;
        _settings = settings;
    }

    /// <summary>Set to 1 (as <c>.ci/run</c> does) to fail instead of skipping when PostgreSQL cannot be started.</summary>
    public const string RequireVariable = "MARKETDATA_REQUIRE_POSTGRES";

    public int Port { get; }
    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>Why no server could be started (for the skip message), when it could not.</summary>
    public static string? Unavailable { get; private set; }

    /// <summary>The connection string of the <c>postgres</c> database (superuser, no password).</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database)
        => new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true, Timeout = 15, CommandTimeout = 60 }.ConnectionString;

    /// <param name="settings">Server settings (<c>name=value</c>) on top of the test defaults, e.g. <c>fsync=on</c> for a benchmark.</param>
    public static async Task<PostgresServer?> StartAsync(IEnumerable<string>? settings = null)
    {
        var bin = FindBinaries();
        if (bin is null)
        {
            Unavailable = "no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql";
            // CI installs PostgreSQL and sets this: there, tests that return early would pass without having run.
            if (Environment.GetEnvironmentVariable(RequireVariable) == "1") throw new InvalidOperationException($"{RequireVariable}=1 but {Unavailable}.");
            return null;
        }
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var root = Path.Combine(Path.GetTempPath(), $"marketdata-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        if (runAs is not null) await RunAsync("chown", ["-R", runAs, root]);
        var server = new PostgresServer(bin, runAs, root, FreePort(), [.. settings ?? []]);
        await server.PgAsync("initdb", "-D", server.DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await server.StartServerAsync();
        return server;
    }

    /// <summary>A new empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var full = $"{prefix}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}".ToLowerInvariant();
        var name = full[..Math.Min(60, full.Length)];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Stops the server: <c>fast</c> (clean shutdown) or <c>immediate</c> (as if the process died).</summary>
    public Task StopAsync(string mode = "fast") => PgAsync("pg_ctl", "-D", DataDirectory, "-m", mode, "-w", "stop");

    public Task StartServerAsync() => PgAsync("pg_ctl", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(_root, "server.log"),
        "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on -c max_connections=200"
            + string.Concat(_settings.Select(setting => " -c " + setting)), "start");

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync("immediate"); } catch (InvalidOperationException) { /* already stopped */ }
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task PgAsync(string tool, params string[] args)
    {
        var exe = Path.Combine(_bin, tool);
        return _runAs is null ? RunAsync(exe, args) : RunAsync("runuser", ["-u", _runAs, "--", exe, .. args]);
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr} {await stdout}");
    }

    private static string? FindBinaries()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        const string debian = "/usr/lib/postgresql";
        if (!Directory.Exists(debian)) return null;
        return Directory.GetDirectories(debian)
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One server shared by a test collection; tests take their own database from it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer? Server { get; private set; }

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
