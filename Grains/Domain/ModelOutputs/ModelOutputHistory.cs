using MarketData.ModelOutputs;

namespace MarketData.Domain.ModelOutputs;

/// <summary>
/// The kept outputs of one model for one symbol, oldest first, bounded by <see cref="ModelOutputLimits.HistoryLimit"/>
/// outputs and <see cref="ModelOutputLimits.MaxHistoryBytes"/> estimated bytes: the oldest go first, counted in
/// <see cref="Evicted"/>. The newest output is always kept, even alone above the byte bound (possible only after the
/// limits shrank), so <see cref="Latest"/> never disappears. Sequences continue across <see cref="Export"/> and
/// <see cref="Import"/>. Not thread-safe: one per grain.
/// </summary>
public sealed class ModelOutputHistory
{
    // The estimate follows the 64-bit CLR layout closely enough to bound memory: object headers and fields of the
    // record, array headers, UTF-16 strings, and a dictionary entry's share of its buckets and entries arrays.
    internal const int FixedOverheadBytes = 200;
    internal const int MetadataEntryOverheadBytes = 48;
    internal static long StringBytes(int length) => 22 + (2L * length);

    private readonly List<ModelOutput> _outputs = [];
    // Each output's estimate as it was when added, so eviction subtracts exactly what was added.
    private readonly List<long> _sizes = [];
    private readonly ModelOutputLimits _limits;

    /// <summary>An empty history; the first output gets sequence 1.</summary>
    public ModelOutputHistory(ModelOutputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.Validate() is { } error) throw new ArgumentException(error, nameof(limits));
        _limits = limits.Copy();
    }

    /// <summary>Outputs kept.</summary>
    public int Count => _outputs.Count;

    /// <summary>Sum of <see cref="EstimateBytes"/> over the kept outputs.</summary>
    public long EstimatedBytes { get; private set; }

    /// <summary>Outputs dropped to respect the bounds since this instance was created (including by <see cref="Import"/>).</summary>
    public long Evicted { get; private set; }

    /// <summary>The sequence of the last output ever added (0 before the first); the next gets this + 1.</summary>
    public long LastSequence { get; private set; }

    /// <summary>The newest output, or null when none was ever added.</summary>
    public ModelOutput? Latest => _outputs.Count == 0 ? null : _outputs[^1];

    /// <summary>
    /// Stores an output that passed <see cref="ModelOutputValidator"/>: assigns the next sequence and
    /// <paramref name="receivedAt"/> (as UTC), then drops the oldest outputs beyond the bounds.
    /// </summary>
    /// <returns>The stored output, with its sequence and receive time.</returns>
    /// <exception cref="ArgumentException">The output's time is before the latest one's: the validator was skipped.</exception>
    public ModelOutput Add(ModelOutput accepted, DateTime receivedAt)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        if (Latest is { } latest && accepted.Time < latest.Time)
            throw new ArgumentException($"Output time {accepted.Time} is before the latest stored time {latest.Time}; validate before adding.", nameof(accepted));

        var stored = accepted with { Sequence = LastSequence + 1, ReceivedAt = AsUtc(receivedAt) };
        LastSequence = stored.Sequence;
        Append(stored);
        Trim();
        return stored;
    }

    /// <summary>The latest <paramref name="limit"/> outputs, oldest first; empty for a limit of 0 or less.</summary>
    public IReadOnlyList<ModelOutput> GetHistory(int limit)
    {
        if (limit <= 0 || _outputs.Count == 0) return [];
        var take = Math.Min(limit, _outputs.Count);
        return _outputs.GetRange(_outputs.Count - take, take).ToArray();
    }

    /// <summary>Every kept output, oldest first: what the grain writes to its state.</summary>
    public ModelOutput[] Export() => [.. _outputs];

    /// <summary>
    /// Rebuilds a history from saved state under the current <paramref name="limits"/>, which may be smaller than
    /// when it was saved: the oldest outputs beyond them are dropped (counted in <see cref="Evicted"/>). Outputs are
    /// put in sequence order; nulls are skipped. The next sequence follows the highest of the saved outputs'
    /// sequences and <paramref name="lastSequence"/> (pass the saved <see cref="LastSequence"/> if the grain keeps it,
    /// so numbering continues even if every output had been dropped).
    /// </summary>
    public static ModelOutputHistory Import(IEnumerable<ModelOutput?>? saved, ModelOutputLimits limits, long lastSequence = 0)
    {
        var history = new ModelOutputHistory(limits);
        var outputs = (saved ?? []).OfType<ModelOutput>().OrderBy(o => o.Sequence).ThenBy(o => o.Time).ToList();
        history.LastSequence = Math.Max(0, lastSequence);
        foreach (var output in outputs)
        {
            history.Append(output);
            history.LastSequence = Math.Max(history.LastSequence, output.Sequence);
        }
        history.Trim();
        return history;
    }

    /// <summary>
    /// The estimated memory of one output in bytes: a fixed overhead for the record, its arrays and dictionary,
    /// 2 bytes a character (+22 a string), 8 a prediction, the hidden state's length, and per metadata entry its
    /// strings plus 48. Used for <see cref="ModelOutputLimits.MaxHistoryBytes"/>; not the serialized size.
    /// </summary>
    public static long EstimateBytes(ModelOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        long bytes = FixedOverheadBytes
            + StringBytes(output.ModelType?.Length ?? 0)
            + StringBytes(output.ModelName?.Length ?? 0)
            + (8L * (output.Predictions?.Length ?? 0))
            + (output.HiddenState?.Length ?? 0);
        if (output.Metadata is { } metadata)
        {
            foreach (var (key, value) in metadata)
                bytes += MetadataEntryOverheadBytes + StringBytes(key?.Length ?? 0) + StringBytes(value?.Length ?? 0);
        }
        return bytes;
    }

    private void Append(ModelOutput output)
    {
        var size = EstimateBytes(output);
        _outputs.Add(output);
        _sizes.Add(size);
        EstimatedBytes += size;
    }

    /// <summary>Drops the oldest outputs until both bounds hold, keeping at least the newest.</summary>
    private void Trim()
    {
        var drop = 0;
        var bytes = EstimatedBytes;
        while (_outputs.Count - drop > 1
               && (_outputs.Count - drop > _limits.HistoryLimit || bytes > _limits.MaxHistoryBytes))
        {
            bytes -= _sizes[drop];
            drop++;
        }
        if (drop == 0) return;
        // One block move per add: at most HistoryLimit references, cheaper than a ring buffer's bookkeeping at this size.
        _outputs.RemoveRange(0, drop);
        _sizes.RemoveRange(0, drop);
        EstimatedBytes = bytes;
        Evicted += drop;
    }

    private static DateTime AsUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };
}
