using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace MarketData.Benchmarks;

/// <summary>
/// A PostgreSQL server for one benchmark run: a fresh data directory under the temp folder, a free loopback port,
/// trust authentication, stopped and deleted on dispose. Uses the machine's binaries (PATH, else
/// /usr/lib/postgresql/*/bin) and, as root, runs them as <c>postgres</c> (the server refuses root). The benchmarks cannot
/// reference the test project, so this is a small copy of its fixture with the server settings a benchmark wants.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string? _runAs;
    private readonly string _root;

    private ThrowawayPostgres(string bin, string? runAs, string root, int port)
    {
        _bin = bin;
        _runAs = runAs;
        _root = root;
        Port = port;
    }

    public int Port { get; }
    public string Version { get; private set; } = "";

    public string ConnectionString(string database = "postgres")
        => new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Timeout = 15, CommandTimeout = 300 }.ConnectionString;

    /// <summary>Starts a server with <paramref name="settings"/> (name=value, passed as -c); null with the reason when there are no binaries.</summary>
    public static async Task<(ThrowawayPostgres? Server, string? Error)> StartAsync(IEnumerable<string> settings)
    {
        var bin = FindBinaries();
        if (bin is null) return (null, "no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql");
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var root = Path.Combine(Path.GetTempPath(), $"marketdata-bench-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        if (runAs is not null) await RunAsync("chown", ["-R", runAs, root]);
        var server = new ThrowawayPostgres(bin, runAs, root, FreePort());
        await server.PgAsync("initdb", "-D", Path.Combine(root, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8");
        var options = $"-p {server.Port} -k {root} -c listen_addresses=127.0.0.1 " + string.Join(' ', settings.Select(s => "-c " + s));
        await server.PgAsync("pg_ctl", "-D", Path.Combine(root, "data"), "-w", "-t", "60", "-l", Path.Combine(root, "server.log"), "-o", options, "start");
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync();
        server.Version = connection.PostgreSqlVersion.ToString();
        return (server, null);
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { await PgAsync("pg_ctl", "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"); } catch (InvalidOperationException) { }
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
