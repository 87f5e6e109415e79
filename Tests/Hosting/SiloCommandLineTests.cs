using MarketData.Silo.Hosting;

namespace MarketData.Tests.Hosting;

public class SiloCommandLineTests
{
    [Fact]
    public void Replay_speed_and_record_become_settings_and_the_rest_passes_through()
    {
        var parsed = SiloCommandLine.Parse(["--replay", "a.gz", "b.gz", "--speed", "max", "--record", "out", "--Urls=http://127.0.0.1:1"]);
        Assert.Equal(Path.GetFullPath("a.gz"), parsed.Settings["Replay:Files:0"]);
        Assert.Equal(Path.GetFullPath("b.gz"), parsed.Settings["Replay:Files:1"]);
        Assert.Equal("0", parsed.Settings["Replay:Speed"]);
        Assert.Equal(Path.GetFullPath("out"), parsed.Settings["Record:Directory"]);
        Assert.Equal(["--Urls=http://127.0.0.1:1"], parsed.Remaining);
        Assert.Equal("2.5", SiloCommandLine.Parse(["--speed", "2.5"]).Settings["Replay:Speed"]);
    }

    [Fact]
    public void Replay_db_takes_iso_times_or_unix_milliseconds()
    {
        var iso = SiloCommandLine.Parse(["--replay-db", "2024-08-09T00:00:00Z", "2024-08-09T02:00:00+01:00"]).Settings;
        Assert.Equal("2024-08-09T00:00:00.0000000+00:00", iso["Replay:DatabaseFrom"]);
        Assert.Equal("2024-08-09T01:00:00.0000000+00:00", iso["Replay:DatabaseTo"]);
        var ms = SiloCommandLine.Parse(["--replay-db", "1723161255000", "1723161375000", "--speed", "max"]).Settings;
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1723161255000).ToString("O"), ms["Replay:DatabaseFrom"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1723161375000).ToString("O"), ms["Replay:DatabaseTo"]);
        Assert.Equal("0", ms["Replay:Speed"]);
    }

    [Fact]
    public void Migrate_is_a_verb_in_first_place_only()
    {
        var migrate = SiloCommandLine.Parse(["migrate", "--ConnectionStrings:Postgres=Host=h"]);
        Assert.Equal(SiloCommandLine.MigrateVerb, migrate.Verb);
        Assert.Equal(["--ConnectionStrings:Postgres=Host=h"], migrate.Remaining);

        Assert.Null(SiloCommandLine.Parse([]).Verb);
        var replay = SiloCommandLine.Parse(["--replay", "migrate"]);
        Assert.Null(replay.Verb);
        Assert.Equal(Path.GetFullPath("migrate"), replay.Settings["Replay:Files:0"]);
    }

    [Theory]
    [InlineData("--replay-db")]
    [InlineData("--replay-db", "1723161255000")]
    [InlineData("--replay-db", "yesterday", "1723161255000")]
    [InlineData("--replay-db", "1723161375000", "1723161255000")]
    [InlineData("--replay")]
    [InlineData("--replay", "--speed", "1")]
    [InlineData("--speed", "fast")]
    [InlineData("--speed", "0")]
    [InlineData("--speed", "-1")]
    [InlineData("--speed")]
    [InlineData("--record")]
    public void Bad_switches_are_rejected_with_a_clear_message(params string[] args)
    {
        var ex = Assert.Throws<ArgumentException>(() => SiloCommandLine.Parse(args));
        Assert.Contains("--", ex.Message, StringComparison.Ordinal);
    }
}
