namespace MarketData.Actors;

/// <summary>Configuration section of model outputs; the limits themselves live in <see cref="Domain.ModelOutputs.ModelOutputLimits"/>.</summary>
public static class ModelOutputOptions
{
    public const string Section = "ModelOutputs";
}
