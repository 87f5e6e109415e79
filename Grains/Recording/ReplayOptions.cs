namespace MarketData.Recording;

/// <summary>Settings of a <see cref="ReplayFeed"/> (configuration section <c>Feeds:Replay</c>).</summary>
public sealed class ReplayOptions
{
    public string FeedId { get; set; } = "replay";

    /// <summary>Recording files (project format or hftbacktest, plain or gzip). Files of one symbol play in time order; symbols are merged by receive time.</summary>
    public List<string> Files { get; set; } = [];

    /// <summary>1 = recorded pace, 2 = twice as fast, 0.5 = half speed; 0 or <see cref="double.PositiveInfinity"/> = as fast as possible.</summary>
    public double Speed { get; set; } = 1;

    /// <summary>The exchange the recorded frames come from: the instruments published are <c>Exchange:SYMBOL</c>.</summary>
    public string Exchange { get; set; } = "binance";

    /// <summary>Start of a replay from the database (<c>--replay-db FROM TO</c>): stored trades and book states from here.</summary>
    public DateTimeOffset? DatabaseFrom { get; set; }

    /// <summary>End (exclusive) of a replay from the database.</summary>
    public DateTimeOffset? DatabaseTo { get; set; }

    /// <summary>True when the replay plays the database rather than files.</summary>
    public bool FromDatabase => DatabaseFrom is not null;

    /// <summary>True when <see cref="Speed"/> asks for no pacing.</summary>
    public bool IsMaxSpeed => Speed == 0 || double.IsPositiveInfinity(Speed);
}
