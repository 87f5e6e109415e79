namespace MarketData.Actors;

/// <summary>Grain storage provider names shared by grains and the silo configuration.</summary>
public static class StorageNames
{
    /// <summary>Grain state of this project (memory in the embedded default). Each grain class uses its own state name.</summary>
    public const string MarketData = "marketdata";
}
