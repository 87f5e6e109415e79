using MarketData.Candles;
using MarketData.ModelOutputs;
using MarketData.Storage.TimeSeries;
using MarketData.Tests.Postgres;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using static MarketData.Tests.Storage.TimeSeries.TimeSeriesTestSupport;

namespace MarketData.Tests.Storage.TimeSeries;

[Collection(PostgresCollection.Name)]
public sealed class TimeSeriesReaderTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2030, 1, 10, 12, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task Reader_answers_latest_candles_ranges_in_time_order_and_latest_model_outputs()
    {
        if (fixture.Server is not { } server) throw new SkipException(PostgresServer.Unavailable);
        var db = await server.CreateDatabaseAsync("ts_reader");
        await using var writer = new TimeSeriesWriter(db, new TimeSeriesOptions(), new FakeTimeProvider(Now), new OutputLogger<TimeSeriesWriter>(output));
        await writer.StartAsync(CancellationToken.None);
        var tf = Timeframe.OneMinute;
        // Ten closed minutes ending just after midnight (two daily partitions), then the forming one.
        var first = tf.OpenTimeOf(Ms(new DateTimeOffset(2030, 1, 10, 0, 0, 0, TimeSpan.Zero))) - 5 * 60_000;
        Candle Minute(int i) => new()
        {
            OpenTime = first + i * 60_000, CloseTime = tf.CloseTimeOf(first + i * 60_000), Open = i, High = i, Low = i, Close = i,
            Flags = i < 10 ? CandleFlags.Closed : CandleFlags.None,
        };
        for (var i = 0; i <= 10; i++) writer.TryAdd(new CandleRow("binance", "BTCUSDT", tf, Minute(i)));
        writer.TryAdd(new CandleRow("binance", "ETHUSDT", tf, Minute(3)));

        // Trades of two symbols interleaved, with a tie in time.
        var t0 = Ms(Now) - 60_000;
        writer.TryAdd(Trade(5, t0 + 30, "ETHUSDT"));
        writer.TryAdd(Trade(1, t0 + 10));
        writer.TryAdd(Trade(2, t0 + 20));
        writer.TryAdd(Trade(4, t0 + 20, "ETHUSDT"));
        writer.TryAdd(Trade(3, t0 + 40));

        writer.TryAdd(new BookSnapshotRow("binance", "ETHUSDT", t0 + 5, 2, [], []));
        writer.TryAdd(new BookSnapshotRow("binance", "BTCUSDT", t0 + 1, 1, [], []));
        writer.TryAdd(new BookSnapshotRow("binance", "BTCUSDT", t0 + 9, 3, [], []));

        ModelOutput Output(string model, long time, long sequence) => new()
        {
            ModelType = "rl", ModelName = model, Time = time, Sequence = sequence, Predictions = [sequence], ReceivedAt = DateTime.UnixEpoch.AddMilliseconds(time),
        };
        for (var s = 1; s <= 3; s++) writer.TryAdd(new ModelOutputRow("binance", "BTCUSDT", Output("alpha", t0 + s * 100, s)));
        writer.TryAdd(new ModelOutputRow("binance", "BTCUSDT", Output("beta", t0 + 500, 1)));
        await writer.FlushAsync().WaitAsync(Patience);

        var reader = new TimeSeriesReader(db);
        // Latest three stored, forming one included, oldest first.
        Assert.Equal([Minute(8), Minute(9), Minute(10)], await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 3));
        // What was known when minute 7 closed; and at any later time never the forming minute.
        Assert.Equal([Minute(5), Minute(6), Minute(7)], await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 3, closedBy: Minute(7).CloseTime));
        Assert.Equal([Minute(4), Minute(5), Minute(6)], await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 3, closedBy: Minute(7).CloseTime - 1));
        Assert.Equal([Minute(7), Minute(8), Minute(9)], await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 3, closedBy: Minute(10).CloseTime + 60_000));
        Assert.Equal(Enumerable.Range(0, 11).Select(Minute), await reader.LatestCandlesAsync("binance", "BTCUSDT", tf, 100));
        Assert.Empty(await reader.LatestCandlesAsync("binance", "BTCUSDT", Timeframe.OneHour, 10));
        Assert.Equal([Minute(2), Minute(3), Minute(4)], await reader.CandlesAsync("binance", "BTCUSDT", tf, Minute(2).OpenTime, Minute(5).OpenTime));

        var trades = await reader.TradesAsync(t0 + 10, t0 + 40).ToListAsync();
        Assert.Equal([1L, 2L, 4L, 5L], trades.Select(t => t.TradeId));
        Assert.Equal(["BTCUSDT", "BTCUSDT", "ETHUSDT", "ETHUSDT"], trades.Select(t => t.Symbol));

        var snapshots = await reader.BookSnapshotsAsync(t0, t0 + 9).ToListAsync();
        Assert.Equal([(t0 + 1, "BTCUSDT"), (t0 + 5, "ETHUSDT")], snapshots.Select(s => (s.Time, s.Symbol)));

        var outputs = await reader.ModelOutputsAsync("binance", "BTCUSDT", "alpha", 2);
        Assert.Equal([2L, 3L], outputs.Select(o => o.Output.Sequence));
        Assert.All(outputs, o => Assert.Equal("alpha", o.Output.ModelName));
        Assert.Single(await reader.ModelOutputsAsync("binance", "BTCUSDT", "beta", 10));
        Assert.Empty(await reader.ModelOutputsAsync("binance", "ETHUSDT", "alpha", 10));
    }
}
