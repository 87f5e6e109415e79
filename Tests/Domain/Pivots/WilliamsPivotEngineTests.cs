using System.Text.Json;
using MarketData.Candles;
using MarketData.Domain.Pivots;
using MarketData.Pivots;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Serialization;
using Xunit.Abstractions;
using static MarketData.Tests.Domain.Pivots.PivotTestData;

namespace MarketData.Tests.Domain.Pivots;

public sealed class WilliamsPivotEngineTests(ITestOutputHelper output)
{
    private static readonly PivotOptions NoWindow = new() { WindowMs = long.MaxValue / 4, SupportResistanceMinLevel = 1 };

    private static long CloseOf(int candle) => Start + (candle * Step) + Step - 1;

    /// <summary>1 + number of trailing zero bits: 1,2,1,3,1,2,1,4,... Its local maxima are again a ruler sequence.</summary>
    private static int Ruler(int j) => 1 + System.Numerics.BitOperations.TrailingZeroCount(j);

    /// <summary>
    /// trough0, peak1, trough1, ..., peak32, trough32: peak j (candle 2j-1) has high 1000 + 10 r(j), trough t (candle 2t)
    /// low 1000 - 10 r(t). Every peak is a level-1 high; the level-k highs are the peaks j (1..31) divisible by 2^(k-1),
    /// and the same for troughs.
    /// </summary>
    private static Candle[] RulerSeries()
    {
        var candles = new List<Candle>();
        for (var t = 0; t <= 32; t++)
        {
            var low = 1000 - (10 * (t == 0 ? 1 : Ruler(t)));
            candles.Add(C(candles.Count, low + 5, low));
            if (t == 32) break;
            var high = 1000 + (10 * Ruler(t + 1));
            candles.Add(C(candles.Count, high, high - 5));
        }
        return [.. candles];
    }

    [Fact]
    public void Nested_zigzag_gives_the_known_points_and_confirmations_on_all_five_levels()
    {
        var engine = WilliamsPivotEngine.Compute(RulerSeries(), NoWindow);

        for (var level = 1; level <= 5; level++)
        {
            var step = 1 << (level - 1);
            // Highs: peak j at candle 2j-1, confirmed at the close of candle 2j + 2^k - 2.
            var expectedHighs = Enumerable.Range(1, level == 1 ? 32 : 31).Where(j => j % step == 0)
                .Select(j => (Index: (long)((2 * j) - 1), Price: 1000L + (10 * Ruler(j)), Confirmed: CloseOf((2 * j) + (1 << level) - 2))).ToList();
            var highs = engine.GetPivots(level, SwingKind.High);
            Assert.Equal(expectedHighs, highs.Select(p => (p.CandleIndex, p.Price, p.ConfirmedAt)).ToList());

            // Lows: trough t at candle 2t (t = 1..31), confirmed at the close of candle 2t + 2^k - 1.
            var expectedLows = Enumerable.Range(1, 31).Where(t => t % step == 0)
                .Select(t => (Index: (long)(2 * t), Price: 1000L - (10 * Ruler(t)), Confirmed: CloseOf((2 * t) + (1 << level) - 1))).ToList();
            var lows = engine.GetPivots(level, SwingKind.Low);
            Assert.Equal(expectedLows, lows.Select(p => (p.CandleIndex, p.Price, p.ConfirmedAt)).ToList());

            Assert.All(highs.Concat(lows), p => Assert.Equal(level, p.Level));
            Assert.All(highs.Concat(lows), p => Assert.Equal(Start + (p.CandleIndex * Step), p.Time));
        }
        Assert.Equal([32, 15, 7, 3, 1], Enumerable.Range(1, 5).Select(k => engine.GetPivots(k, SwingKind.High).Count));
        // Merged view: alternating high/low in time order.
        var merged = engine.GetPivots(5);
        Assert.Equal([(SwingKind.High, 31L), (SwingKind.Low, 32L)], merged.Select(p => (p.Kind, p.CandleIndex)));
        Assert.Equal(2, engine.GetPivots(1, maxCount: 2).Count);
        Assert.Equal([62L, 63], engine.GetPivots(1, maxCount: 2).Select(p => p.CandleIndex)); // trough 31, peak 32
    }

