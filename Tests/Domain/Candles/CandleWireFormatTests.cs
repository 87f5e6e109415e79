using MarketData.Candles;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace MarketData.Tests.Domain.Candles;

public class CandleWireFormatTests
{
    private static Candle C(long open, long o, long h, long l, long c, long volume) => new()
    {
        OpenTime = open, CloseTime = open + 999, Open = o, High = h, Low = l, Close = c, Volume = volume, QuoteVolume = volume * 3,
        TradeCount = 7, TakerBuyVolume = volume / 2, TakerBuyQuoteVolume = volume, Source = CandleSource.Trades, Flags = CandleFlags.Closed | CandleFlags.Repaired,
    };

    [Fact]
    public void Candles_round_trip_exactly_in_about_a_third_of_their_memory_size()
    {
        var random = new Random(5);
        var candles = new Candle[300];
        long price = 6_500_000_000_000;
        for (var i = 0; i < candles.Length; i++)
        {
            var o = price;
            price += random.Next(-50_000_000, 50_000_000);
            candles[i] = C(1_700_000_000_000 + i * 1000L, o, Math.Max(o, price) + 1_000_000, Math.Min(o, price) - 1_000_000, price, random.Next(1, 500_000_000));
        }
        var bytes = CandleWireFormat.Encode(candles);
        Assert.Equal(candles, CandleWireFormat.Decode(bytes));
        Assert.True(bytes.Length < candles.Length * 40, $"{bytes.Length} bytes for {candles.Length} candles");
    }

    [Fact]
    public void Extreme_values_wrap_and_still_round_trip()
    {
        Candle[] candles =
        [
            C(long.MaxValue, long.MinValue, long.MaxValue, long.MinValue, 0, long.MaxValue),
            C(long.MinValue, long.MaxValue, 0, long.MinValue, long.MaxValue, 0),
            default,
        ];
        Assert.Equal(candles, CandleWireFormat.Decode(CandleWireFormat.Encode(candles)));
        Assert.Empty(CandleWireFormat.Decode(CandleWireFormat.Encode([])));
    }

    [Fact]
    public void A_damaged_block_is_refused_with_a_clear_error()
    {
        var bytes = CandleWireFormat.Encode([C(1_000, 10, 12, 9, 11, 5)]);
        Assert.Contains("ends in the middle", Assert.Throws<InvalidOperationException>(() => CandleWireFormat.Decode(bytes.AsSpan(0, bytes.Length - 1))).Message, StringComparison.Ordinal);
        Assert.Contains("after its", Assert.Throws<InvalidOperationException>(() => CandleWireFormat.Decode([.. bytes, 0])).Message, StringComparison.Ordinal);
        var wrongVersion = bytes.ToArray();
        wrongVersion[0] = 9;
        Assert.Contains("wire version 9", Assert.Throws<InvalidOperationException>(() => CandleWireFormat.Decode(wrongVersion)).Message, StringComparison.Ordinal);
        Assert.Contains("claims", Assert.Throws<InvalidOperationException>(() => CandleWireFormat.Decode([1, 0xFF, 0x7F])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Packed_candles_survive_the_orleans_serializer()
    {
        using var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(PackedCandles).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        IReadOnlyList<Candle> packed = PackedCandles.From(new[] { C(1_000, 10, 12, 9, 11, 5), C(2_000, 11, 13, 10, 12, 6) });
        var copy = serializer.Deserialize<IReadOnlyList<Candle>>(serializer.SerializeToArray(packed));
        Assert.IsType<PackedCandles>(copy);
        Assert.Equal(packed, copy);
    }
}
