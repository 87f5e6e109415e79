using System.IO.Compression;
using System.Text;
using MarketData.Tests.Integration;

namespace MarketData.Tests.Recording;

/// <summary>Locates the repository and ../shared data, and writes small recording files into a temp folder.</summary>
internal sealed class RecordingTestFiles : IDisposable
{
    public RecordingTestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "md-recording-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string FilePath(string name) => Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="lines"/> joined by '\n' (with a final newline), gzip-compressed when asked.</summary>
    public string Write(string name, IEnumerable<string> lines, bool gzip)
    {
        var path = FilePath(name);
        var bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        using var file = File.Create(path);
        if (gzip)
        {
            using var compressed = new GZipStream(file, CompressionLevel.Fastest);
            compressed.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }
        return path;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The folder holding Orleans.sln, walking up from the test binaries; null if not found.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>A folder under ../shared/data (beside the repository), or null when it is absent.</summary>
    public static string? SharedFolder(string relativePath)
    {
        var root = RepositoryRoot();
        if (root is null) return null;
        var path = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", relativePath));
        return System.IO.Directory.Exists(path) ? path : null;
    }

    /// <summary>A file under ../shared/data (beside the repository), or null when it is absent.</summary>
    public static string? SharedData(string relativePath)
    {
        var root = RepositoryRoot();
        if (root is null) return null;
        var path = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", relativePath));
        return File.Exists(path) ? path : null;
    }

    /// <summary>The shipped sample recording.</summary>
    public static string? Sample()
    {
        var root = RepositoryRoot();
        if (root is null) return null;
        var path = Path.Combine(root, "samples", "binance-spot-btcusdt-ethusdt-2m.rec.gz");
        return File.Exists(path) ? path : null;
    }

    /// <summary>Waits (polling) until <paramref name="condition"/> holds, failing after a generous bound.</summary>
    public static Task WaitUntil(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what, poll: TimeSpan.FromMilliseconds(2));
}
