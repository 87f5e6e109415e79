using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.Pivots;

namespace MarketData.Domain.Features;

/// <summary>
/// Fills the float32 feature vector of a <see cref="BaseDataInput"/> following a <see cref="FeatureLayout"/> from
/// <see cref="FeatureLayouts"/>. Every division is guarded and a missing input is 0 (the presence features tell a
/// model what was missing); a last pass replaces any non-finite value that still got through (a NaN inside the
/// snapshot, a double too large for a float) with 0 and counts it in <see cref="NonFiniteReplaced"/>.
/// Stateless apart from that counter, so one instance can serve every grain; no allocation per candle.
/// </summary>
public sealed class FeatureVectorBuilder
{
    private const double Scale = FixedPoint.Scale;
    private const long DayMs = 86_400_000;
    private const long WeekMs = 7 * DayMs;
    /// <summary>The Unix epoch fell on a Thursday: day 3 of a week that starts on Monday.</summary>
    private const long EpochWeekdayMs = 3 * DayMs;

    private long _nonFiniteReplaced;

    /// <summary>Non-finite values replaced by 0 since this builder was created (0 unless the snapshot itself held NaN or huge doubles).</summary>
    public long NonFiniteReplaced => Interlocked.Read(ref _nonFiniteReplaced);

    /// <summary>A new vector of <paramref name="layout"/>'s length built from <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The layout is not one of <see cref="FeatureLayouts"/>, or its shape does not match the input's requirements.</exception>
    public float[] Build(BaseDataInput input, FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var vector = new float[Math.Max(layout.Length, 0)];
        Build(input, layout, vector);
        return vector;
    }

    /// <summary>Writes the vector into <paramref name="destination"/>, whose length must be the layout's.</summary>
    /// <exception cref="ArgumentException">The layout is not one of <see cref="FeatureLayouts"/>, its shape does not match the input's requirements, or the destination has another length.</exception>
    public void Build(BaseDataInput input, FeatureLayout layout, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(layout);
        var plan = FeatureLayouts.PlanOf(layout.Version)
            ?? throw new ArgumentException($"Feature layout '{layout.Version}' is not a layout of schema {FeatureLayouts.SchemaVersion}.", nameof(layout));
        if (layout.Length != plan.Length)
            throw new ArgumentException($"Feature layout '{layout.Version}' claims {layout.Length} features; that version has {plan.Length}.", nameof(layout));
        var requirements = input.Requirements ?? throw new ArgumentException("The input has no requirements.", nameof(input));
        if (!plan.Shape.Matches(requirements))
            throw new ArgumentException($"Feature layout '{layout.Version}' does not fit the input's requirements " +
                $"(they give '{FeatureShape.Of(requirements, plan.Shape.BucketSlots).Version}').", nameof(layout));
        if (destination.Length != plan.Length)
            throw new ArgumentException($"The destination holds {destination.Length} floats; layout '{layout.Version}' has {plan.Length}.", nameof(destination));

        destination.Clear();
        var rented = new RentedCandles();
        try
        {
            var w1s = Window(input.Candles1s, plan.Shape.Frames1s, ref rented.A);
            var w1m = Window(input.Candles1m, plan.Shape.Frames1m, ref rented.B);
            var w1h = Window(input.Candles1h, plan.Shape.Frames1h, ref rented.C);
            var w1d = Window(input.Candles1d, plan.Shape.Frames1d, ref rented.D);
            var wRef = Window(input.Reference1s, plan.Shape.ReferenceFrames1s, ref rented.E);

            var scale = PriceScale.For(input.Pivots?.Bounds, w1m, w1s, w1h, w1d);

            WriteCandles(destination, plan.CandleOffsets[0], plan.Shape.Frames1s, w1s, scale);
            WriteCandles(destination, plan.CandleOffsets[1], plan.Shape.Frames1m, w1m, scale);
            WriteCandles(destination, plan.CandleOffsets[2], plan.Shape.Frames1h, w1h, scale);
            WriteCandles(destination, plan.CandleOffsets[3], plan.Shape.Frames1d, w1d, scale);
            WriteCandles(destination, plan.ReferenceOffset, plan.Shape.ReferenceFrames1s, wRef, PriceScale.OfWindow(wRef));

            var presence = destination.Slice(plan.PresenceOffset, FeatureLayouts.PresenceFeatures);
            presence[0] = Fraction(w1s.Length, plan.Shape.Frames1s);
            presence[1] = Fraction(w1m.Length, plan.Shape.Frames1m);
            presence[2] = Fraction(w1h.Length, plan.Shape.Frames1h);
            presence[3] = Fraction(w1d.Length, plan.Shape.Frames1d);
            presence[4] = Fraction(wRef.Length, plan.Shape.ReferenceFrames1s);

            for (var s = 0; s < 4; s++)
                WriteIndicators(destination.Slice(plan.IndicatorOffsets[s], FeatureLayouts.IndicatorFeatures), Find(input.Indicators, Timeframe.All[s]), scale);

            var aggregate = input.Book?.Aggregate;
            if (aggregate is { IsGap: true }) aggregate = null;
            var micro = input.Microstructure;
            WriteBook(destination.Slice(plan.BookOffset, FeatureLayouts.BookFeatures), input.Book, aggregate, micro, scale);
            WriteBuckets(destination.Slice(plan.BucketsOffset, plan.Shape.BucketSlots * FeatureLayouts.BucketFields), plan.Shape.BucketSlots, aggregate);

            // The price that support and resistance are measured from: the mid, else the last 1s close.
            var mid = micro is { Mid: > 0 } ? micro.Mid : aggregate is { Mid: > 0 } ? aggregate.Mid : 0;
            var price = mid > 0 ? mid : w1s.Length > 0 ? w1s[^1].Close : 0;
            WritePivots(destination.Slice(plan.PivotsOffset, FeatureLayouts.PivotLevels * FeatureLayouts.PivotLevelFields + FeatureLayouts.PivotExtraFeatures),
                input.Pivots, price, scale);

            WriteQuality(destination.Slice(plan.QualityOffset, FeatureLayouts.QualityFeatures), input.Quality);
            WriteTime(destination.Slice(plan.TimeOffset, FeatureLayouts.TimeFeatures), input.Timestamp);
        }
        finally
        {
            rented.Return();
        }

        var replaced = ReplaceNonFinite(destination);
        if (replaced > 0) Interlocked.Add(ref _nonFiniteReplaced, replaced);
    }

