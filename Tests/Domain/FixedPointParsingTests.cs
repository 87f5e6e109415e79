using System.Text;
using MarketData.Exchanges;
using MarketData.Instruments;

namespace MarketData.Tests.Domain;

public class FixedPointParsingTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("0.00000000", 0L)]
    [InlineData("1", 100_000_000L)]
    [InlineData("61837.63000000", 6_183_763_000_000L)]
    [InlineData("0.00000001", 1L)]
    [InlineData("12.5", 1_250_000_000L)]
    [InlineData("-1.5", -150_000_000L)]
    [InlineData("0.123456780000", 12_345_678L)]
    [InlineData(".5", 50_000_000L)]
    [InlineData("-61837.63000000", -6_183_763_000_000L)]
    [InlineData("99999.99999999", 9_999_999_999_999L)]
    [InlineData("00000000000.12345678", 12_345_678L)]
    [InlineData("000000000000000012.5", 1_250_000_000L)]
    [InlineData("9000000000.12345678", 900_000_000_012_345_678L)]
    public void Parses_exact_values(string text, long expected)
    {
        Assert.Equal(DecimalParseError.None, Utf8FixedPoint.Parse(Encoding.UTF8.GetBytes(text), out var value));
        Assert.Equal(expected, value);
        // Agrees with the char-based parser in Grains.Interfaces.
        Assert.True(FixedPoint.TryParse(text, out var viaChars));
        Assert.Equal(expected, viaChars);
    }

    [Fact]
    public void Parses_the_largest_representable_integer_part()
    {
        Assert.True(Utf8FixedPoint.TryParse("92233720367.99999999"u8, out var value));
        Assert.Equal(9_223_372_036_799_999_999L, value);
        Assert.Equal(DecimalParseError.TooLarge, Utf8FixedPoint.Parse("92233720368"u8, out _));
    }

    [Theory]
    [InlineData("", DecimalParseError.Empty)]
    [InlineData("-", DecimalParseError.NotNumeric)]
    [InlineData(".", DecimalParseError.NotNumeric)]
    [InlineData("abc", DecimalParseError.NotNumeric)]
    [InlineData("1.2.3", DecimalParseError.NotNumeric)]
    [InlineData("1e5", DecimalParseError.NotNumeric)]
    [InlineData("+1", DecimalParseError.NotNumeric)]
    [InlineData(" 1", DecimalParseError.NotNumeric)]
    [InlineData("1 ", DecimalParseError.NotNumeric)]
    [InlineData("NaN", DecimalParseError.NotNumeric)]
    [InlineData("1.0000000a", DecimalParseError.NotNumeric)]
    [InlineData("1.00000/00", DecimalParseError.NotNumeric)]
    [InlineData("1.0000:000", DecimalParseError.NotNumeric)]
    [InlineData("1.000000 0", DecimalParseError.NotNumeric)]
    [InlineData("a.00000000", DecimalParseError.NotNumeric)]
    [InlineData("1-.00000000", DecimalParseError.NotNumeric)]
    [InlineData("99999999999.00000000", DecimalParseError.TooLarge)]
    [InlineData("123456789012.00000000", DecimalParseError.TooLarge)]
    [InlineData("0.000000001", DecimalParseError.TooManyDecimals)]
    [InlineData("1.123456789", DecimalParseError.TooManyDecimals)]
    [InlineData("92233720369", DecimalParseError.TooLarge)]
    [InlineData("99999999999999999999999", DecimalParseError.TooLarge)]
    public void Rejects_bad_text(string text, DecimalParseError expected)
    {
        Assert.Equal(expected, Utf8FixedPoint.Parse(Encoding.UTF8.GetBytes(text), out _));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(6_183_763_000_000L)]
    [InlineData(-150_000_000L)]
    [InlineData(9_223_372_036_700_000_000L)]
    [InlineData(123_456_789_012_345L)]
    public void Round_trips_through_text_and_decimal(long value)
    {
        var text = FixedPoint.ToText(value);
        Assert.True(Utf8FixedPoint.TryParse(Encoding.UTF8.GetBytes(text), out var parsed));
        Assert.Equal(value, parsed);
        Assert.Equal(value, FixedPoint.FromDecimal(FixedPoint.ToDecimal(value)));
    }

    [Fact]
    public void Round_trips_random_values()
    {
        var random = new Random(42);
        for (var i = 0; i < 10_000; i++)
        {
            var value = random.NextInt64(-9_000_000_000_000_000_000, 9_000_000_000_000_000_000);
            var text = FixedPoint.ToText(value);
            Assert.True(Utf8FixedPoint.TryParse(Encoding.UTF8.GetBytes(text), out var parsed), text);
            Assert.Equal(value, parsed);
        }
    }
}