    [Theory]
    [InlineData(new long[] { 1, 3, 3, 1 }, 1, 1)]
    [InlineData(new long[] { 1, 3, 3, 3, 3, 1 }, 1, 1)]
    [InlineData(new long[] { 1, 1, 3, 3, 3, 1, 1 }, 2, 2)]
    [InlineData(new long[] { 1, 2, 5, 5, 5, 2, 1 }, 2, 2)]
    [InlineData(new long[] { 2, 1, 5, 5, 4, 5, 5, 1, 0 }, 1, 2)] // two separate flat tops: one pivot each
    public void A_flat_top_yields_exactly_one_pivot_at_its_leftmost_candle(long[] highs, int strength, int firstIndex)
    {
        var options = new PivotOptions { Strength = strength, Levels = 1, SupportResistanceMinLevel = 1 };
        var top = WilliamsPivotEngine.Compute(FromHighs(highs), options).GetPivots(1, SwingKind.High);
        var runs = CountPlateaus(highs, max: true, strength);
        Assert.Equal(runs, top.Count);
        Assert.Equal(firstIndex, top[0].CandleIndex);
        Assert.Equal(highs.Max(), top[0].Price);

        // The mirror image (a flat bottom) behaves the same way.
        var lows = highs.Select(h => 100 - h).ToArray();
        var bottom = WilliamsPivotEngine.Compute(FromLows(lows), options).GetPivots(1, SwingKind.Low);
        Assert.Equal(runs, bottom.Count);
        Assert.Equal(firstIndex, bottom[0].CandleIndex);
        Assert.Equal(lows.Min(), bottom[0].Price);
    }

    private static int CountPlateaus(long[] values, bool max, int strength)
    {
        var count = 0;
        for (var i = strength; i + strength < values.Length; i++)
        {
            var ok = true;
            for (var j = 1; j <= strength; j++) ok &= max ? values[i] > values[i - j] && values[i] >= values[i + j] : values[i] < values[i - j] && values[i] <= values[i + j];
            if (ok) count++;
        }
        return count;
    }

    [Fact]
    public void Flat_tops_in_the_level_k_sequence_also_give_one_point()
    {
        // Level-1 highs 30, 50, 50, 40 -> level 2 takes the first 50 only.
        var candles = Series((10, 5), (30, 25), (10, 5), (50, 45), (10, 5), (50, 45), (10, 5), (40, 35), (10, 5));
        var engine = WilliamsPivotEngine.Compute(candles, NoWindow);
        Assert.Equal([1L, 3, 5, 7], engine.GetPivots(1, SwingKind.High).Select(p => p.CandleIndex));
        var level2 = Assert.Single(engine.GetPivots(2, SwingKind.High));
        Assert.Equal(3, level2.CandleIndex);
        Assert.Equal(CloseOf(6), level2.ConfirmedAt); // the next level-1 high (candle 5) is confirmed by candle 6
    }

    [Fact]
    public void A_plateau_followed_by_a_higher_high_still_marks_its_first_candle_as_documented()
    {
        var top = WilliamsPivotEngine.Compute(FromHighs(1, 3, 3, 5, 1), new PivotOptions { Levels = 1 }).GetPivots(1, SwingKind.High);
        Assert.Equal([1L, 3], top.Select(p => p.CandleIndex));
    }

    [Fact]
    public void Skipping_inside_candles_changes_which_candles_are_neighbours()
    {
        // Bar 2 is inside bar 1. Counted, it makes bar 1 a swing high; skipped, bar 3 (higher) is bar 1's right neighbour.
        var candles = Series((10, 5), (20, 10), (18, 12), (25, 8), (12, 6));
        var plain = WilliamsPivotEngine.Compute(candles, new PivotOptions { SkipInsideCandles = false });
        var skipping = WilliamsPivotEngine.Compute(candles, new PivotOptions { SkipInsideCandles = true });
        Assert.Equal([1L, 3], plain.GetPivots(1, SwingKind.High).Select(p => p.CandleIndex));
        Assert.Equal([3L], skipping.GetPivots(1, SwingKind.High).Select(p => p.CandleIndex));
    }

