using MarketData.Candles;
using MarketData.Domain.Quality;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.Tests.Domain.Inputs;

namespace MarketData.Tests.Domain.Quality;

/// <summary>Degraded copies of <see cref="SampleInputs.Healthy"/> for the quality tests (the sample itself is never changed).</summary>
internal static class QualityTestData
{
    public const long Now = SampleInputs.Now;
    public const long Minute = 60_000;

    /// <summary>Open time of the first 1m candle of the healthy sample (60 frames ending at <see cref="Now"/>): 11:00:00.</summary>
    public const long FirstMinuteOpen = Now - 60 * Minute;

    public static readonly QualityThresholds Defaults = new();

    public static BaseDataInput Healthy() => SampleInputs.Healthy();

    public static long Fp(decimal value) => FixedPoint.FromDecimal(value);

    /// <summary>The 1m series with its candles changed by <paramref name="edit"/> (which gets a copy).</summary>
    public static BaseDataInput With1m(this BaseDataInput input, Func<List<Candle>, IEnumerable<Candle>> edit)
        => input with { Candles1m = input.Candles1m with { Candles = edit([.. input.Candles1m.Candles]).ToArray() } };

    /// <summary>The 1m series with candle <paramref name="index"/> replaced by <paramref name="change"/> of it.</summary>
    public static BaseDataInput With1m(this BaseDataInput input, int index, Func<Candle, Candle> change)
        => input.With1m(candles =>
        {
            candles[index] = change(candles[index]);
            return candles;
        });

    public static BaseDataInput WithBook(this BaseDataInput input, Func<Books.BookInputView, Books.BookInputView> change)
        => input with { Book = change(input.Book) };

    /// <summary>A candle whose high is below its close: one OHLC problem.</summary>
    public static Candle BreakHigh(Candle c) => c with { High = Math.Max(c.Open, c.Close) - Fp(0.5m) };

    public static ValidationProblem Single(IReadOnlyList<ValidationProblem> problems, string rule)
        => Assert.Single(problems, p => p.Rule == rule);

    public static IReadOnlyList<ValidationProblem> Validate(BaseDataInput input) => BaseDataValidator.Validate(input, Defaults);

    public static QualityReport Score(BaseDataInput input, double minQuality = 0.8) => QualityScorer.Score(input, minQuality, Defaults);

    public static DateTime Utc(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime;
}
