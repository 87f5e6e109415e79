using BenchmarkDotNet.Attributes;
using MarketData.Candles;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace MarketData.Benchmarks;

/// <summary>The compact wire encoding of a snapshot's candle series (300 1s candles).</summary>
[MemoryDiagnoser]
public class CandleWireBenchmarks
{
    private Candle[] _candles = [];
    private byte[] _encoded = [];
    private Serializer _serializer = null!;
    private IReadOnlyList<Candle> _packed = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _candles = new Candle[300];
        long price = 6_500_000_000_000;
        for (var i = 0; i < _candles.Length; i++)
        {
            var open = price;
            price += random.Next(-50_000_000, 50_000_000);
            var volume = random.Next(1, 500_000_000);
            _candles[i] = new Candle
            {
                OpenTime = 1_700_000_000_000 + i * 1000L, CloseTime = 1_700_000_000_999 + i * 1000L, Open = open, Close = price,
                High = Math.Max(open, price) + 1_000_000, Low = Math.Min(open, price) - 1_000_000, Volume = volume, QuoteVolume = volume * 65_000L,
                TradeCount = random.Next(1, 100), TakerBuyVolume = volume / 2, TakerBuyQuoteVolume = volume * 32_500L, Source = CandleSource.BinanceStream, Flags = CandleFlags.Closed,
            };
        }
        _encoded = CandleWireFormat.Encode(_candles);
        var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(PackedCandles).Assembly)).BuildServiceProvider();
        _serializer = services.GetRequiredService<Serializer>();
        _packed = PackedCandles.From(_candles);
        _frames = new MarketData.Inputs.CandleFrames { Symbol = "BTCUSDT", Timeframe = Timeframe.OneSecond, Requested = 300, Candles = _packed, Source = "binance", Backfill = "done" };
    }

    private MarketData.Inputs.CandleFrames _frames = null!;

    /// <summary>A snapshot's series, as on the wire.</summary>
    [Benchmark]
    public byte[] SerializeFrames300() => _serializer.SerializeToArray(_frames);

    /// <summary>Through the Orleans serializer, as on the wire.</summary>
    [Benchmark]
    public byte[] Serialize300() => _serializer.SerializeToArray(_packed);

    [Benchmark]
    public byte[] Encode300() => CandleWireFormat.Encode(_candles);

    [Benchmark]
    public Candle[] Decode300() => CandleWireFormat.Decode(_encoded);
}
