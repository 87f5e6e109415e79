using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MarketData.Tests.Integration;

/// <summary>
/// A silo in a process of its own (<c>dotnet Silo.dll</c>), configured through environment variables, with its
/// output kept for diagnostics. Used by the multi-silo failover test and the failover benchmark; kill it with
/// <see cref="Kill"/> (SIGKILL, as a crash) or dispose it (the same, if still running).
/// </summary>
public sealed class SiloProcess : IDisposable
{
    private const int KeptLines = 4000;
    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();

    private SiloProcess(string name, Process process, int siloPort, int gatewayPort, int httpPort)
    {
        Name = name;
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
        // Generous: a cold silo process on a starved host takes seconds over its first grain call; probing loops pass their own shorter tokens.
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Name { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public int ProcessId => _process.Id;

    /// <summary>The silo's HTTP API.</summary>
    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts a silo on free ports with <paramref name="settings"/> (configuration keys such as
    /// <c>ConnectionStrings:Postgres</c>) on top of its appsettings.json.
    /// </summary>
    public static SiloProcess Start(string name, IReadOnlyDictionary<string, string?> settings)
    {
        int siloPort = FreePort(), gatewayPort = FreePort(), httpPort = FreePort();
        var all = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase)
        {
            ["Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Urls"] = $"http://127.0.0.1:{httpPort}",
        };
        var process = Launch(all, []);
        var silo = new SiloProcess(name, process, siloPort, gatewayPort, httpPort);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Runs <c>Silo.dll</c> with <paramref name="arguments"/> (e.g. <c>migrate</c>) to the end: exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(IReadOnlyDictionary<string, string?> settings, string[] arguments, TimeSpan timeout)
    {
        using var process = Launch(settings, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Silo.dll {string.Join(' ', arguments)} did not finish within {timeout}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Process Launch(IReadOnlyDictionary<string, string?> settings, string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(SiloDll())!,
        };
        start.ArgumentList.Add(SiloDll());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Environment variables outrank appsettings.json; "__" is the section separator.
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the silo process");
    }

    /// <summary>SIGKILL to the process (and any child): no shutdown, no goodbye to the cluster.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* already gone */ }
    }

    /// <summary>The last time a line containing <paramref name="text"/> was printed, if ever.</summary>
    public DateTime? LastLogged(string text)
    {
        DateTime? last = null;
        foreach (var (at, line) in _lines)
            if (line.Contains(text, StringComparison.Ordinal)) last = at;
        return last;
    }

    /// <summary>The last <paramref name="count"/> lines of output, for a failure message.</summary>
    public string Tail(int count = 40) => string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)).Select(l => l.Line));

    private void Keep(string? line)
    {
        if (line is null) return;
        _lines.Enqueue((DateTime.UtcNow, line));
        while (_lines.Count > KeptLines) _lines.TryDequeue(out _);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        Http.Dispose();
    }

    /// <summary>
    /// The silo's own build output, beside this assembly's: <c>&lt;repo&gt;/Silo/bin/&lt;Configuration&gt;/&lt;tfm&gt;/Silo.dll</c>
    /// (this assembly is in <c>&lt;repo&gt;/&lt;Project&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/</c>; the projects reference Silo, so it is built first).
    /// </summary>
    public static string SiloDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var repo = here.Parent.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(repo, "Silo", "bin", configuration, tfm, "Silo.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Silo.dll not found at {dll}: build the Silo project ({configuration}) first", dll);
    }

    /// <summary>The dotnet host running us (the SDK sets DOTNET_HOST_PATH for its children), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet") return path;
        return "dotnet";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
