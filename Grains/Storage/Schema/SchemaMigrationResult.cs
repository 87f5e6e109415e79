namespace MarketData.Storage.Schema;

/// <summary>What one migrator run did to one database.</summary>
public sealed class SchemaMigrationResult
{
    public SchemaMigrationResult(string database, IReadOnlyList<string> applied, IReadOnlyList<string> skipped, IReadOnlyList<string> changed)
    {
        Database = database;
        Applied = applied;
        Skipped = skipped;
        Changed = changed;
    }

    /// <summary>The database's name (from the connection string).</summary>
    public string Database { get; }

    /// <summary>Scripts run by this call, in order: new ones and those in <see cref="Changed"/>.</summary>
    public IReadOnlyList<string> Applied { get; }

    /// <summary>Scripts already applied with the same checksum: not run.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Scripts that had been applied with a different checksum and were run again (they are idempotent).</summary>
    public IReadOnlyList<string> Changed { get; }

    public override string ToString()
        => $"database {Database}: applied {Applied.Count}{List(Applied)}"
            + (Changed.Count > 0 ? $" of which {Changed.Count} changed since applied before{List(Changed)}" : "")
            + $", skipped {Skipped.Count}{List(Skipped)}";

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "" : $" ({string.Join(", ", names)})";
}
