using MarketData.LoadGeneration;
using MarketData.Tests.Fakes;

namespace MarketData.Tests.Load;

/// <summary>What a run against a silo needs of the exchange it follows: the load generator, or the deterministic fake.</summary>
public interface IExchangeUnderTest : IAsyncDisposable
{
    Uri RestBaseUrl { get; }
    Uri WebSocketBaseUrl { get; }
    IReadOnlyList<string> Symbols { get; }
    /// <summary>Frames sent so far, over every connection.</summary>
    long FramesSent { get; }
    /// <summary>Connections closed because their reader fell behind (the load generator does this; the fake never does).</summary>
    long SlowConsumerDisconnects { get; }
    /// <summary>How far the generator itself ran behind its schedule, worst over the last second (ms).</summary>
    double ScheduleSlipMs { get; }
    void Pause();
    void Resume();
    Task<long> LastUpdateIdAsync(string symbol);
}

/// <summary>The load generator (rates shaped on the recordings).</summary>
public sealed class LoadGeneratorExchange(BinanceLoadServer server) : IExchangeUnderTest
{
    public BinanceLoadServer Server => server;
    public Uri RestBaseUrl => server.RestBaseUrl;
    public Uri WebSocketBaseUrl => server.WebSocketBaseUrl;
    public IReadOnlyList<string> Symbols => server.Symbols;
    public long FramesSent => server.Stats.FramesSent;
    public long SlowConsumerDisconnects => server.Stats.SlowConsumerDisconnects;
    public double ScheduleSlipMs => server.Stats.ScheduleSlipMs;
    public void Pause() => server.Pause();
    public void Resume() => server.Resume();
    public async Task<long> LastUpdateIdAsync(string symbol) => (await server.BookAsync(symbol)).LastUpdateId;
    public ValueTask DisposeAsync() => server.DisposeAsync();
}

/// <summary>The deterministic fake, pumped at a fixed period: every symbol steps (a diff, a book ticker, maybe a trade) each period.</summary>
public sealed class PumpedFakeExchange(FakeBinanceServer server, TimeSpan period) : IExchangeUnderTest
{
    public Uri RestBaseUrl => server.RestBaseUrl;
    public Uri WebSocketBaseUrl => server.WebSocketBaseUrl;
    public IReadOnlyList<string> Symbols { get; } = [.. server.Symbols];
    public long FramesSent => server.Connections.Sum(c => (long)c.FramesSent);
    public long SlowConsumerDisconnects => 0;
    public double ScheduleSlipMs => 0;
    public void Pause() => server.StopPump();
    public void Resume() => server.StartPump(period);
    public async Task<long> LastUpdateIdAsync(string symbol) => (await server.BookAsync(symbol)).LastUpdateId;
    public ValueTask DisposeAsync() => server.DisposeAsync();
}
