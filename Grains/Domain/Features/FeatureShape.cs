using System.Globalization;
using MarketData.Inputs;

namespace MarketData.Domain.Features;

/// <summary>
/// Everything that fixes the offsets of a feature vector: the frames of each candle series, the reference frames and
/// the bucket slots. Two snapshots with the same shape produce vectors of the same layout; the shape is spelled out
/// in the layout's version (<c>1:f300.300.300.300:r300:b11</c>), so a version alone says where every feature is.
/// </summary>
public readonly record struct FeatureShape
{
    /// <summary>Upper bound on the frames of one series (a day of 1s candles); keeps a layout's size sane.</summary>
    public const int MaxFrames = 86_400;

    /// <summary>Upper bound on the bucket slots: both sides of the widest aggregation range (2 × 2,000 buckets) plus the mid's.</summary>
    public const int MaxBucketSlots = 4_001;

    public FeatureShape(int frames1s, int frames1m, int frames1h, int frames1d, int referenceFrames1s, int bucketSlots)
    {
        CheckFrames(frames1s, nameof(frames1s));
        CheckFrames(frames1m, nameof(frames1m));
        CheckFrames(frames1h, nameof(frames1h));
        CheckFrames(frames1d, nameof(frames1d));
        CheckFrames(referenceFrames1s, nameof(referenceFrames1s));
        if (bucketSlots is < 1 or > MaxBucketSlots)
            throw new ArgumentOutOfRangeException(nameof(bucketSlots), bucketSlots, $"bucket slots must be 1..{MaxBucketSlots}");
        Frames1s = frames1s;
        Frames1m = frames1m;
        Frames1h = frames1h;
        Frames1d = frames1d;
        ReferenceFrames1s = referenceFrames1s;
        BucketSlots = bucketSlots;
    }

    public int Frames1s { get; }
    public int Frames1m { get; }
    public int Frames1h { get; }
    public int Frames1d { get; }
    public int ReferenceFrames1s { get; }
    public int BucketSlots { get; }

    /// <summary>The shape of snapshots built with <paramref name="requirements"/> and <paramref name="bucketSlots"/> slots.</summary>
    public static FeatureShape Of(InputRequirements requirements, int bucketSlots)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        return new FeatureShape(requirements.Frames1s, requirements.Frames1m, requirements.Frames1h, requirements.Frames1d,
            requirements.ReferenceFrames1s, bucketSlots);
    }

    /// <summary>Frames of the candle series at <paramref name="index"/> (0 = 1s, 1 = 1m, 2 = 1h, 3 = 1d).</summary>
    public int FramesAt(int index) => index switch
    {
        0 => Frames1s,
        1 => Frames1m,
        2 => Frames1h,
        3 => Frames1d,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>True when snapshots built with <paramref name="requirements"/> have this shape's frame counts.</summary>
    public bool Matches(InputRequirements requirements)
        => requirements.Frames1s == Frames1s && requirements.Frames1m == Frames1m && requirements.Frames1h == Frames1h
           && requirements.Frames1d == Frames1d && requirements.ReferenceFrames1s == ReferenceFrames1s;

    /// <summary><c>{schema}:f{1s}.{1m}.{1h}.{1d}:r{reference}:b{slots}</c>.</summary>
    public string Version => string.Create(CultureInfo.InvariantCulture,
        $"{FeatureLayouts.SchemaVersion}:f{Frames1s}.{Frames1m}.{Frames1h}.{Frames1d}:r{ReferenceFrames1s}:b{BucketSlots}");

    public override string ToString() => Version;

    /// <summary>
    /// Reads a version written by <see cref="Version"/>. False for another schema number, a malformed string or numbers
    /// out of range (so a layout from an older or newer schema is never mistaken for this one).
    /// </summary>
    public static bool TryParse(string? version, out FeatureShape shape)
    {
        shape = default;
        if (version is null || version.Length > 80) return false;
        var rest = version.AsSpan();
        if (!TryTake(ref rest, ':', out var schema) || schema != FeatureLayouts.SchemaVersion) return false;
        if (rest.IsEmpty || rest[0] != 'f') return false;
        rest = rest[1..];
        if (!TryTake(ref rest, '.', out var f1s) || !TryTake(ref rest, '.', out var f1m) || !TryTake(ref rest, '.', out var f1h)
            || !TryTake(ref rest, ':', out var f1d)) return false;
        if (rest.IsEmpty || rest[0] != 'r') return false;
        rest = rest[1..];
        if (!TryTake(ref rest, ':', out var reference)) return false;
        if (rest.IsEmpty || rest[0] != 'b') return false;
        rest = rest[1..];
        if (!TryNumber(rest, out var slots)) return false;
        if (!InRange(f1s) || !InRange(f1m) || !InRange(f1h) || !InRange(f1d) || !InRange(reference) || slots is < 1 or > MaxBucketSlots) return false;
        shape = new FeatureShape(f1s, f1m, f1h, f1d, reference, slots);
        return true;

        static bool InRange(int frames) => frames is >= 0 and <= MaxFrames;
    }

    private static bool TryTake(ref ReadOnlySpan<char> rest, char separator, out int value)
    {
        value = 0;
        var end = rest.IndexOf(separator);
        if (end < 0 || !TryNumber(rest[..end], out value)) return false;
        rest = rest[(end + 1)..];
        return true;
    }

    // Plain digits only: no sign, no spaces, no leading zeros, so each shape has exactly one spelling.
    private static bool TryNumber(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 9 || (text.Length > 1 && text[0] == '0')) return false;
        foreach (var c in text)
        {
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static void CheckFrames(int frames, string name)
    {
        if (frames is < 0 or > MaxFrames)
            throw new ArgumentOutOfRangeException(name, frames, $"frames must be 0..{MaxFrames}");
    }
}
