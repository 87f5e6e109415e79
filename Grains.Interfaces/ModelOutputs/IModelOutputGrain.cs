namespace MarketData.ModelOutputs;

/// <summary>
/// The outputs of one model for one instrument (key <see cref="ModelOutputKey"/>): validated on submit, kept in a
/// bounded history that survives reactivation, and the latest one handed to the instrument's
/// <see cref="IModelOutputIndexGrain"/> so other models see it.
/// </summary>
[Alias("MarketData.IModelOutputGrain")]
public interface IModelOutputGrain : IGrainWithStringKey
{
    /// <summary>
    /// Validates and stores; a rejected output changes nothing and the receipt lists every reason. A repeat of the latest
    /// output (same time and content, e.g. a retry after a lost answer) returns the original receipt instead of a copy.
    /// </summary>
    [Alias("Submit")]
    Task<ModelOutputReceipt> SubmitAsync(ModelOutput output);

    /// <summary>The latest <paramref name="limit"/> outputs, oldest first.</summary>
    [Alias("GetHistory"), Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<ModelOutput>> GetHistoryAsync(int limit);

    /// <summary>The latest output; with <paramref name="asOf"/> (Unix ms) the latest whose time is not after it.</summary>
    /// <remarks>Interleaves with a submit in flight: the index asks while the submit awaits the index.</remarks>
    [Alias("GetLatest"), Orleans.Concurrency.AlwaysInterleave]
    Task<ModelOutput?> GetLatestAsync(long? asOf = null);
}

/// <summary>The latest output of every model for one instrument (key <c>exchange:SYMBOL</c>): what cross-model feeding reads.</summary>
[Alias("MarketData.IModelOutputIndexGrain")]
public interface IModelOutputIndexGrain : IGrainWithStringKey
{
    /// <summary>Called by a model's output grain after it stored <paramref name="output"/>.</summary>
    [Alias("Publish")]
    Task PublishAsync(ModelOutput output);

    /// <summary>
    /// The latest output of every model, ordered by model name, leaving out <paramref name="exceptModel"/> when given; with
    /// <paramref name="asOf"/> (Unix ms) each model's latest output whose time is not after it (no look-ahead).
    /// </summary>
    /// <remarks>Interleaves: a snapshot must not wait behind a publish that awaits a storage write.</remarks>
    [Alias("GetLatest"), Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<ModelOutput>> GetLatestAsync(string? exceptModel = null, long? asOf = null);
}
