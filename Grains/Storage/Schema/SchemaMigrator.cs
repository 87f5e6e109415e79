// TEMPORARY STUB (branch multisilo): the real SchemaMigrator comes from branch orleans-sql; this file goes on merge.
using Microsoft.Extensions.Logging;

namespace MarketData.Storage.Schema;

public static class SchemaMigrator
{
    public static Task MigrateAsync(string connectionString, ILogger logger, CancellationToken ct)
        => throw new NotSupportedException("stub: merge branch orleans-sql");
}
