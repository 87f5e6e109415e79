namespace MarketData.Storage.Schema;

/// <summary>
/// The schema could not be brought up to date: the server is unreachable, the database is missing, the login is
/// refused, or a script failed (and was rolled back). The message says which, and where.
/// </summary>
public sealed class SchemaMigrationException : Exception
{
    public SchemaMigrationException() { }

    public SchemaMigrationException(string message) : base(message) { }

    public SchemaMigrationException(string message, Exception innerException) : base(message, innerException) { }
}
