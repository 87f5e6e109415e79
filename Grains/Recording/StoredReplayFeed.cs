using MarketData.Feeds;
using MarketData.Instruments;
using MarketData.Streams;
using Microsoft.Extensions.Logging;

namespace MarketData.Recording;

/// <summary>One stored event of an instrument at its exchange time (Unix ms).</summary>
public readonly record struct StoredMarketEvent(Instrument Instrument, long Time, MarketEvent Event);

/// <summary>Market data kept in storage, read back in time order for a replay.</summary>
public interface IStoredMarketData
{
    /// <summary>Trades and stored book states of every instrument with times in [<paramref name="fromMs"/>, <paramref name="toMs"/>), in time order.</summary>
    IAsyncEnumerable<StoredMarketEvent> ReadAsync(long fromMs, long toMs, CancellationToken cancellationToken);
}

/// <summary>
/// Plays trades and book states stored in the database (<c>--replay-db FROM TO</c>) through the same sink, streams and
/// grains as a live feed. Book states are whole books (<see cref="DepthSnapshot.StateTime"/> set): each replaces the
/// book, which stays as it was between them. Paced by event time at <see cref="ReplayOptions.Speed"/>; at full speed
/// the sink is drained every 16,384 events so nothing is dropped.
/// </summary>
public sealed class StoredReplayFeed : ReplayFeedBase
{
    private readonly IStoredMarketData _source;

    public StoredReplayFeed(ReplayOptions options, IStoredMarketData source, IMarketEventSink sink, TimeProvider time, ILogger logger)
        : base(options, sink, time, logger)
    {
        if (options.DatabaseFrom is not { } from || options.DatabaseTo is not { } to)
            throw new ArgumentException("A replay from the database needs Replay:DatabaseFrom and Replay:DatabaseTo.", nameof(options));
        if (to <= from) throw new ArgumentException($"Replay:DatabaseTo ({to:O}) must be after Replay:DatabaseFrom ({from:O}).", nameof(options));
        _source = source;
    }

    protected override string Kind => "replay-db";

    protected override string NoRestKlinesWarning => "a replay from the database has no REST; candles are built from the stored trades";

    protected override async Task PlayAsync(CancellationToken cancellationToken)
    {
        MarkConnected();
        Logger.LogInformation("Replay {FeedId}: playing stored trades and book states from {From:O} to {To:O}", FeedId, Options.DatabaseFrom, Options.DatabaseTo);
        var from = Options.DatabaseFrom!.Value.ToUnixTimeMilliseconds();
        var to = Options.DatabaseTo!.Value.ToUnixTimeMilliseconds();
        await foreach (var stored in _source.ReadAsync(from, to, cancellationToken).ConfigureAwait(false))
        {
            await PaceAsync(stored.Time * TimeSpan.TicksPerMillisecond, cancellationToken).ConfigureAwait(false);
            Counters.MessageReceived(0);
            Follow(stored.Instrument.Symbol);
            Publish(stored.Instrument, stored.Event);
            await AfterEventAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void LogCompleted()
        => Logger.LogInformation("Replay {FeedId}: completed: {Events} events published, {Dropped} dropped", FeedId, Counters.EventsPublished, Counters.Dropped);

    /// <summary>The database went away or a bug: said as such on the status.</summary>
    protected override (string Error, bool Expected) DescribeFailure(Exception ex)
        => ($"Replay from the database stopped: {ex.GetType().Name}: {ex.Message}", false);
}
