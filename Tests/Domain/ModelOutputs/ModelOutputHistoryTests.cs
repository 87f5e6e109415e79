using MarketData.Domain.ModelOutputs;
using MarketData.ModelOutputs;
using MarketData.Tests.Domain.Inputs;

namespace MarketData.Tests.Domain.ModelOutputs;

public sealed class ModelOutputHistoryTests
{
    private const long Now = SampleInputs.Now;
    private static readonly DateTime Received = new(2024, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    private static ModelOutput Output(int i, int hiddenBytes = 0)
        => SampleInputs.Output("cnn-1", Now + (i * 1_000L)) with { HiddenState = hiddenBytes == 0 ? null : new byte[hiddenBytes] };

    private static ModelOutputHistory Filled(ModelOutputLimits limits, int count, int hiddenBytes = 0)
    {
        var history = new ModelOutputHistory(limits);
        for (var i = 0; i < count; i++) history.Add(Output(i, hiddenBytes), Received.AddSeconds(i));
        return history;
    }

    private static long[] Sequences(IEnumerable<ModelOutput> outputs) => outputs.Select(o => o.Sequence).ToArray();

    [Fact]
    public void An_empty_history_has_nothing()
    {
        var history = new ModelOutputHistory(new ModelOutputLimits());
        Assert.Null(history.Latest);
        Assert.Equal(0, history.Count);
        Assert.Equal(0, history.EstimatedBytes);
        Assert.Equal(0, history.LastSequence);
        Assert.Empty(history.GetHistory(10));
        Assert.Empty(history.Export());
    }

    [Fact]
    public void Add_assigns_sequence_from_one_and_the_receive_time()
    {
        var history = new ModelOutputHistory(new ModelOutputLimits());
        var first = history.Add(Output(0) with { Sequence = 99, ReceivedAt = DateTime.MinValue }, Received);
        var second = history.Add(Output(1), Received.AddSeconds(1));

        Assert.Equal(1, first.Sequence);
        Assert.Equal(Received, first.ReceivedAt);
        Assert.Equal(DateTimeKind.Utc, first.ReceivedAt.Kind);
        Assert.Equal(2, second.Sequence);
        Assert.Same(second, history.Latest);
        Assert.Equal(2, history.Count);
        Assert.Equal(2, history.LastSequence);
        // Everything else is kept as submitted.
        var submitted = Output(1);
        Assert.Equal((submitted.ModelType, submitted.ModelName, submitted.Time, submitted.Confidence), (second.ModelType, second.ModelName, second.Time, second.Confidence));
        Assert.Equal(submitted.Predictions, second.Predictions);
        Assert.Equal(submitted.Metadata, second.Metadata);
    }

    [Fact]
    public void Receive_times_are_stored_as_utc()
    {
        var history = new ModelOutputHistory(new ModelOutputLimits());
        var unspecified = history.Add(Output(0), new DateTime(2024, 3, 1, 12, 0, 0, DateTimeKind.Unspecified));
        Assert.Equal(DateTimeKind.Utc, unspecified.ReceivedAt.Kind);
        Assert.Equal(Received, unspecified.ReceivedAt);
        var local = DateTime.SpecifyKind(Received, DateTimeKind.Utc).ToLocalTime();
        Assert.Equal(Received, history.Add(Output(1), local).ReceivedAt);
    }

    [Fact]
    public void Same_time_is_accepted_but_going_back_throws()
    {
        var history = Filled(new ModelOutputLimits(), 3);
        history.Add(Output(2), Received);
        Assert.Throws<ArgumentException>(() => history.Add(Output(1), Received));
        Assert.Equal(4, history.Count);
        Assert.Equal(4, history.LastSequence);
    }

    [Fact]
    public void History_is_bounded_by_count_dropping_the_oldest()
    {
        var history = Filled(new ModelOutputLimits { HistoryLimit = 3 }, 5);
        Assert.Equal(3, history.Count);
        Assert.Equal(2, history.Evicted);
        Assert.Equal([3L, 4, 5], Sequences(history.Export()));
        Assert.Equal(5, history.Latest!.Sequence);
        Assert.Equal(history.Export().Sum(ModelOutputHistory.EstimateBytes), history.EstimatedBytes);
    }

    [Fact]
    public void History_is_bounded_by_estimated_bytes()
    {
        var size = ModelOutputHistory.EstimateBytes(Output(0, hiddenBytes: 10_000));
        var limits = new ModelOutputLimits
        {
            MaxHiddenStateBytes = 10_000, MaxPredictions = 8, MaxMetadataEntries = 2, MaxMetadataValueLength = 16,
            MaxHistoryBytes = (3 * size) + (size / 2), // room for 3.5 outputs
        };
        Assert.Null(limits.Validate());

        var history = Filled(limits, 10, hiddenBytes: 10_000);
        Assert.Equal(3, history.Count);
        Assert.Equal(7, history.Evicted);
        Assert.Equal(3 * size, history.EstimatedBytes);
        Assert.Equal([8L, 9, 10], Sequences(history.Export()));

        // Small outputs fill the space the big ones leave.
        for (var i = 10; i < 20; i++) history.Add(Output(i), Received);
        Assert.True(history.EstimatedBytes <= limits.MaxHistoryBytes);
        Assert.Equal(13, history.Count);
        Assert.Equal(20, history.Latest!.Sequence);
    }

    [Fact]
    public void GetHistory_returns_the_latest_oldest_first()
    {
        var history = Filled(new ModelOutputLimits(), 5);
        Assert.Equal([4L, 5], Sequences(history.GetHistory(2)));
        Assert.Equal([1L, 2, 3, 4, 5], Sequences(history.GetHistory(100)));
        Assert.Equal([1L, 2, 3, 4, 5], Sequences(history.GetHistory(int.MaxValue)));
        Assert.Empty(history.GetHistory(0));
        Assert.Empty(history.GetHistory(-1));
    }

    [Fact]
    public void Export_is_a_snapshot()
    {
        var history = Filled(new ModelOutputLimits(), 2);
        var exported = history.Export();
        history.Add(Output(5), Received);
        Assert.Equal(2, exported.Length);
        exported[0] = exported[1];
        Assert.Equal([1L, 2, 3], Sequences(history.Export()));
    }

    [Fact]
    public void Sequence_continues_after_export_and_import()
    {
        var limits = new ModelOutputLimits { HistoryLimit = 3 };
        var before = Filled(limits, 5);
        var after = ModelOutputHistory.Import(before.Export(), limits);

        Assert.Equal(before.Export(), after.Export());
        Assert.Equal(before.EstimatedBytes, after.EstimatedBytes);
        Assert.Equal(0, after.Evicted);
        Assert.Equal(5, after.LastSequence);
        Assert.Equal(6, after.Add(Output(6), Received).Sequence);
        Assert.Equal([4L, 5, 6], Sequences(after.Export()));
    }

    [Fact]
    public void Import_with_a_saved_last_sequence_continues_from_it()
    {
        var history = ModelOutputHistory.Import([], new ModelOutputLimits(), lastSequence: 41);
        Assert.Equal(0, history.Count);
        Assert.Equal(42, history.Add(Output(0), Received).Sequence);

        var saved = Filled(new ModelOutputLimits(), 3).Export();
        Assert.Equal(4, ModelOutputHistory.Import(saved, new ModelOutputLimits(), lastSequence: 2).Add(Output(9), Received).Sequence);
    }

    [Fact]
    public void Import_of_nothing_starts_at_one()
    {
        Assert.Equal(1, ModelOutputHistory.Import(null, new ModelOutputLimits()).Add(Output(0), Received).Sequence);
        Assert.Equal(1, ModelOutputHistory.Import([null], new ModelOutputLimits()).Add(Output(0), Received).Sequence);
    }

    [Fact]
    public void Import_puts_outputs_in_sequence_order()
    {
        var saved = Filled(new ModelOutputLimits(), 4).Export().Reverse();
        var history = ModelOutputHistory.Import(saved, new ModelOutputLimits());
        Assert.Equal([1L, 2, 3, 4], Sequences(history.Export()));
        Assert.Equal(4, history.Latest!.Sequence);
    }

    [Fact]
    public void Import_with_a_smaller_count_limit_trims_the_oldest()
    {
        var saved = Filled(new ModelOutputLimits(), 10).Export();
        var history = ModelOutputHistory.Import(saved, new ModelOutputLimits { HistoryLimit = 4 });
        Assert.Equal([7L, 8, 9, 10], Sequences(history.Export()));
        Assert.Equal(6, history.Evicted);
        Assert.Equal(11, history.Add(Output(11), Received).Sequence);
    }

    [Fact]
    public void Import_with_a_smaller_byte_limit_trims_the_oldest()
    {
        var saved = Filled(new ModelOutputLimits(), 10, hiddenBytes: 100_000).Export();
        var size = ModelOutputHistory.EstimateBytes(saved[0]);
        var smaller = new ModelOutputLimits { MaxHiddenStateBytes = 100_000, MaxPredictions = 8, MaxMetadataEntries = 2, MaxHistoryBytes = 2 * size };
        Assert.Null(smaller.Validate());

        var history = ModelOutputHistory.Import(saved, smaller);
        Assert.Equal([9L, 10], Sequences(history.Export()));
        Assert.Equal(2 * size, history.EstimatedBytes);
        Assert.Equal(8, history.Evicted);
    }

    [Fact]
    public void The_newest_output_is_kept_even_when_it_alone_exceeds_shrunk_limits()
    {
        var saved = Filled(new ModelOutputLimits(), 3, hiddenBytes: 500_000).Export();
        var tiny = new ModelOutputLimits { MaxHiddenStateBytes = 0, MaxPredictions = 4, MaxMetadataEntries = 1, MaxMetadataKeyLength = 16, MaxMetadataValueLength = 16, MaxHistoryBytes = 2_000 };
        Assert.Null(tiny.Validate());

        var history = ModelOutputHistory.Import(saved, tiny);
        Assert.Equal(3, Assert.Single(history.Export()).Sequence);
        Assert.True(history.EstimatedBytes > tiny.MaxHistoryBytes);
        // The next (small) output takes its place.
        history.Add(Output(5), Received);
        Assert.Equal(4, Assert.Single(history.Export()).Sequence);
        Assert.True(history.EstimatedBytes <= tiny.MaxHistoryBytes);
    }

    [Fact]
    public void The_estimate_counts_every_part()
    {
        var bare = new ModelOutput { ModelType = "", ModelName = "", Predictions = [], Metadata = new Dictionary<string, string>() };
        var baseline = ModelOutputHistory.EstimateBytes(bare);
        Assert.Equal(8 * 100, ModelOutputHistory.EstimateBytes(bare with { Predictions = new double[100] }) - baseline);
        Assert.Equal(1_000, ModelOutputHistory.EstimateBytes(bare with { HiddenState = new byte[1_000] }) - baseline);
        Assert.Equal(2 * 10, ModelOutputHistory.EstimateBytes(bare with { ModelType = new string('t', 10) }) - baseline);
        Assert.Equal(2 * 7, ModelOutputHistory.EstimateBytes(bare with { ModelName = "model-7" }) - baseline);
        var oneEntry = ModelOutputHistory.EstimateBytes(bare with { Metadata = new Dictionary<string, string> { ["k"] = "" } }) - baseline;
        var longer = ModelOutputHistory.EstimateBytes(bare with { Metadata = new Dictionary<string, string> { ["kkk"] = "vvvv" } }) - baseline;
        Assert.True(oneEntry > 2);
        Assert.Equal(2 * (2 + 4), longer - oneEntry);
        // The limits' largest output is exactly the estimate of an output with every field at its maximum.
        var limits = new ModelOutputLimits();
        var largest = new ModelOutput
        {
            ModelType = new string('t', limits.MaxModelTypeLength),
            ModelName = new string('m', ModelOutputKey.MaxModelNameLength),
            Predictions = new double[limits.MaxPredictions],
            HiddenState = new byte[limits.MaxHiddenStateBytes],
            Metadata = Enumerable.Range(0, limits.MaxMetadataEntries)
                .ToDictionary(i => i.ToString("D2").PadRight(limits.MaxMetadataKeyLength, 'k'), _ => new string('v', limits.MaxMetadataValueLength)),
        };
        Assert.Equal(limits.LargestOutputBytes(), ModelOutputHistory.EstimateBytes(largest), 0.0);
    }

    [Fact]
    public void Invalid_limits_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelOutputHistory(new ModelOutputLimits { HistoryLimit = 0 }));
        Assert.Contains("HistoryLimit", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModelOutputHistory.Import([], new ModelOutputLimits { MaxAge = TimeSpan.Zero }));
    }

    [Fact]
    public void Changing_the_limits_object_later_does_not_change_a_history()
    {
        var limits = new ModelOutputLimits { HistoryLimit = 2 };
        var history = new ModelOutputHistory(limits);
        limits.HistoryLimit = 100;
        for (var i = 0; i < 5; i++) history.Add(Output(i), Received);
        Assert.Equal(2, history.Count);
    }
}
