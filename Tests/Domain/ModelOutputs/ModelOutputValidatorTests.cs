using MarketData.Domain.ModelOutputs;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Tests.Domain.Inputs;

namespace MarketData.Tests.Domain.ModelOutputs;

public sealed class ModelOutputValidatorTests
{
    private const string Model = "cnn-1";
    private const long Now = SampleInputs.Now; // 2024-03-01T12:00:00.000Z
    private static readonly ModelOutputKey Key = new(new Instrument("binance", "ETHUSDT"), Model);
    private static readonly ModelOutputLimits Limits = new();

    private static ModelOutput Valid(long time = Now - 1_000) => SampleInputs.Output(Model, time);

    private static IReadOnlyList<string> Check(ModelOutput output, ModelOutput? latest = null, ModelOutputLimits? limits = null)
        => ModelOutputValidator.Validate(output, Key, Now, latest, limits ?? Limits);

    /// <summary>Exactly one error, containing every fragment.</summary>
    private static string Single(ModelOutput output, params string[] fragments) => SingleOf(Check(output), fragments);

    private static string SingleOf(IReadOnlyList<string> errors, params string[] fragments)
    {
        var error = Assert.Single(errors);
        foreach (var fragment in fragments) Assert.Contains(fragment, error, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void Sample_output_passes()
        => Assert.Empty(Check(Valid()));

    [Fact]
    public void Outputs_at_every_limit_pass()
    {
        var limits = new ModelOutputLimits();
        var metadata = Enumerable.Range(0, limits.MaxMetadataEntries)
            .ToDictionary(i => i.ToString("D2").PadRight(limits.MaxMetadataKeyLength, 'k'), _ => new string('v', limits.MaxMetadataValueLength));
        var output = Valid() with
        {
            ModelType = new string('t', limits.MaxModelTypeLength),
            Predictions = new double[limits.MaxPredictions],
            Confidence = 1,
            HiddenState = new byte[limits.MaxHiddenStateBytes],
            Metadata = metadata,
        };
        Assert.Empty(Check(output, limits: limits));
        Assert.Empty(Check(output with { Confidence = 0, HiddenState = [], Metadata = new Dictionary<string, string>() }));
        Assert.Empty(Check(output with { ModelType = "A.z_0-9", Predictions = [double.MaxValue, -double.MaxValue, double.Epsilon], HiddenState = null }));
    }

    [Fact]
    public void Time_at_the_edges_passes()
    {
        Assert.Empty(Check(Valid(Now + 5_000)));                      // exactly the allowed skew ahead
        Assert.Empty(Check(Valid(Now - (7 * 86_400_000L))));           // exactly the maximum age
        var latest = Valid(Now - 2_000) with { Sequence = 9 };
        Assert.Empty(Check(Valid(Now - 2_000), latest));               // same time as the latest is still in order
        Assert.Empty(Check(Valid(Now), latest));
    }

    [Fact]
    public void Sequence_and_received_at_from_the_model_are_ignored()
        => Assert.Empty(Check(Valid() with { Sequence = -7, ReceivedAt = DateTime.MinValue }));

    [Fact]
    public void Model_name_must_be_the_key_model()
    {
        Single(Valid() with { ModelName = "rl-2" }, "modelName 'rl-2'", "'cnn-1'", "binance:ETHUSDT@cnn-1");
        Single(Valid() with { ModelName = "CNN-1" }, "modelName 'CNN-1'", "'cnn-1'", "case-sensitive");
        Single(Valid() with { ModelName = "" }, "modelName is missing", "'cnn-1'");
        Single(Valid() with { ModelName = null! }, "modelName is missing");
    }

    [Fact]
    public void Model_type_is_checked()
    {
        Single(Valid() with { ModelType = "" }, "modelType is missing", "1-64 characters");
        Single(Valid() with { ModelType = null! }, "modelType is missing");
        Single(Valid() with { ModelType = new string('x', 65) }, "modelType is 65 characters long", "maximum of 64", "MaxModelTypeLength");
        Single(Valid() with { ModelType = "c n" }, "modelType 'c n'", "U+0020 at position 1", "A-Z, a-z, 0-9");
        Single(Valid() with { ModelType = "cnn/v2" }, "modelType 'cnn/v2'", "'/' at position 3");
        Single(Valid() with { ModelType = "transformerй" }, "'й' at position 11");
        SingleOf(Check(Valid() with { ModelType = "ab" }, limits: new ModelOutputLimits { MaxModelTypeLength = 1 }), "modelType is 2 characters long", "maximum of 1");
    }

    [Fact]
    public void Predictions_must_be_present_and_sized()
    {
        Single(Valid() with { Predictions = null! }, "predictions are missing", "1 to 4096");
        Single(Valid() with { Predictions = [] }, "predictions are empty", "1 to 4096");
        Single(Valid() with { Predictions = new double[4_097] }, "predictions has 4097 values", "maximum of 4096", "MaxPredictions");
    }

    [Fact]
    public void Non_finite_predictions_are_named_by_index()
    {
        Single(Valid() with { Predictions = [0.1, double.NaN, 0.2] }, "predictions has 1 value that is not finite", "[1] is NaN");
        Single(Valid() with { Predictions = [double.PositiveInfinity, 0, double.NegativeInfinity] },
            "predictions has 2 values that are not finite", "[0] is +infinity, [2] is -infinity");

        var many = Enumerable.Repeat(double.NaN, 9).Prepend(1.0).ToArray(); // NaN at 1..9
        var error = Single(Valid() with { Predictions = many }, "predictions has 9 values that are not finite", "[1] is NaN", "[5] is NaN", "and 4 more");
        Assert.DoesNotContain("[6]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Confidence_must_be_finite_and_within_zero_to_one()
    {
        Single(Valid() with { Confidence = double.NaN }, "confidence is NaN", "from 0 to 1");
        Single(Valid() with { Confidence = double.PositiveInfinity }, "confidence is +infinity");
        Single(Valid() with { Confidence = double.NegativeInfinity }, "confidence is -infinity");
        Single(Valid() with { Confidence = 1.5 }, "confidence 1.5 is outside [0, 1]");
        Single(Valid() with { Confidence = -0.01 }, "confidence -0.01 is outside [0, 1]");
        Single(Valid() with { Confidence = 1.0000001 }, "confidence 1.0000001 is outside [0, 1]");
    }

    [Fact]
    public void Time_must_be_positive()
    {
        Single(Valid(0), "time must be a positive Unix time in milliseconds (was 0)");
        Single(Valid(-5), "(was -5)");
    }

    [Fact]
    public void Time_must_not_be_in_the_future_beyond_the_skew()
    {
        Single(Valid(Now + 12_300), "time 2024-03-01T12:00:12.300Z is 12.3 s in the future", "now 2024-03-01T12:00:00.000Z",
            "allowed clock skew 5.0 s", "MaxFutureSkew");
        Single(Valid(Now + 5_001), "is 5.001 s in the future");
        Single(Valid(Now + (3 * 3_600_000L)), "time 2024-03-01T15:00:00.000Z is 3.0 h in the future");
        SingleOf(Check(Valid(Now + 1), limits: new ModelOutputLimits { MaxFutureSkew = TimeSpan.Zero }), "is 1 ms in the future", "allowed clock skew 0 ms");
        Single(Valid(long.MaxValue), "time 9223372036854775807 (Unix ms) is", "in the future");
    }

    [Fact]
    public void Time_must_not_be_older_than_the_maximum_age()
    {
        SingleOf(Check(Valid(Now - (8 * 86_400_000L)), limits: new ModelOutputLimits { MaxAge = TimeSpan.FromDays(7) }), "time 2024-02-22T12:00:00.000Z is 8.0 days old", "maximum age of 7.0 days", "MaxAge");
        SingleOf(Check(Valid(Now - 90_000), limits: new ModelOutputLimits { MaxAge = TimeSpan.FromMinutes(1) }), "is 1.5 min old", "maximum age of 1.0 min");
    }

    [Fact]
    public void Time_must_not_go_back_before_the_latest_stored_output()
    {
        var latest = Valid(Now - 1_000) with { Sequence = 42 };
        SingleOf(Check(Valid(Now - 3_500), latest),
            "time 2024-03-01T11:59:56.500Z is 2.5 s before the latest stored output's time 2024-03-01T11:59:59.000Z", "sequence 42", "time order");
    }

    [Fact]
    public void Hidden_state_is_bounded()
    {
        Single(Valid() with { HiddenState = new byte[(1024 * 1024) + 1] }, "hiddenState is 1,048,577 bytes", "maximum of 1,048,576", "MaxHiddenStateBytes");
        SingleOf(Check(Valid() with { HiddenState = new byte[11] }, limits: new ModelOutputLimits { MaxHiddenStateBytes = 10 }), "hiddenState is 11 bytes", "maximum of 10");
    }

    [Fact]
    public void Metadata_must_not_be_null()
        => Single(Valid() with { Metadata = null! }, "metadata is null");

    [Fact]
    public void Metadata_count_is_bounded()
    {
        var metadata = Enumerable.Range(0, 65).ToDictionary(i => "k" + i, i => "v");
        Single(Valid() with { Metadata = metadata }, "metadata has 65 entries", "maximum of 64", "MaxMetadataEntries");
    }

    [Fact]
    public void Metadata_keys_must_be_non_empty_and_short()
    {
        Single(Valid() with { Metadata = new Dictionary<string, string> { [""] = "x" } }, "metadata has an empty key");
        Single(Valid() with { Metadata = new Dictionary<string, string> { ["  "] = "x" } }, "metadata has a key of 2 blank characters");
        var longKey = new string('k', 65);
        var error = Single(Valid() with { Metadata = new Dictionary<string, string> { [longKey] = "x" } },
            "metadata key 'kkkk", "is 65 characters long", "maximum of 64", "MaxMetadataKeyLength");
        Assert.DoesNotContain(longKey, error, StringComparison.Ordinal); // echoed shortened
    }

    [Fact]
    public void Metadata_values_must_be_present_and_short()
    {
        Single(Valid() with { Metadata = new Dictionary<string, string> { ["note"] = null! } }, "metadata value of key 'note' is null");
        Single(Valid() with { Metadata = new Dictionary<string, string> { ["note"] = new string('v', 1_025) } },
            "metadata value of key 'note' is 1025 characters long", "maximum of 1024", "MaxMetadataValueLength");
        // An empty key does not hide a bad value under it.
        var errors = Check(Valid() with { Metadata = new Dictionary<string, string> { [""] = null! } });
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("empty key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("metadata value of key '' is null", StringComparison.Ordinal));
    }

    [Fact]
    public void A_flood_of_bad_metadata_is_summed_up()
    {
        var metadata = Enumerable.Range(0, 20).ToDictionary(i => "k" + i, _ => (string)null!);
        var errors = Check(Valid() with { Metadata = metadata });
        Assert.Equal(ModelOutputValidator.MaxListed + 1, errors.Count);
        Assert.Contains("metadata has 15 more problems", errors[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var bad = new ModelOutput
        {
            ModelType = "bad type",
            ModelName = "other",
            Time = Now + 60_000,
            Confidence = double.NaN,
            Predictions = [double.NaN],
            HiddenState = new byte[(1024 * 1024) + 1],
            Metadata = new Dictionary<string, string> { [""] = "x" },
        };
        var latest = Valid(Now + 120_000) with { Sequence = 3 };
        var errors = ModelOutputValidator.Validate(bad, Key, Now, latest, Limits);
        string[] expected = ["modelName 'other'", "modelType 'bad type'", "predictions has 1 value", "confidence is NaN",
            "is 1.0 min in the future", "before the latest stored output's time", "hiddenState is", "metadata has an empty key"];
        Assert.Equal(expected.Length, errors.Count);
        for (var i = 0; i < expected.Length; i++) Assert.Contains(expected[i], errors[i], StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_are_sentences()
    {
        var errors = Check(new ModelOutput { ModelType = "", ModelName = "", Time = 0, Confidence = 2, Predictions = [], Metadata = new Dictionary<string, string>() });
        Assert.Equal(5, errors.Count);
        Assert.All(errors, e => Assert.EndsWith(".", e, StringComparison.Ordinal));
    }

    [Fact]
    public void A_default_key_is_a_programming_error()
        => Assert.Throws<ArgumentException>(() => ModelOutputValidator.Validate(Valid(), default, Now, null, Limits));
}
