using MarketData.Domain.ModelOutputs;
using MarketData.ModelOutputs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MarketData.Actors;

/// <summary>The stored history of one model's outputs for one instrument.</summary>
[GenerateSerializer, Alias("MarketData.ModelOutputState")]
public sealed class ModelOutputState
{
    /// <summary>Oldest first.</summary>
    [Id(0)] public List<ModelOutput> Outputs { get; set; } = [];
    [Id(1)] public long LastSequence { get; set; }
}

/// <summary>
/// One model's outputs for one instrument. Thin: <see cref="ModelOutputValidator"/> judges a submit and
/// <see cref="ModelOutputHistory"/> keeps the bounded history. An accepted output is written to storage before the
/// receipt goes back, so an acknowledged output survives deactivation and a silo's death; then the instrument's
/// index learns of it for cross-model feeding.
/// </summary>
public sealed class ModelOutputGrain : Grain, IModelOutputGrain
{
    private readonly IPersistentState<ModelOutputState> _state;
    private readonly TimeProvider _time;
    private readonly ModelOutputLimits _limits;
    private readonly ILogger<ModelOutputGrain> _logger;
    private readonly Storage.IMarketDataArchive? _archive;
    private ModelOutputKey _key;
    private ModelOutputHistory _history = null!;

    public ModelOutputGrain(
        [PersistentState("modelOutputs", StorageNames.MarketData)] IPersistentState<ModelOutputState> state,
        TimeProvider time,
        IOptions<ModelOutputLimits> limits,
        ILogger<ModelOutputGrain> logger,
        IServiceProvider services)
    {
        _logger = logger;
        _archive = services.GetService<Storage.IMarketDataArchive>();
        _state = state;
        _time = time;
        _limits = limits.Value;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ModelOutputKey.Parse(this.GetPrimaryKeyString());
        _history = ModelOutputHistory.Import(_state.State.Outputs, _limits, _state.State.LastSequence);
        // A publish to the index may have failed after the output was stored: hand the latest on again.
        if (_history.Latest is { } latest) await PublishToIndexAsync(latest);
    }

    public async Task<ModelOutputReceipt> SubmitAsync(ModelOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        // A retry of the latest submit (same time and content) gets the original receipt, not a second copy.
        if (_history.Latest is { } latest && IsSameOutput(latest, output))
            return new ModelOutputReceipt { Accepted = true, Sequence = latest.Sequence, HistoryCount = _history.Count };

        var now = _time.GetUtcNow();
        var errors = ModelOutputValidator.Validate(output, _key, now.ToUnixTimeMilliseconds(), _history.Latest, _limits);
        if (errors.Count > 0) return new ModelOutputReceipt { Accepted = false, Errors = errors, HistoryCount = _history.Count };

        // Own copies of the arrays: a caller in the silo may reuse its buffers after the call returns.
        var copy = output with
        {
            Predictions = [.. output.Predictions],
            HiddenState = output.HiddenState?.ToArray(),
            Metadata = new Dictionary<string, string>(output.Metadata, StringComparer.Ordinal),
        };
        var saved = (_state.State.Outputs, _state.State.LastSequence);
        var stored = _history.Add(copy, now.UtcDateTime);
        _state.State.Outputs = [.. _history.Export()];
        _state.State.LastSequence = stored.Sequence;
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            // Not stored, so not kept: back to what storage holds, and the caller sees the failure.
            (_state.State.Outputs, _state.State.LastSequence) = saved;
            _history = ModelOutputHistory.Import(saved.Outputs, _limits, saved.LastSequence);
            throw;
        }
        _archive?.TryAddModelOutput(_key.Instrument, stored);
        await PublishToIndexAsync(stored);
        return new ModelOutputReceipt { Accepted = true, Sequence = stored.Sequence, HistoryCount = _history.Count };
    }

    /// <summary>Best effort: the output is stored either way, and the next activation publishes the latest again.</summary>
    private async Task PublishToIndexAsync(ModelOutput output)
    {
        try
        {
            await GrainFactory.GetGrain<IModelOutputIndexGrain>(_key.Instrument.Key).PublishAsync(output);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "The index of {Instrument} did not take output {Sequence} of {Model}; other models see it after the next submit", _key.Instrument, output.Sequence, _key.Model);
        }
    }

    private static bool IsSameOutput(ModelOutput a, ModelOutput b)
        => a.Time == b.Time && a.ModelType == b.ModelType && a.Confidence.Equals(b.Confidence)
            && b.Predictions is not null && a.Predictions.AsSpan().SequenceEqual(b.Predictions)
            && (a.HiddenState ?? []).AsSpan().SequenceEqual(b.HiddenState ?? [])
            && b.Metadata is not null && a.Metadata.Count == b.Metadata.Count && a.Metadata.All(kv => b.Metadata.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public Task<IReadOnlyList<ModelOutput>> GetHistoryAsync(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return Task.FromResult(_history.GetHistory(limit));
    }

    public Task<ModelOutput?> GetLatestAsync(long? asOf = null)
    {
        if (asOf is not { } t) return Task.FromResult(_history.Latest);
        var all = _history.GetHistory(int.MaxValue);
        for (var i = all.Count - 1; i >= 0; i--)
            if (all[i].Time <= t) return Task.FromResult<ModelOutput?>(all[i]);
        return Task.FromResult<ModelOutput?>(null);
    }
}

/// <summary>The latest output of every model of one instrument.</summary>
[GenerateSerializer, Alias("MarketData.ModelOutputIndexState")]
public sealed class ModelOutputIndexState
{
    [Id(0)] public Dictionary<string, ModelOutput> Latest { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Cross-model feeding: the latest output of every model of one instrument, kept in storage so it survives
/// reactivation (the models' own grains cannot be enumerated). As of a past time, a model whose latest output is
/// newer is asked for its latest output by then.
/// </summary>
public sealed class ModelOutputIndexGrain : Grain, IModelOutputIndexGrain
{
    private readonly IPersistentState<ModelOutputIndexState> _state;

    public ModelOutputIndexGrain([PersistentState("modelOutputIndex", StorageNames.MarketData)] IPersistentState<ModelOutputIndexState> state)
        => _state = state;

    public async Task PublishAsync(ModelOutput output)
    {
        if (_state.State.Latest.TryGetValue(output.ModelName, out var known) && known.Sequence >= output.Sequence) return;
        _state.State.Latest[output.ModelName] = output;
        await _state.WriteStateAsync();
    }

    public async Task<IReadOnlyList<ModelOutput>> GetLatestAsync(string? exceptModel = null, long? asOf = null)
    {
        var result = new List<ModelOutput>(_state.State.Latest.Count);
        List<Task<ModelOutput?>>? older = null;
        foreach (var (model, output) in _state.State.Latest.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (model == exceptModel) continue;
            if (asOf is not { } t || output.Time <= t)
            {
                result.Add(output);
                continue;
            }
            var key = new ModelOutputKey(Instruments.Instrument.Parse(this.GetPrimaryKeyString()), model);
            (older ??= []).Add(GrainFactory.GetGrain<IModelOutputGrain>(key.Key).GetLatestAsync(t));
        }
        if (older is null) return result;
        foreach (var output in await Task.WhenAll(older))
            if (output is not null) result.Add(output);
        result.Sort((a, b) => string.CompareOrdinal(a.ModelName, b.ModelName));
        return result;
    }
}
