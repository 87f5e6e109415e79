using BenchmarkDotNet.Attributes;
using MarketData.Candles;
using MarketData.Domain.Candles;
using MarketData.Streams;

namespace MarketData.Benchmarks;

/// <summary>
/// The candle hot paths: one trade into the forming 1s candle (<see cref="TradeCandleBuilder"/>), one forming
/// kline update into a full 1m cache (<see cref="CandleSeries.Apply"/>), plus the memory of the four caches of one
/// symbol (1s, 1m, 1h, 1d at 1,500 candles each, filled): allocated bytes of <see cref="BuildFourCaches"/>, and
/// the GC-measured figure printed by the setup.
/// Each operation is a batch of <see cref="Batch"/> updates; results are reported per update.
/// </summary>
[MemoryDiagnoser]
public class CandleBenchmarks
{
    public const int Batch = 1_000;
    private const long T0 = 1_723_161_600_000; // 2024-08-09 00:00 UTC

    private TradeEvent[] _trades = [];
    private TradeCandleBuilder _builder = null!;
    private CandleSeries _series = null!;
    private Candle[] _klineUpdates = [];
    private long _nextTradeId;
    private long _formingOpen;

    [GlobalSetup]
    public void Setup()
    {
        // A realistic tape: a few trades per millisecond-ish, price walking by a tick, 1s candles closing as it goes.
        _trades = new TradeEvent[Batch];
        for (var i = 0; i < Batch; i++)
        {
            _trades[i] = new TradeEvent
            {
                TradeId = i, FirstTradeId = i, LastTradeId = i, TradeTime = T0 + i * 3,
                Price = 6_184_563_000_000 + (i % 17) * 1_000_000, Quantity = 123_000 + i, BuyerIsMaker = (i & 1) == 0,
            };
        }
        _builder = new TradeCandleBuilder(Timeframe.OneSecond);

        // A full 1m cache and a forming minute updated Batch times (volume and trades growing, as the stream sends).
        _series = new CandleSeries(Timeframe.OneMinute);
        for (var i = 0; i < CandleSeries.DefaultCapacity; i++) _series.Apply(Bar(Timeframe.OneMinute, T0 + i * 60_000L, closed: true, step: 10));
        _formingOpen = T0 + CandleSeries.DefaultCapacity * 60_000L;
        _klineUpdates = new Candle[Batch];
        for (var i = 0; i < Batch; i++) _klineUpdates[i] = Bar(Timeframe.OneMinute, _formingOpen, closed: false, step: i + 1);
        Console.WriteLine($"// Memory of the four caches of one symbol (1s, 1m, 1h, 1d x 1,500, filled): {MeasureFourCaches():N0} bytes " +
                          $"(Candle is {System.Runtime.CompilerServices.Unsafe.SizeOf<Candle>()} bytes)");
    }

    private static Candle Bar(Timeframe tf, long open, bool closed, int step) => new()
    {
        OpenTime = open,
        CloseTime = tf.CloseTimeOf(open),
        Open = 6_184_563_000_000,
        High = 6_184_563_000_000 + step * 1_000_000L,
        Low = 6_184_563_000_000 - step * 1_000_000L,
        Close = 6_184_563_000_000,
        Volume = step * 100_000L,
        QuoteVolume = step * 6_184_563_000L,
        TradeCount = step,
        TakerBuyVolume = step * 50_000L,
        TakerBuyQuoteVolume = step * 3_092_281_500L,
        Source = CandleSource.BinanceStream,
        Flags = closed ? CandleFlags.Closed : CandleFlags.None,
    };

    /// <summary>Managed bytes held by four filled caches, measured with a forced GC before and after.</summary>
    public static long MeasureFourCaches()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var caches = BuildCaches();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(caches);
        return after - before;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "TradeCandleBuilder.OnTrade (1s)")]
    public long CandleUpdateFromTrade()
    {
        // Ids and times keep rising across invocations so every trade is applied, never a duplicate.
        var builder = _builder;
        var offset = _nextTradeId;
        long closed = 0;
        foreach (var t in _trades)
        {
            if (builder.OnTrade(offset + t.TradeId, t.Price, t.Quantity, t.TradeTime + offset * 3, t.BuyerIsMaker, false, 1, out var c)
                == TradeApplyResult.AppliedAndClosed) closed += c.TradeCount;
        }
        _nextTradeId = offset + Batch;
        return closed;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "TradeCandleBuilder.OnTrade(TradeEvent) (1s)")]
    public long CandleUpdateFromTradeEvent()
    {
        // Same tape replayed as events: after the first pass they are duplicates, so reset the builder per batch.
        var builder = new TradeCandleBuilder(Timeframe.OneSecond);
        long closed = 0;
        foreach (var t in _trades)
            if (builder.OnTrade(t, out var c) == TradeApplyResult.AppliedAndClosed) closed += c.TradeCount;
        return closed;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "CandleSeries.Apply forming kline (1m, full cache)")]
    public int CandleUpdateFromKline()
    {
        // Growing updates of one forming minute, a later minute each invocation (the previous forming one is
        // abandoned), so every update is applied; the 1,500 closed candles stay as they are.
        var series = _series;
        var open = _formingOpen += 60_000;
        var close = open + 59_999;
        var updated = 0;
        foreach (ref readonly var update in _klineUpdates.AsSpan())
        {
            var candle = update with { OpenTime = open, CloseTime = close };
            if (series.Apply(candle).Result == CandleApplyResult.UpdatedForming) updated++;
        }
        return updated;
    }

    /// <summary>Allocated bytes (MemoryDiagnoser) = the memory of four filled caches; GC-measured figure printed in setup.</summary>
    [Benchmark(Description = "Four caches of one symbol: construct + fill")]
    public CandleSeries[] BuildFourCaches() => BuildCaches();

    private static CandleSeries[] BuildCaches() => Timeframe.All.Select(tf =>
    {
        var series = new CandleSeries(tf);
        for (var i = 0; i < CandleSeries.DefaultCapacity + 1; i++) series.Apply(Bar(tf, T0 + i * tf.Milliseconds, closed: true, step: 1));
        series.Apply(Bar(tf, T0 + (CandleSeries.DefaultCapacity + 1) * tf.Milliseconds, closed: false, step: 1));
        return series;
    }).ToArray();
}
