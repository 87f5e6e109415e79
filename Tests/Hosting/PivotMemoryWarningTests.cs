using MarketData.Actors;

namespace MarketData.Tests.Hosting;

public class PivotMemoryWarningTests
{
    private const long Gigabyte = 1_000_000_000;

    [Fact]
    public void The_default_windows_cost_about_31_MB_a_symbol_most_of_it_the_1s_month()
    {
        var options = new CandleOptions();
        var perSymbol = options.EstimatedPivotBytesPerSymbol();
        Assert.InRange(perSymbol, 31_000_000, 32_000_000);
        Assert.True(2_592_000L * CandleOptions.PivotBytesPerCandle > perSymbol * 0.95);
    }

    [Fact]
    public void The_whole_market_at_the_default_window_is_refused_a_quiet_start()
    {
        var warning = new CandleOptions().PivotMemoryWarning(1_500, 24 * Gigabyte);
        Assert.NotNull(warning);
        Assert.Contains("1500 symbols", warning);
        Assert.Contains("Candles:PivotWindows:1s", warning);
        Assert.Contains("47.", warning); // GB
    }

    [Fact]
    public void A_few_symbols_or_a_short_window_pass_silently()
    {
        Assert.Null(new CandleOptions().PivotMemoryWarning(100, 24 * Gigabyte));
        var shortWindow = new CandleOptions { PivotWindows = { ["1s"] = TimeSpan.FromHours(1), ["1m"] = TimeSpan.FromDays(1) } };
        Assert.Null(shortWindow.PivotMemoryWarning(1_500, 24 * Gigabyte));
        Assert.Null(new CandleOptions().PivotMemoryWarning(1_500, 0)); // unknown memory: nothing to compare with
    }
}