    /// <summary>Replaces NaN and ±infinity by 0; returns how many there were. Vectorised: a clean vector costs one subtraction per lane.</summary>
    internal static int ReplaceNonFinite(Span<float> values)
    {
        var replaced = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var lanes = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (var v = 0; v < lanes.Length; v++)
            {
                // x - x is 0 for every finite x and NaN for NaN and the infinities.
                var difference = lanes[v] - lanes[v];
                if (Vector.EqualsAll(difference, Vector<float>.Zero)) continue;
                var start = v * Vector<float>.Count;
                replaced += ReplaceScalar(values.Slice(start, Vector<float>.Count));
            }
            i = lanes.Length * Vector<float>.Count;
        }
        return replaced + ReplaceScalar(values[i..]);
    }

    private static int ReplaceScalar(Span<float> values)
    {
        var replaced = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            values[i] = 0;
            replaced++;
        }
        return replaced;
    }

    /// <summary>The newest <paramref name="frames"/> candles of a series as a span (no copy for arrays and lists).</summary>
    private static ReadOnlySpan<Candle> Window(CandleFrames? frames, int count, ref Candle[]? rented)
    {
        var candles = frames?.Candles;
        if (candles is null || count == 0 || candles.Count == 0) return [];
        var take = Math.Min(candles.Count, count);
        switch (candles)
        {
            case Candle[] array:
                return array.AsSpan(array.Length - take);
            case List<Candle> list:
                return CollectionsMarshal.AsSpan(list)[(list.Count - take)..];
            default:
                // Another list type (e.g. after a serializer): copy once into a pooled buffer.
                rented = ArrayPool<Candle>.Shared.Rent(take);
                var first = candles.Count - take;
                for (var i = 0; i < take; i++) rented[i] = candles[first + i];
                return rented.AsSpan(0, take);
        }
    }

    private static void WriteCandles(Span<float> destination, int offset, int frames, ReadOnlySpan<Candle> window, PriceScale scale)
    {
        if (window.Length == 0) return;
        long maxVolume = 0;
        foreach (ref readonly var candle in window)
            if (candle.Volume > maxVolume) maxVolume = candle.Volume;
        var volumeScale = maxVolume > 0 ? 1.0 / maxVolume : 0;
        var slots = destination.Slice(offset + (frames - window.Length) * FeatureLayouts.CandleFields, window.Length * FeatureLayouts.CandleFields);
        var at = 0;
        foreach (ref readonly var candle in window)
        {
            slots[at] = scale.Price(candle.Open);
            slots[at + 1] = scale.Price(candle.High);
            slots[at + 2] = scale.Price(candle.Low);
            slots[at + 3] = scale.Price(candle.Close);
            slots[at + 4] = (float)(candle.Volume * volumeScale);
            at += FeatureLayouts.CandleFields;
        }
    }

    private static float Fraction(double part, double whole) => whole > 0 ? (float)(part / whole) : 0;

    private static IndicatorSet? Find(IReadOnlyList<IndicatorSet>? sets, Timeframe timeframe)
    {
        if (sets is null) return null;
        for (var i = 0; i < sets.Count; i++)
            if (sets[i] is { } set && set.Timeframe.Milliseconds == timeframe.Milliseconds) return set;
        return null;
    }

    private static void WriteIndicators(Span<float> f, IndicatorSet? set, PriceScale scale)
    {
        if (set is null) return;
        f[0] = scale.Quote(set.EmaFast);
        f[1] = scale.Quote(set.EmaSlow);
        f[2] = scale.Quote(set.BollingerUpper);
        f[3] = scale.Quote(set.BollingerMiddle);
        f[4] = scale.Quote(set.BollingerLower);
        f[5] = scale.Quote(set.Vwap);
        f[6] = set.Rsi is { } rsi ? (float)(rsi / 100) : 0;
        f[7] = scale.QuoteSpan(set.Macd);
        f[8] = scale.QuoteSpan(set.MacdSignal);
        f[9] = scale.QuoteSpan(set.MacdHistogram);
        f[10] = scale.QuoteSpan(set.Atr);
        f[11] = set.BollingerPercentB is { } percentB ? (float)percentB : 0;
        f[12] = set.BollingerBandwidth is { } bandwidth ? (float)bandwidth : 0;
        f[13] = set.Candles > 0 ? 1 : 0;
    }

    private static void WriteBook(Span<float> f, BookInputView? book, CobSecond? aggregate, Microstructure? micro, PriceScale scale)
    {
        f[0] = book?.Status == BookStatus.Synced ? 1 : 0;
        // The second's numbers come from the microstructure when the snapshot has it, else straight from the aggregate.
        double? imbalance = micro is not null ? micro.Imbalance : aggregate?.Imbalance;
        f[1] = (float)(imbalance ?? 0);
        if (aggregate is not null)
        {
            var averages = aggregate.Averages;
            f[2] = (float)(averages.S1 ?? 0);
            f[3] = (float)(averages.S5 ?? 0);
            f[4] = (float)(averages.S15 ?? 0);
            f[5] = (float)(averages.S60 ?? 0);
        }

        if (micro is not null) f[6] = (float)(micro.SpreadBps / 100);
        else if (aggregate is { Mid: > 0 }) f[6] = (float)((double)aggregate.Spread / aggregate.Mid * 100); // bps / 100 = spread / mid × 100

        long bidDepth = micro?.BidDepth ?? aggregate?.BidDepth ?? 0, askDepth = micro?.AskDepth ?? aggregate?.AskDepth ?? 0;
        var depth = (double)bidDepth + askDepth;
        if (depth > 0)
        {
            f[7] = (float)(bidDepth / depth);
            f[8] = (float)(askDepth / depth);
        }

        var second = micro?.LastSecond ?? aggregate?.Flow ?? default;
        var traded = (double)second.BuyVolume + second.SellVolume;
        if (traded > 0)
        {
            f[9] = (float)(second.BuyVolume / traded);
            f[10] = (float)(second.SellVolume / traded);
        }

        // The minute's flow: the microstructure's when it saw trades, else the book's own 60-second sum.
        var minute = micro?.LastMinute ?? default;
        if ((double)minute.BuyVolume + minute.SellVolume <= 0 && book is not null) minute = book.RecentFlow;
        var minuteTraded = (double)minute.BuyVolume + minute.SellVolume;
        if (minuteTraded > 0) f[11] = (float)(minute.BuyVolume / minuteTraded);
        if (minute.Vwap > 0) f[12] = scale.Price(minute.Vwap);

        var mid = micro is { Mid: > 0 } ? micro.Mid : aggregate?.Mid ?? 0;
        if (mid > 0) f[13] = scale.Price(mid);
        f[14] = aggregate is not null ? 1 : 0;
    }

    private static void WriteBuckets(Span<float> f, int slots, CobSecond? aggregate)
    {
        if (aggregate is null || aggregate.BucketSize <= 0) return;
        var buckets = aggregate.Buckets;
        if (buckets is null || buckets.Length == 0) return;
        // The aggregate's bucket holding the mid goes to the centre slot; slot s shows bucket midIndex + s - centre.
        var midIndex = Math.Floor(((double)aggregate.Mid - aggregate.RangeLow) / aggregate.BucketSize);
        var centre = slots / 2;
        if (!(midIndex > -slots - 1.0 && midIndex < buckets.Length + slots + 1.0)) return; // no slot overlaps the range (or NaN)
        var shift = (int)midIndex - centre;
        var first = Math.Max(0, -shift);
        var end = Math.Min(slots, buckets.Length - shift);
        if (first >= end) return;

        double largest = 0;
        for (var s = first; s < end; s++)
        {
            var total = (double)buckets[s + shift].BidVolume + buckets[s + shift].AskVolume;
            if (total > largest) largest = total;
        }
        var volumeScale = largest > 0 ? 1.0 / largest : 0;
        var averages = aggregate.BucketAverages ?? [];
        for (var s = first; s < end; s++)
        {
            var index = s + shift;
            var bucket = buckets[index];
            var at = s * FeatureLayouts.BucketFields;
            f[at] = (float)(bucket.BidVolume * volumeScale);
            f[at + 1] = (float)(bucket.AskVolume * volumeScale);
            var total = (double)bucket.BidVolume + bucket.AskVolume;
            f[at + 2] = total != 0 ? (float)((bucket.BidVolume - (double)bucket.AskVolume) / total) : 0;
            if (index < averages.Length)
            {
                var average = averages[index];
                f[at + 3] = (float)(average.S60 ?? average.S15 ?? average.S5 ?? average.S1 ?? 0);
            }
        }
    }

    private static void WritePivots(Span<float> f, PivotSet? pivots, long price, PriceScale scale)
    {
        if (pivots is null) return;
        var levels = pivots.Levels;
        var trends = pivots.Trends;
        for (var level = 0; level < FeatureLayouts.PivotLevels; level++)
        {
            var at = level * FeatureLayouts.PivotLevelFields;
            if (trends is not null && level < trends.Count)
                f[at + 2] = trends[level] switch { Trend.Up => 1, Trend.Down => -1, _ => 0 };
            if (levels is null || level >= levels.Count || levels[level] is not { Count: > 0 } points) continue;
            bool high = false, low = false;
            // Points are oldest first: walk back until the newest high and the newest low are both found.
            for (var i = points.Count - 1; i >= 0 && !(high && low); i--)
            {
                var point = points[i];
                if (point.Kind == SwingKind.High && !high) { f[at] = scale.Price(point.Price); high = true; }
                else if (point.Kind == SwingKind.Low && !low) { f[at + 1] = scale.Price(point.Price); low = true; }
            }
            f[at + 3] = 1;
        }

        var extra = FeatureLayouts.PivotLevels * FeatureLayouts.PivotLevelFields;
        var bounds = pivots.Bounds;
        if (bounds is null || bounds.PriceMax <= bounds.PriceMin) return;
        f[extra + 4] = 1;
        if (price <= 0) return;
        var range = (double)bounds.PriceMax - bounds.PriceMin;
        if (bounds.DistanceToSupport(price) is { } support)
        {
            f[extra] = (float)(support / range);
            f[extra + 2] = 1;
        }
        if (bounds.DistanceToResistance(price) is { } resistance)
        {
            f[extra + 1] = (float)(resistance / range);
            f[extra + 3] = 1;
        }
    }

    private static void WriteQuality(Span<float> f, QualityReport? quality)
    {
        if (quality is null) return;
        f[0] = (float)quality.Score;
        f[1] = (float)(quality.Completeness?.Score ?? 0);
        f[2] = (float)(quality.Freshness?.Score ?? 0);
        f[3] = (float)(quality.Consistency?.Score ?? 0);
    }

    private static void WriteTime(Span<float> f, long timestamp)
    {
        var day = 2 * Math.PI * PositiveModulo(timestamp, DayMs) / DayMs;
        var week = 2 * Math.PI * ((PositiveModulo(timestamp, WeekMs) + EpochWeekdayMs) % WeekMs) / WeekMs;
        f[0] = (float)Math.Sin(day);
        f[1] = (float)Math.Cos(day);
        f[2] = (float)Math.Sin(week);
        f[3] = (float)Math.Cos(week);
    }

    private static long PositiveModulo(long value, long modulus) => ((value % modulus) + modulus) % modulus;

    /// <summary>Pooled copies of series that were not arrays or lists; returned after the build.</summary>
    private struct RentedCandles
    {
        public Candle[]? A, B, C, D, E;

        public readonly void Return()
        {
            Give(A);
            Give(B);
            Give(C);
            Give(D);
            Give(E);
        }

        private static void Give(Candle[]? array)
        {
            if (array is not null) ArrayPool<Candle>.Shared.Return(array);
        }
    }

    /// <summary>Maps fixed-point prices (and quote-unit doubles) to (p - min) / (max - min); 0 for everything when there is no usable range.</summary>
    private readonly struct PriceScale
    {
        private readonly double _min;
        private readonly double _inverseRange;

        private PriceScale(double min, double range)
        {
            _min = min;
            _inverseRange = range > 0 && double.IsFinite(range) ? 1.0 / range : 0;
        }

        /// <summary>The pivot bounds when they have a range; else the lows and highs of the first series that has one (1m first).</summary>
        public static PriceScale For(PivotBounds? bounds, ReadOnlySpan<Candle> first, ReadOnlySpan<Candle> second, ReadOnlySpan<Candle> third, ReadOnlySpan<Candle> fourth)
        {
            if (bounds is not null && bounds.PriceMax > bounds.PriceMin)
                return new PriceScale(bounds.PriceMin, (double)bounds.PriceMax - bounds.PriceMin);
            var scale = OfWindow(first);
            if (scale.Usable) return scale;
            scale = OfWindow(second);
            if (scale.Usable) return scale;
            scale = OfWindow(third);
            return scale.Usable ? scale : OfWindow(fourth);
        }

        /// <summary>Lowest low to highest high of <paramref name="window"/>.</summary>
        public static PriceScale OfWindow(ReadOnlySpan<Candle> window)
        {
            if (window.Length == 0) return default;
            long low = long.MaxValue, high = long.MinValue;
            foreach (ref readonly var candle in window)
            {
                if (candle.Low < low) low = candle.Low;
                if (candle.High > high) high = candle.High;
            }
            return high > low ? new PriceScale(low, (double)high - low) : default;
        }

        public bool Usable => _inverseRange > 0;

        public float Price(long price) => (float)(((double)price - _min) * _inverseRange);

        /// <summary>A price in quote units (an indicator's double).</summary>
        public float Quote(double? price) => price is { } p && Usable ? (float)((p * Scale - _min) * _inverseRange) : 0;

        /// <summary>A price difference in quote units as a fraction of the range (MACD, ATR).</summary>
        public float QuoteSpan(double? span) => span is { } s ? (float)(s * Scale * _inverseRange) : 0;
    }
}
