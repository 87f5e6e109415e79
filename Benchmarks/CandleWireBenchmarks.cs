using BenchmarkDotNet.Attributes;
using MarketData.Candles;

namespace MarketData.Benchmarks;

/// <summary>The compact wire encoding of a snapshot's candle series (300 1s candles).</summary>
[MemoryDiagnoser]
public class CandleWireBenchmarks
{
    private Candle[] _candles = [];
    private byte[] _encoded = [];

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
    }

    [Benchmark]
    public byte[] Encode300() => CandleWireFormat.Encode(_candles);

    [Benchmark]
    public Candle[] Decode300() => CandleWireFormat.Decode(_encoded);
}