    [Fact]
    public void Skipping_inside_candles_delays_confirmation_and_judges_insideness_against_the_last_counted_candle()
    {
        // Bars 2 and 3 are inside bar 1 (bar 3 is not inside bar 2: its low 11 is below 12). Bar 4 breaks out.
        var candles = Series((10, 5), (20, 10), (18, 12), (15, 11), (12, 6));
        var plain = Assert.Single(WilliamsPivotEngine.Compute(candles, new PivotOptions()).GetPivots(1, SwingKind.High));
        var skipping = Assert.Single(WilliamsPivotEngine.Compute(candles, new PivotOptions { SkipInsideCandles = true }).GetPivots(1, SwingKind.High));
        Assert.Equal(1, plain.CandleIndex);
        Assert.Equal(CloseOf(2), plain.ConfirmedAt);
        Assert.Equal(1, skipping.CandleIndex);
        Assert.Equal(CloseOf(4), skipping.ConfirmedAt);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Incremental_engine_equals_the_plain_batch_definition_and_levels_are_nested(int strength, bool skipInside)
    {
        var options = new PivotOptions { Strength = strength, SkipInsideCandles = skipInside, WindowMs = long.MaxValue / 4 };
        for (var seed = 1; seed <= 4; seed++)
        {
            var candles = RandomWalk(5_000 * strength * strength, seed);
            var engine = WilliamsPivotEngine.Compute(candles, options);
            AssertMatchesReference(engine, Reference(candles, options), $"seed {seed}");
            for (var level = 2; level <= 5; level++)
            {
                foreach (var kind in (SwingKind[])[SwingKind.High, SwingKind.Low])
                {
                    var below = engine.GetPivots(level - 1, kind).Select(p => p.CandleIndex).ToHashSet();
                    var here = engine.GetPivots(level, kind);
                    Assert.All(here, p => Assert.Contains(p.CandleIndex, below));
                    Assert.True(here.Count < below.Count || below.Count == 0, $"level {level} not sparser");
                }
            }
            Assert.True(engine.GetPivots(5).Count > 0, "the random walk reaches level 5");
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Truncating_at_T_gives_exactly_the_pivots_confirmed_by_T(int strength, bool skipInside)
    {
        var options = new PivotOptions { Strength = strength, SkipInsideCandles = skipInside, WindowMs = long.MaxValue / 4 };
        for (var seed = 10; seed < 14; seed++)
        {
            var candles = RandomWalk(600, seed, gapEvery: 37);
            var full = WilliamsPivotEngine.Compute(candles, options);
            var random = new Random(seed);
            var checks = candles.Select(c => c.CloseTime).Concat(candles.Select(c => c.OpenTime + random.Next(0, 999))).Where((_, i) => i % 3 == 0);
            foreach (var t in checks)
            {
                var prefix = candles.Where(c => c.CloseTime <= t).ToArray();
                var truncated = WilliamsPivotEngine.Compute(prefix, options);
                for (var level = 1; level <= 5; level++)
                {
                    foreach (var kind in (SwingKind[])[SwingKind.High, SwingKind.Low])
                    {
                        var expected = full.GetPivots(level, kind, asOf: t);
                        var actual = truncated.GetPivots(level, kind);
                        Assert.True(expected.SequenceEqual(actual), $"seed {seed} T={t - Start} level {level} {kind}: full-filtered {Describe(expected)} vs truncated {Describe(actual)}");
                        Assert.All(actual, p => Assert.True(p.ConfirmedAt <= t && p.ConfirmedAt > p.Time));
                    }
                    Assert.Equal(full.TrendOf(level, t), truncated.TrendOf(level));
                }
                Assert.Equal(Json(full.SupportResistance(t)), Json(truncated.SupportResistance()));
            }
        }
    }

    [Fact]
    public void The_window_evicts_old_pivots_and_matches_the_batch_definition_restricted_to_the_window()
    {
        var options = new PivotOptions { Strength = 1, WindowMs = 300 * Step };
        var candles = RandomWalk(3_000, 7, gapEvery: 50);
        var engine = new WilliamsPivotEngine(options);
        for (var i = 0; i < candles.Length; i++)
        {
            Assert.Equal(CandleAddResult.Added, engine.Add(candles[i]));
            if (i % 97 == 0 || i == candles.Length - 1)
                AssertMatchesReference(engine, Reference(candles.AsSpan(0, i + 1), options), $"after {i + 1}");
        }
    }

    [Fact]
    public void Bounds_follow_the_sliding_window()
    {
        var options = new PivotOptions { WindowMs = 40 * Step, SupportResistanceMinLevel = 1 };
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var candles = RandomWalk(1_000, 3, gapEvery: 13);
        var engine = new WilliamsPivotEngine(options, time);
        Assert.Null(engine.GetBounds());
        for (var i = 0; i < candles.Length; i++)
        {
            engine.Add(candles[i]);
            var cutoff = candles[i].CloseTime + 1 - options.WindowMs;
            var window = candles[..(i + 1)].Where(c => c.OpenTime >= cutoff).ToArray();
            var bounds = engine.GetBounds()!;
            Assert.Equal(window.Min(c => c.Low), bounds.PriceMin);
            Assert.Equal(window.Max(c => c.High), bounds.PriceMax);
            Assert.Equal(window.Min(c => c.Volume), bounds.VolumeMin);
            Assert.Equal(window.Max(c => c.Volume), bounds.VolumeMax);
            Assert.Equal(window.Length, bounds.CandleCount);
            Assert.Equal(window[0].OpenTime, bounds.WindowStart);
            Assert.Equal(candles[i].CloseTime, bounds.WindowEnd);
            Assert.Equal(time.GetUtcNow().UtcDateTime, bounds.ComputedAt);
            var sr = engine.SupportResistance();
            Assert.Equal(sr.Support, bounds.Support);
            Assert.Equal(engine.GetPivots(1, SwingKind.Low).Count, bounds.Support.Sum(z => z.Touches));
            Assert.Equal(engine.GetPivots(1, SwingKind.High).Count, bounds.Resistance.Sum(z => z.Touches));
        }
        Assert.Null(engine.GetBounds(asOf: candles[^1].CloseTime - 1)); // the past window's bounds are not kept
        Assert.NotNull(engine.GetBounds(asOf: candles[^1].CloseTime));
    }

    [Fact]
    public void Trend_is_up_for_higher_highs_and_lows_down_for_lower_and_sideways_otherwise()
    {
        (long, long)[] rising = [(10, 5), (20, 15), (12, 8), (25, 18), (16, 11), (30, 20), (22, 14)];
        var up = WilliamsPivotEngine.Compute(Series(rising), NoWindow);
        Assert.Equal([20L, 25, 30], up.GetPivots(1, SwingKind.High).Select(p => p.Price));
        Assert.Equal([8L, 11], up.GetPivots(1, SwingKind.Low).Select(p => p.Price));
        Assert.Equal(Trend.Up, up.TrendOf(1));
        Assert.Equal(Trend.Sideways, up.TrendOf(1, asOf: CloseOf(3))); // only one low known then
        Assert.Equal(Trend.Sideways, up.TrendOf(2));                    // no level-2 points at all

        var falling = WilliamsPivotEngine.Compute(Series(rising.Select(b => (100 - b.Item2, 100 - b.Item1)).ToArray()), NoWindow);
        Assert.Equal(Trend.Down, falling.TrendOf(1));

        // Higher highs with lower lows: a broadening range is sideways.
        var broadening = WilliamsPivotEngine.Compute(Series((10, 5), (20, 15), (12, 8), (25, 18), (10, 6), (30, 20), (22, 14)), NoWindow);
        Assert.Equal(Trend.Sideways, broadening.TrendOf(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => broadening.TrendOf(6));
    }

    [Fact]
    public void Support_and_resistance_merge_nearby_pivots_with_touch_counts_and_strength()
    {
        // Level-1 lows 100300, 100000, 100050, 100200; level-2 low 100000. Highs all 101001.
        var candles = FromLows(101000, 100300, 101000, 100000, 101000, 100050, 101000, 100200, 101000);
        var engine = WilliamsPivotEngine.Compute(candles, new PivotOptions { SupportResistanceMinLevel = 1, MergeTolerance = 0.001 });
        Assert.Equal([100000L], engine.GetPivots(2, SwingKind.Low).Select(p => p.Price));

        var sr = engine.SupportResistance();
        Assert.Equal(2, sr.Support.Count);
        Assert.Equal(new SupportResistanceLevel { Price = 100025, Touches = 2, Strength = 2, IsSupport = true, LastTouch = Start + (5 * Step) }, sr.Support[0]);
        Assert.Equal(new SupportResistanceLevel { Price = 100250, Touches = 2, Strength = 1, IsSupport = true, LastTouch = Start + (7 * Step) }, sr.Support[1]);
        var resistance = Assert.Single(sr.Resistance);
        Assert.Equal((101001L, 3, 1, false), (resistance.Price, resistance.Touches, resistance.Strength, resistance.IsSupport));

        // As of the close of candle 4 only lows 100300 and 100000 are known, and 100000 is not yet level 2.
        var early = engine.SupportResistance(asOf: CloseOf(4));
        Assert.Equal([(100000L, 1, 1), (100300L, 1, 1)], early.Support.Select(z => (z.Price, z.Touches, z.Strength)));

        // With level 2 as the floor only the level-2 low remains.
        var strong = WilliamsPivotEngine.Compute(candles, new PivotOptions { SupportResistanceMinLevel = 2 }).SupportResistance();
        Assert.Equal([(100000L, 1, 2)], strong.Support.Select(z => (z.Price, z.Touches, z.Strength)));
        Assert.Empty(strong.Resistance);
    }

    [Fact]
    public void Bounds_normalisation_helpers()
    {
        var bounds = new PivotBounds
        {
            PriceMin = 1_000,
            PriceMax = 3_000,
            VolumeMin = 10,
            VolumeMax = 110,
            Support = [new SupportResistanceLevel { Price = 1_200, IsSupport = true }, new SupportResistanceLevel { Price = 1_800, IsSupport = true }],
            Resistance = [new SupportResistanceLevel { Price = 2_500 }, new SupportResistanceLevel { Price = 2_100 }],
        };
        Assert.Equal(0.0, bounds.NormalisePrice(1_000));
        Assert.Equal(0.5, bounds.NormalisePrice(2_000));
        Assert.Equal(1.25, bounds.NormalisePrice(3_500));
        Assert.Equal(0.4, bounds.NormaliseVolume(50), 12);
        Assert.Equal(200, bounds.DistanceToSupport(2_000));
        Assert.Equal(100, bounds.DistanceToResistance(2_000));
        Assert.Equal(0.1, bounds.NormaliseDistance(200), 12);
        Assert.Null(bounds.DistanceToSupport(1_100));
        Assert.Null(bounds.DistanceToResistance(2_600));
        Assert.Equal(0, bounds.DistanceToSupport(1_800));
        var flat = new PivotBounds { PriceMin = 5, PriceMax = 5 };
        Assert.Equal(0.5, flat.NormalisePrice(5));
        Assert.Equal(0, flat.NormaliseDistance(3));
    }

    [Fact]
    public void Out_of_order_duplicate_and_invalid_candles_are_refused_without_changing_state()
    {
        var engine = new WilliamsPivotEngine(new PivotOptions());
        var candles = RandomWalk(50, 5);
        foreach (var c in candles) Assert.Equal(CandleAddResult.Added, engine.Add(c));
        var before = Json(engine.Export());

        Assert.Equal(CandleAddResult.Duplicate, engine.Add(candles[^1]));
        Assert.Equal(CandleAddResult.Duplicate, engine.Add(candles[^1] with { High = 99_999 }));
        Assert.Equal(CandleAddResult.OutOfOrder, engine.Add(candles[10]));
        var next = C(100, 2_000, 1_000);
        Assert.Equal(CandleAddResult.Invalid, engine.Add(next with { High = 900 }));
        Assert.Equal(CandleAddResult.Invalid, engine.Add(next with { Volume = -1 }));
        Assert.Equal(CandleAddResult.Invalid, engine.Add(next with { Low = -5 }));
        Assert.Equal(CandleAddResult.Invalid, engine.Add(next with { CloseTime = next.OpenTime - 1 }));
        Assert.Equal(before, Json(engine.Export()));
        Assert.Equal(50, engine.TotalCandles);
        Assert.Equal(CandleAddResult.Added, engine.Add(next));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Export_then_import_continues_exactly_like_an_uninterrupted_engine(bool skipInside)
    {
        var options = new PivotOptions { Strength = 2, SkipInsideCandles = skipInside, WindowMs = 500 * Step, SupportResistanceMinLevel = 1 };
        var candles = RandomWalk(4_000, 21, gapEvery: 91);
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var uninterrupted = WilliamsPivotEngine.Compute(candles, options, time);

        foreach (var cut in new[] { 0, 1, 3, 1_700, 3_999 })
        {
            var first = WilliamsPivotEngine.Compute(candles.AsSpan(0, cut), options, time);
            // Through both stored forms: Orleans fields (what earlier builds saved) and the codec (what a grain saves now).
            var snapshot = RoundTripThroughOrleans(first.Export());
            Assert.True(PivotSnapshotCodec.TryDecode(PivotSnapshotCodec.Encode(snapshot), out var decoded, out var decodeError), decodeError);
            Assert.Equal(Json(snapshot), Json(decoded));
            snapshot = decoded!;
            Assert.True(WilliamsPivotEngine.TryImport(snapshot, time, out var resumed, out var error), error);
            resumed!.AddRange(candles.AsSpan(cut));

            Assert.Equal(Json(uninterrupted.Export()), Json(resumed.Export()));
            Assert.Equal(Json(uninterrupted.GetAllPivots()), Json(resumed.GetAllPivots()));
            Assert.Equal(Json(uninterrupted.GetBounds()), Json(resumed.GetBounds()));
            AssertMatchesReference(resumed, Reference(candles, options), $"cut {cut}");
        }
    }

    [Fact]
    public void Import_refuses_an_inconsistent_or_foreign_snapshot()
    {
        var snapshot = WilliamsPivotEngine.Compute(RandomWalk(200, 1), new PivotOptions()).Export();
        Assert.False(WilliamsPivotEngine.TryImport(snapshot with { Version = 99 }, null, out _, out var error));
        Assert.Contains("version", error);
        Assert.False(WilliamsPivotEngine.TryImport(snapshot with { TailHighs = [1] }, null, out _, out _));
        Assert.False(WilliamsPivotEngine.TryImport(snapshot with { Levels = 0 }, null, out _, out _));
        Assert.False(WilliamsPivotEngine.TryImport(snapshot with { Highs = snapshot.Highs with { Prices = [] } }, null, out _, out _));
    }

    [Fact]
    public void Thirty_days_of_1s_candles_fit_the_memory_budget()
    {
        var candles = SyntheticSeconds(2_592_000, seed: 42);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var engine = WilliamsPivotEngine.Compute(candles);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(engine);
        var counts = string.Join(", ", Enumerable.Range(1, 5).Select(k => $"L{k} {engine.GetPivots(k, SwingKind.High).Count}+{engine.GetPivots(k, SwingKind.Low).Count}"));
        output.WriteLine($"2,592,000 1s candles: retained {(after - before) / 1e6:F1} MB (engine's own estimate {engine.AllocatedBytes / 1e6:F1} MB); {counts}");
        Assert.Equal(2_592_000, engine.CandleCount);
        Assert.True(after - before < 64_000_000, $"retained {after - before} bytes");

        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var bytes = services.GetRequiredService<Serializer>().SerializeToArray(engine.Export());
        var encoded = PivotSnapshotCodec.Encode(engine.Export());
        output.WriteLine($"snapshot for grain storage: {encoded.Length / 1e6:F1} MB encoded ({bytes.Length / 1e6:F1} MB as Orleans fields)");
        Assert.True(encoded.Length < bytes.Length / 2, $"encoded {encoded.Length} B against {bytes.Length} B");
    }

    /// <summary>1s candles of a seeded random walk around 60,000 USDT, fixed-point 1e8 with 0.01 ticks (ties happen).</summary>
    internal static Candle[] SyntheticSeconds(int count, int seed)
    {
        var random = new Random(seed);
        var candles = new Candle[count];
        const long tick = 1_000_000; // 0.01 USDT
        long price = 60_000L * 100_000_000;
        for (var i = 0; i < count; i++)
        {
            var open = price;
            price += random.Next(-300, 301) * tick;
            var high = Math.Max(open, price) + (random.Next(0, 100) * tick);
            var low = Math.Min(open, price) - (random.Next(0, 100) * tick);
            var openTime = Start + (i * 1_000L);
            candles[i] = new Candle { OpenTime = openTime, CloseTime = openTime + 999, Open = open, High = high, Low = low, Close = price, Volume = random.Next(1, 1_000_000) * 1_000L, Flags = CandleFlags.Closed };
        }
        return candles;
    }

    private static PivotEngineSnapshot RoundTripThroughOrleans(PivotEngineSnapshot snapshot)
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        return serializer.Deserialize<PivotEngineSnapshot>(serializer.SerializeToArray(snapshot))!;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
