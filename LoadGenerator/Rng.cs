namespace MarketData.LoadGeneration;

/// <summary>
/// SplitMix64: a tiny, fast, deterministic generator (one per symbol, so a seed reproduces every market whatever the
/// scheduling). Not for cryptography.
/// </summary>
internal struct Rng(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => (int)((NextUInt64() >> 33) * (ulong)maxExclusive >> 31);

    public bool NextBool() => (NextUInt64() & 1) == 0;

    /// <summary>An exponential gap in milliseconds for a Poisson process of <paramref name="perSecond"/> events a second.</summary>
    public double ExponentialMs(double perSecond)
        => perSecond <= 0 ? double.PositiveInfinity : -Math.Log(1 - NextDouble()) * 1000 / perSecond;
}
