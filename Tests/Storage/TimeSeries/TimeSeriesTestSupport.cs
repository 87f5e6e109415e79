using MarketData.Storage.TimeSeries;
using MarketData.Tests.Integration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace MarketData.Tests.Storage.TimeSeries;

/// <summary>Writes log lines to the test output; swallows writes after the test finished.</summary>
internal sealed class OutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try { output.WriteLine($"[{logLevel}] {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}"); }
        catch (InvalidOperationException) { }
    }
}

internal static class TimeSeriesTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static TradeRow Trade(long id, long timeMs, string symbol = "BTCUSDT", string exchange = "binance")
        => new(exchange, symbol, id, 50_000_00000000 + id * 1_000, 1_000_000 + id, id % 3 == 0, timeMs,
            DateTime.UnixEpoch.AddMilliseconds(timeMs + 7));

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<List<T>> ColumnAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync()) values.Add(reader.GetFieldValue<T>(0));
        return values;
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what, Patience, TimeSpan.FromMilliseconds(10));
}
