using System.Globalization;

namespace MarketData.Silo.Hosting;

/// <summary>
/// Turns the silo's own switches into configuration keys, leaving the rest (<c>--Key=value</c> overrides)
/// to the generic host:
/// <c>--replay FILE...</c> → <c>Replay:Files</c>, <c>--speed max|N</c> → <c>Replay:Speed</c>,
/// <c>--record DIR</c> → <c>Record:Directory</c>, <c>--replay-db FROM TO</c> → <c>Replay:DatabaseFrom</c>/<c>DatabaseTo</c>.
/// A first argument <c>migrate</c> is the verb that applies the PostgreSQL schema and exits instead of running the silo.
/// </summary>
public static class SiloCommandLine
{
    public const string MigrateVerb = "migrate";

    /// <param name="Verb">Null to run the silo; <see cref="MigrateVerb"/> to migrate the database and exit.</param>
    public sealed record Parsed(Dictionary<string, string?> Settings, string[] Remaining, string? Verb = null);

    public static Parsed Parse(string[] args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var remaining = new List<string>();
        var files = 0;
        // Only in first place, so that a recording named "migrate" after --replay stays a file.
        string? verb = args.Length > 0 && args[0] == MigrateVerb ? MigrateVerb : null;
        for (var i = verb is null ? 0 : 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--replay":
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                        settings[$"Replay:Files:{files++}"] = Path.GetFullPath(args[++i]);
                    if (files == 0) throw new ArgumentException("--replay needs at least one recording file.");
                    break;
                case "--replay-db":
                    if (i + 2 >= args.Length) throw new ArgumentException("--replay-db needs a start and an end: ISO-8601 times or Unix milliseconds.");
                    var from = ParseTime(args[++i], "start");
                    var to = ParseTime(args[++i], "end");
                    if (to <= from) throw new ArgumentException($"--replay-db: the end ({to:O}) must be after the start ({from:O}).");
                    settings["Replay:DatabaseFrom"] = from.ToString("O", CultureInfo.InvariantCulture);
                    settings["Replay:DatabaseTo"] = to.ToString("O", CultureInfo.InvariantCulture);
                    break;
                case "--speed":
                    settings["Replay:Speed"] = ParseSpeed(i + 1 < args.Length ? args[++i] : null);
                    break;
                case "--record":
                    if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                        throw new ArgumentException("--record needs a directory.");
                    settings["Record:Directory"] = Path.GetFullPath(args[++i]);
                    break;
                default:
                    remaining.Add(args[i]);
                    break;
            }
        }
        return new Parsed(settings, remaining.ToArray(), verb);
    }

    private static DateTimeOffset ParseTime(string text, string which)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)) return time;
        throw new ArgumentException($"--replay-db: the {which} '{text}' is neither an ISO-8601 time nor Unix milliseconds.");
    }

    private static string ParseSpeed(string? text)
    {
        if (string.Equals(text, "max", StringComparison.OrdinalIgnoreCase)) return "0";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var speed) && speed > 0 && double.IsFinite(speed))
            return speed.ToString(CultureInfo.InvariantCulture);
        throw new ArgumentException($"--speed must be 'max' or a positive number (1 = recorded pace), not '{text}'.");
    }
}
