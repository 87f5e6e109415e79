using System.Text.Json;
using MarketData.Actors;
using MarketData.Domain.Pivots;
using MarketData.Pivots;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using static MarketData.Tests.Domain.Pivots.PivotTestData;

namespace MarketData.Tests.Actors;

/// <summary>What a pivot grain restores from its stored state: the encoded snapshot, or the Orleans fields of earlier builds.</summary>
public class PivotGrainStateTests
{
    private static readonly TimeProvider Time = TimeProvider.System;

    private static WilliamsPivotEngine Engine() => WilliamsPivotEngine.Compute(RandomWalk(800, 11), new PivotOptions { Strength = 2, WindowMs = 10_000 * Step });

    [Fact]
    public void The_encoded_snapshot_restores_the_engine()
    {
        var engine = Engine();
        Assert.True(PivotGrain.Restore(new PivotGrainState { EncodedEngine = PivotSnapshotCodec.Encode(engine.Export()) }, Time, out var restored, out var error), error);
        Assert.Equal(JsonSerializer.Serialize(engine.GetAllPivots()), JsonSerializer.Serialize(restored!.GetAllPivots()));
    }

    [Fact]
    public void The_state_survives_the_storage_serializer()
    {
        var engine = Engine();
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var stored = serializer.SerializeToArray(new PivotGrainState { EncodedEngine = PivotSnapshotCodec.Encode(engine.Export()) });
        var read = serializer.Deserialize<PivotGrainState>(stored)!;
        Assert.Null(read.Engine);
        Assert.True(PivotGrain.Restore(read, Time, out var restored, out var error), error);
        Assert.Equal(JsonSerializer.Serialize(engine.GetAllPivots()), JsonSerializer.Serialize(restored!.GetAllPivots()));
    }

    [Fact]
    public void State_saved_by_earlier_builds_as_Orleans_fields_still_restores()
    {
        var engine = Engine();
        Assert.True(PivotGrain.Restore(new PivotGrainState { Engine = engine.Export() }, Time, out var restored, out var error), error);
        Assert.Equal(engine.TotalCandles, restored!.TotalCandles);
    }

    [Fact]
    public void Nothing_saved_is_no_error_and_damage_is_reported()
    {
        Assert.False(PivotGrain.Restore(new PivotGrainState(), Time, out var engine, out var error));
        Assert.Null(engine);
        Assert.Null(error);

        var bytes = PivotSnapshotCodec.Encode(Engine().Export());
        bytes[bytes.Length / 2] ^= 0x10;
        Assert.False(PivotGrain.Restore(new PivotGrainState { EncodedEngine = bytes }, Time, out engine, out error));
        Assert.Null(engine);
        Assert.Contains("checksum", error);
    }
}

public class PivotGrainDeactivationTests
{
    private static readonly DeactivationReason Shutdown = new(DeactivationReasonCode.ShuttingDown, "This process is terminating.");
    private static readonly DeactivationReason Idle = new(DeactivationReasonCode.ActivationIdle, "idle");

    [Fact]
    public void A_shutdown_with_memory_storage_saves_nothing_every_other_deactivation_saves()
    {
        Assert.False(PivotGrain.SavesOnDeactivation(Shutdown, new GrainStateDurability(OutlivesSilo: false)));
        Assert.True(PivotGrain.SavesOnDeactivation(Shutdown, new GrainStateDurability(OutlivesSilo: true)));
        Assert.True(PivotGrain.SavesOnDeactivation(Shutdown, null));
        Assert.True(PivotGrain.SavesOnDeactivation(Idle, new GrainStateDurability(OutlivesSilo: false)));
    }
}
