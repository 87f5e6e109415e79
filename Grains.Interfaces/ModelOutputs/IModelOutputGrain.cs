namespace MarketData.ModelOutputs;

/// <summary>
/// The outputs of one model for one instrument (key <see cref="ModelOutputKey"/>): validated on submit, kept in a
/// bounded history that survives reactivation, and the latest one handed to the instrument's
/// <see cref="IModelOutputIndexGrain"/> so other models see it.
/// </summary>
[Alias("MarketData.IModelOutputGrain")]
public interface IModelOutputGrain : IGrainWithStringKey
{
    /// <summary>Validates and stores; a rejected output changes nothing and the receipt lists every reason.</summary>
    [Alias("Submit")]
    Task<ModelOutputReceipt> SubmitAsync(ModelOutput output);

    /// <summary>The latest <paramref name="limit"/> outputs, oldest first.</summary>
    [Alias("GetHistory")]
    Task<IReadOnlyList<ModelOutput>> GetHistoryAsync(int limit);

    [Alias("GetLatest")]
    Task<ModelOutput?> GetLatestAsync();
}

/// <summary>The latest output of every model for one instrument (key <c>exchange:SYMBOL</c>): what cross-model feeding reads.</summary>
[Alias("MarketData.IModelOutputIndexGrain")]
public interface IModelOutputIndexGrain : IGrainWithStringKey
{
    /// <summary>Called by a model's output grain after it stored <paramref name="output"/>.</summary>
    [Alias("Publish")]
    Task PublishAsync(ModelOutput output);

    /// <summary>The latest output of every model, by model name, leaving out <paramref name="exceptModel"/> when given.</summary>
    [Alias("GetLatest")]
    Task<IReadOnlyList<ModelOutput>> GetLatestAsync(string? exceptModel = null);
}
