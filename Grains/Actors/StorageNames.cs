namespace MarketData.Actors;

/// <summary>Grain storage provider names shared by grains and the silo configuration.</summary>
public static class StorageNames
{
    /// <summary>Grain state of this project (memory in the embedded default). Each grain class uses its own state name.</summary>
    public const string MarketData = "marketdata";
}

/// <summary>
/// Whether grain state outlives the silo processes: true with PostgreSQL storage, false with the embedded memory
/// storage. A grain that saves on deactivation skips the save when the silo shuts down with memory storage: the state
/// would die with the process, and the storage grains are being deactivated at the same moment, so the write could
/// only fail. Absent (tests that do not register it) counts as durable.
/// </summary>
public sealed record GrainStateDurability(bool OutlivesSilo);

