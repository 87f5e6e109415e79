using BenchmarkDotNet.Attributes;
using MarketData.LoadGeneration;

namespace MarketData.Benchmarks;

/// <summary>
/// The load generator's own cost, so it is known not to be the bottleneck of a load run: how many frames one core
/// produces and serialises per second, and what it allocates per frame. <see cref="OneSecondOfMarket"/> advances
/// <see cref="Symbols"/> synthetic markets by one second of simulated time in 10 ms scheduler ticks, every stream
/// subscribed (each frame serialised to UTF-8 and copied once, as into a connection queue); frames per operation are
/// printed at cleanup (divide by the mean time for frames/s). <see cref="BtcDepthFrames"/> isolates the head symbol.
/// Run: <c>dotnet run -c Release --project Benchmarks -- --filter *LoadGenerator*</c>.
/// </summary>
[MemoryDiagnoser]
public class LoadGeneratorBenchmarks
{
    private SymbolMarket[] _markets = [];
    private readonly FrameWriter _writer = new();
    private readonly CopyingSink _sink = new();
    private double _now;
    private long _operations;

    [Params(100, 1500)]
    public int Symbols { get; set; }

    [Params(1.0, 10.0)]
    public double RateScale { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _now = 1_772_323_200_000;
        _markets = Enumerable.Range(1, Symbols)
            .Select(rank => new SymbolMarket(LoadServerOptions.SymbolOf(rank), rank, LoadProfile.Default, RateScale, 1, _now, (long)_now))
            .ToArray();
        Advance(5_000); // past the start-up, buffers at their working size
        _sink.Frames = 0;
        _operations = 0;
    }

    [Benchmark]
    public long OneSecondOfMarket()
    {
        Advance(1_000);
        _operations++;
        return _sink.Frames;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_operations > 0)
            Console.WriteLine($"// LoadGenerator: {Symbols} symbols x{RateScale}: {(double)_sink.Frames / _operations:F0} frames per operation, {(double)_sink.Bytes / Math.Max(1, _sink.Frames):F0} bytes per frame");
    }

    private void Advance(double ms)
    {
        var slip = 0.0;
        for (var end = _now + ms; _now < end;)
        {
            _now += 10;
            foreach (var market in _markets)
                if (market.NextDueMs <= _now) market.Advance(_now, (long)_now, _writer, _sink, ref slip);
        }
    }

    /// <summary>Copies every payload once, as the server copies it into a subscribed connection's queue.</summary>
    private sealed class CopyingSink : IFrameSink
    {
        private readonly byte[] _buffer = new byte[1 << 20];
        public long Frames;
        public long Bytes;

        public bool Wants(StreamKind kind) => true;

        public void Write(StreamKind kind, ReadOnlySpan<byte> payload)
        {
            payload.CopyTo(_buffer);
            Frames++;
            Bytes += payload.Length;
        }
    }
}

/// <summary>The head symbol alone (BTCUSDT: 10 depth frames of 36 levels on average, 81 bookTickers, 28 trades a second).</summary>
[MemoryDiagnoser]
public class LoadGeneratorHeadBenchmarks
{
    private SymbolMarket _market = null!;
    private readonly FrameWriter _writer = new();
    private readonly CountingSink _sink = new();
    private double _now;
    private long _operations;

    [GlobalSetup]
    public void Setup()
    {
        _now = 1_772_323_200_000;
        _market = new SymbolMarket("BTCUSDT", 1, LoadProfile.Default, 1, 1, _now, (long)_now);
        Run(5_000);
        _sink.Frames = 0;
        _operations = 0;
    }

    /// <summary>Ten seconds of BTCUSDT.</summary>
    [Benchmark]
    public long BtcDepthFrames()
    {
        Run(10_000);
        _operations++;
        return _sink.Frames;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_operations > 0) Console.WriteLine($"// LoadGenerator head: {(double)_sink.Frames / _operations:F0} frames per operation");
    }

    private void Run(double ms)
    {
        var slip = 0.0;
        for (var end = _now + ms; _now < end;)
        {
            _now += 10;
            _market.Advance(_now, (long)_now, _writer, _sink, ref slip);
        }
    }

    private sealed class CountingSink : IFrameSink
    {
        public long Frames;
        public bool Wants(StreamKind kind) => true;
        public void Write(StreamKind kind, ReadOnlySpan<byte> payload) => Frames++;
    }
}
