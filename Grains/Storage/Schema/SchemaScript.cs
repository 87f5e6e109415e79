using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace MarketData.Storage.Schema;

/// <summary>
/// One schema script: its file name (which orders it), its SQL and the checksum that tells whether the copy applied
/// to a database is still the one shipped.
/// </summary>
public sealed class SchemaScript
{
    /// <summary>Manifest names of the embedded scripts start with this (see Grains.csproj).</summary>
    internal const string ResourcePrefix = "MarketData.Storage.Schema.Sql.";

    public SchemaScript(string name, string sql)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(sql);
        Name = name;
        Sql = sql;
        Checksum = ComputeChecksum(sql);
    }

    /// <summary>The file name, e.g. <c>002-orleans-clustering.sql</c>.</summary>
    public string Name { get; }

    public string Sql { get; }

    /// <summary>SHA-256 of the text, lower-case hex. Line endings are normalised first, so that a checkout with CRLF
    /// line endings does not count as a change.</summary>
    public string Checksum { get; }

    /// <summary>The scripts embedded from Grains/Storage/Schema/Sql, in the order they are applied (file name, ordinal).</summary>
    public static IReadOnlyList<SchemaScript> LoadEmbedded()
    {
        var assembly = typeof(SchemaScript).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            scripts.Add(new SchemaScript(resource[ResourcePrefix.Length..], Read(assembly, resource)));
        }
        scripts.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return scripts;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded schema script {resource} could not be opened.");
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static string ComputeChecksum(string sql)
    {
        var normalised = sql.Replace("\r\n", "\n", StringComparison.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    public override string ToString() => Name;
}
