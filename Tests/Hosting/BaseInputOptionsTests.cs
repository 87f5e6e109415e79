using MarketData.Actors;
using MarketData.Domain.ModelOutputs;
using MarketData.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MarketData.Tests.Hosting;

public class BaseInputOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_ask_for_300_frames_of_every_series()
    {
        var options = new BaseInputOptions();
        Assert.Null(options.Validate());
        var requirements = options.Requirements();
        Assert.Equal([300, 300, 300, 300, 300], new[] { requirements.Frames1s, requirements.Frames1m, requirements.Frames1h, requirements.Frames1d, requirements.ReferenceFrames1s });
        Assert.Equal("BTCUSDT", requirements.ReferenceSymbol);
    }

    [Theory]
    [InlineData("Frames1s", "0", "BaseInput:Frames1s must be 1..1500")]
    [InlineData("Frames1d", "1501", "BaseInput:Frames1d must be 1..1500")]
    [InlineData("ReferenceSymbol", "btc usdt", "Symbol 'btc usdt' is malformed")]
    [InlineData("PivotTimeframe", "5m", "BaseInput:PivotTimeframe must be 1s, 1m, 1h or 1d, not '5m'")]
    [InlineData("HeatmapSeconds", "0", "BaseInput:HeatmapSeconds must be 1..1800")]
    [InlineData("BucketSlots", "10", "BaseInput:BucketSlots must be odd")]
    [InlineData("PublishInterval", "00:00:00.010", "BaseInput:PublishInterval must be zero (off) or at least 100 ms")]
    [InlineData("PublishMinQuality", "1.5", "BaseInput:PublishMinQuality must be within 0..1")]
    [InlineData("PublishSymbols:0", "no/good$", "BaseInput:PublishSymbols")]
    [InlineData("Indicators:Rsi", "0", "Indicators:Rsi must be 1..1000")]
    [InlineData("Indicators:MacdFast", "30", "Indicators:MacdFast (30) must be below MacdSlow (26)")]
    [InlineData("Indicators:BollingerWidth", "0", "Indicators:BollingerWidth must be in (0, 10]")]
    [InlineData("Quality:StaleFactor", "0", "BaseInput:Quality:")]
    [InlineData("PivotsPerLevel", "0", "BaseInput:PivotsPerLevel must be 1..10000")]
    [InlineData("Exchange", "Bin ance", "BaseInput:Exchange/ReferenceSymbol")]
    [InlineData("PublishInterval", "-00:00:01", "BaseInput:PublishInterval must be zero (off) or at least 100 ms")]
    public void A_bad_setting_stops_the_silo_with_a_sentence_naming_it(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"BaseInput:{key}"] = value }).Build();
        using var services = new ServiceCollection().AddLogging().AddMarketDataServices(configuration).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BaseInputOptions>>().Value);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_reload_keeps_the_last_valid_settings_instead_of_failing_every_call()
    {
        var monitor = new ReloadingMonitor(new BaseInputOptions { Frames1s = 120 });
        var options = new LastValidOptions<BaseInputOptions>(monitor, Microsoft.Extensions.Logging.Abstractions.NullLogger<LastValidOptions<BaseInputOptions>>.Instance);
        Assert.Equal(120, options.Value.Frames1s);
        monitor.Fail = true;                          // appsettings.json edited into something invalid
        Assert.Equal(120, options.Value.Frames1s);
        monitor.Fail = false;
        monitor.Current = new BaseInputOptions { Frames1s = 60 };
        Assert.Equal(60, options.Value.Frames1s);     // a valid edit takes effect again
    }

    private sealed class ReloadingMonitor(BaseInputOptions initial) : IOptionsMonitor<BaseInputOptions>
    {
        public bool Fail { get; set; }
        public BaseInputOptions Current { get; set; } = initial;
        public BaseInputOptions CurrentValue => Fail ? throw new OptionsValidationException("BaseInput", typeof(BaseInputOptions), ["BaseInput:Frames1s must be 1..1500"]) : Current;
        public BaseInputOptions Get(string? name) => CurrentValue;
        public IDisposable? OnChange(Action<BaseInputOptions, string?> listener) => null;
    }

    [Fact]
    public void Bad_model_output_limits_stop_the_silo_too()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ModelOutputs:HistoryLimit"] = "0" }).Build();
        using var services = new ServiceCollection().AddLogging().AddMarketDataServices(configuration).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ModelOutputLimits>>().Value);
        Assert.Contains("ModelOutputs", error.Message, StringComparison.Ordinal);
    }
}
