using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Domain.Quality;
using MarketData.Inputs;
using MarketData.Pivots;
using MarketData.Tests.Domain.Inputs;
using static MarketData.Tests.Domain.Quality.QualityTestData;

namespace MarketData.Tests.Domain.Quality;

/// <summary>Every validation rule triggered on purpose, one at a time, on a copy of the healthy sample.</summary>
public sealed class BaseDataValidatorTests
{
    [Fact]
    public void The_healthy_sample_has_no_problem()
    {
        Assert.Empty(Validate(Healthy()));
        Assert.Empty(Validate(SampleInputs.Healthy(new InputRequirements())));   // 300 frames everywhere
    }

    [Fact]
    public void Too_few_frames_names_the_series_with_both_counts()
    {
        var input = Healthy().With1m(c => c.Skip(15));   // the oldest 15 gone: still contiguous and fresh
        var p = Assert.Single(Validate(input));
        Assert.Equal(("candles.1m", ValidationRules.TooFewFrames, "60 frames", "45 frames", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void Too_few_frames_of_the_reference_series_is_measured_against_its_own_requirement()
    {
        var input = Healthy();
        input = input with { Reference1s = input.Reference1s with { Candles = input.Reference1s.Candles.Skip(30).ToArray() } };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("reference.1s", ValidationRules.TooFewFrames, "60 frames", "30 frames", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void A_duplicate_open_time_is_not_increasing()
    {
        var input = Healthy().With1m(c =>
        {
            c.Insert(12, c[11]);
            return c;
        });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("candles.1m[12].openTime", ValidationRules.NotIncreasing, "after 2024-03-01T11:11:00.000Z (candle 11)",
            "2024-03-01T11:11:00.000Z (the same as candle 11)", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void An_earlier_open_time_is_not_increasing_and_the_next_candle_is_judged_against_the_last_good_one()
    {
        var input = Healthy().With1m(c =>
        {
            c.Insert(12, c[5]);
            return c;
        });
        var p = Assert.Single(Validate(input));   // candle 13 (11:12) follows candle 11 contiguously: no hole reported
        Assert.Equal(("candles.1m[12].openTime", ValidationRules.NotIncreasing, "after 2024-03-01T11:11:00.000Z (candle 11)",
            "2024-03-01T11:05:00.000Z", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void An_open_time_off_the_grid_is_not_aligned()
    {
        var input = Healthy().With1m(12, c => c with { OpenTime = c.OpenTime + 500, CloseTime = c.CloseTime + 500 });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("candles.1m[12].openTime", ValidationRules.NotAligned, "a whole 1m (a multiple of 60000 ms)",
            "2024-03-01T11:12:00.500Z (500 ms past a 1m boundary)", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void A_close_time_other_than_open_plus_interval_minus_one_is_not_aligned_unless_cut_short()
    {
        var input = Healthy().With1m(12, c => c with { CloseTime = c.CloseTime - 1_000 });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("candles.1m[12].closeTime", ValidationRules.NotAligned, "2024-03-01T11:12:59.999Z (open + 1m - 1 ms)",
            "2024-03-01T11:12:58.999Z", ProblemSeverity.Error), Parts(p));

        var cutShort = Healthy().With1m(12, c => c with { CloseTime = c.CloseTime - 1_000, Flags = c.Flags | CandleFlags.CutShort });
        Assert.Empty(Validate(cutShort));

        var cutBeyond = Healthy().With1m(12, c => c with { CloseTime = c.CloseTime + 1, Flags = c.Flags | CandleFlags.CutShort });
        var q = Assert.Single(Validate(cutBeyond));
        Assert.Equal(("candles.1m[12].closeTime", ValidationRules.NotAligned,
            "from 2024-03-01T11:12:00.000Z to 2024-03-01T11:12:59.999Z (cut short)", "2024-03-01T11:13:00.000Z", ProblemSeverity.Error), Parts(q));
    }

    [Fact]
    public void Ohlc_inconsistencies_are_reported_per_field()
    {
        // Sample candle 12: open 3002, close 2998, high 3003.5, low 2996.75.
        var input = Healthy()
            .With1m(12, c => c with { High = Fp(3_001.5m) })
            .With1m(13, c => c with { Low = c.Open + Fp(0.25m) })
            .With1m(14, c => c with { Volume = -Fp(1m) })
            .With1m(20, c => c with { Open = 0, Close = 0, Low = 0, High = 0 });
        var problems = Validate(input);
        Assert.All(problems, p => Assert.Equal((ValidationRules.OhlcInconsistent, ProblemSeverity.Error), (p.Rule, p.Severity)));
        Assert.Equal(4, problems.Count);
        Assert.Equal(("candles.1m[12].high", ">= max(open, close) = 3002", "3001.5"), (problems[0].Field, problems[0].Expected, problems[0].Actual));
        // Candle 13: open 3003, close 2999; its low set to 3003.25.
        Assert.Equal(("candles.1m[13].low", "<= min(open, close) = 2999", "3003.25"), (problems[1].Field, problems[1].Expected, problems[1].Actual));
        Assert.Equal(("candles.1m[14].volume", ">= 0", "-1"), (problems[2].Field, problems[2].Expected, problems[2].Actual));
        Assert.Equal(("candles.1m[20].low", "> 0", "0"), (problems[3].Field, problems[3].Expected, problems[3].Actual));
    }

    [Fact]
    public void A_hole_between_candles_is_missing_frames()
    {
        var input = Healthy().With1m(c =>
        {
            c.RemoveRange(12, 3);
            return c;
        });
        var problems = Validate(input);
        Assert.Equal(2, problems.Count);
        Assert.Equal(("candles.1m", ValidationRules.TooFewFrames, "60 frames", "57 frames", ProblemSeverity.Error), Parts(problems[0]));
        Assert.Equal(("candles.1m[12]", ValidationRules.MissingFrames, "open 2024-03-01T11:12:00.000Z (right after candle 11)",
            "open 2024-03-01T11:15:00.000Z: 3 frames missing", ProblemSeverity.Error), Parts(problems[1]));
    }

    [Fact]
    public void Between_trade_built_candles_a_hole_is_a_quiet_interval_unless_the_cache_lists_it_as_a_gap()
    {
        var quiet = Healthy().With1m(c => c.Select(x => x with { Source = CandleSource.Trades }).Where((_, i) => i != 12));
        Assert.Equal([ValidationRules.TooFewFrames], Validate(quiet).Select(p => p.Rule));

        var listed = quiet with { Candles1m = quiet.Candles1m with { Gaps = [new CandleGapView(FirstMinuteOpen + 12 * Minute, FirstMinuteOpen + 12 * Minute, 1)] } };
        var p = Single(Validate(listed), ValidationRules.MissingFrames);
        Assert.Equal(("candles.1m.gaps[0]", ValidationRules.MissingFrames, "no missing frame between the first and the last candle",
            "1 frame missing from 2024-03-01T11:12:00.000Z to 2024-03-01T11:12:00.000Z (a known gap of the cache)", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void A_listed_gap_already_seen_between_candles_or_outside_the_frames_is_not_reported_again()
    {
        var input = Healthy().With1m(c => c.Where((_, i) => i != 12));
        input = input with
        {
            Candles1m = input.Candles1m with
            {
                Gaps = [new CandleGapView(FirstMinuteOpen - 10 * Minute, FirstMinuteOpen - 5 * Minute, 6), new CandleGapView(FirstMinuteOpen + 12 * Minute, FirstMinuteOpen + 12 * Minute, 1)],
            },
        };
        Assert.Equal([ValidationRules.TooFewFrames, ValidationRules.MissingFrames], Validate(input).Select(p => p.Rule));
    }

    [Fact]
    public void A_forming_candle_among_the_frames_is_an_error()
    {
        var input = Healthy().With1m(59, c => c with { Flags = CandleFlags.None });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("candles.1m[59]", ValidationRules.NotClosed, "a closed candle (frames never hold a forming one)",
            "a forming candle (flags: None)", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void A_book_past_its_allowance_is_stale_a_warning_then_an_error_once_its_freshness_is_zero()
    {
        var late = Healthy().WithBook(b => b with { ReceivedAt = Utc(Now - 5_000) });
        var p = Assert.Single(Validate(late));
        Assert.Equal(("book", ValidationRules.Stale, "age at most 2 s (freshness falls to 0 at 10 s)",
            "age 5 s (last update 2024-03-01T11:59:55.000Z)", ProblemSeverity.Warning), Parts(p));

        var dead = Healthy().WithBook(b => b with { ReceivedAt = Utc(Now - 12_500) });
        var q = Assert.Single(Validate(dead));
        Assert.Equal(("book", ValidationRules.Stale, "age 12.5 s (last update 2024-03-01T11:59:47.500Z)", ProblemSeverity.Error), (q.Field, q.Rule, q.Actual, q.Severity));

        var never = Healthy().WithBook(b => b with { ReceivedAt = null, UpdatedAt = null });
        var r = Assert.Single(Validate(never));
        Assert.Equal(("book", ValidationRules.Stale, "an update within 2 s", "no update applied yet", ProblemSeverity.Error), Parts(r));
    }

    [Fact]
    public void Ages_are_measured_against_the_snapshot_time_for_every_source()
    {
        // Four seconds later than the data: book, aggregate and both 1s series are past their allowance; 1m, 1h, 1d are not.
        var input = Healthy() with { Timestamp = Now + 4_000 };
        var problems = Validate(input);
        Assert.All(problems, p => Assert.Equal((ValidationRules.Stale, ProblemSeverity.Warning), (p.Rule, p.Severity)));
        Assert.Equal(["candles.1s", "reference.1s", "book", "aggregate"], problems.Select(p => p.Field));
        Assert.Equal(("age at most 3 s (freshness falls to 0 at 15 s)", "age 4 s (last close 2024-03-01T11:59:59.999Z)"), (problems[0].Expected, problems[0].Actual));
        Assert.Equal("age 4.04 s (last update 2024-03-01T11:59:59.960Z)", problems[2].Actual);
        Assert.Equal("age 4 s (second 2024-03-01T11:59:59.000Z ended 2024-03-01T12:00:00.000Z)", problems[3].Actual);
    }

    [Fact]
    public void The_last_closed_1m_candle_may_be_up_to_70_seconds_old()
    {
        Assert.DoesNotContain(Validate(Healthy() with { Timestamp = Now + 70_000 }), p => p.Field == "candles.1m");
        var p = Assert.Single(Validate(Healthy() with { Timestamp = Now + 71_000 }), p => p.Field == "candles.1m");
        Assert.Equal(("age at most 1 m 10 s (freshness falls to 0 at 5 m 50 s)", "age 1 m 11 s (last close 2024-03-01T11:59:59.999Z)", ProblemSeverity.Warning),
            (p.Expected, p.Actual, p.Severity));
    }

    [Fact]
    public void A_book_not_synced_is_critical_with_its_reason()
    {
        var input = Healthy().WithBook(b => b with { Status = BookStatus.Resyncing, StatusReason = "gap in update ids" });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("book.status", ValidationRules.BookNotSynced, "Synced", "Resyncing: gap in update ids", ProblemSeverity.Critical), Parts(p));

        var stale = Healthy().WithBook(b => b with { Status = BookStatus.Stale, StatusReason = null });
        Assert.Equal(("Stale", ProblemSeverity.Critical), (Assert.Single(Validate(stale)).Actual, Validate(stale)[0].Severity));
    }

    [Fact]
    public void A_missing_aggregate_is_critical()
    {
        var input = Healthy().WithBook(b => b with { Aggregate = null }) with { Microstructure = null };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("aggregate", ValidationRules.MissingAggregate, "the latest aggregated second ending by 2024-03-01T12:00:00.000Z", "none", ProblemSeverity.Critical), Parts(p));

        // Microstructure without an aggregate cannot have come from it.
        var orphan = Healthy().WithBook(b => b with { Aggregate = null });
        var q = Single(Validate(orphan), ValidationRules.AggregateInconsistent);
        Assert.Equal(("microstructure", "none (there is no aggregate)", "the microstructure of second 2024-03-01T11:59:59.000Z"), (q.Field, q.Expected, q.Actual));
    }

    [Fact]
    public void A_gap_second_as_aggregate_is_an_error()
    {
        var input = Healthy().WithBook(b => b with { Aggregate = b.Aggregate! with { IsGap = true, GapReason = "book resyncing" } });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("aggregate", ValidationRules.AggregateGap, "an aggregated second", "gap second 2024-03-01T11:59:59.000Z: book resyncing", ProblemSeverity.Error), Parts(p));

        // A gap second has no numbers: no microstructure is then expected.
        Assert.Single(Validate(input with { Microstructure = null }));
    }

    [Fact]
    public void An_aggregate_from_a_later_book_state_than_the_book_is_inconsistent()
    {
        var input = Healthy().WithBook(b => b with { LastUpdateId = 999_999 });
        var p = Assert.Single(Validate(input));
        Assert.Equal(("aggregate.bookUpdateId", ValidationRules.AggregateInconsistent, "at most book.lastUpdateId = 999999", "1000000", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void Microstructure_that_differs_from_the_aggregate_is_inconsistent_field_by_field()
    {
        var healthy = Healthy();
        var micro = healthy.Microstructure!;
        var input = healthy with { Microstructure = micro with { Time = micro.Time - 1_000, BookUpdateId = 999_990, Mid = micro.Mid + Fp(1m), Spread = Fp(0.02m) } };
        var problems = Validate(input);
        Assert.All(problems, p => Assert.Equal((ValidationRules.AggregateInconsistent, ProblemSeverity.Error), (p.Rule, p.Severity)));
        Assert.Equal(
            [
                ("microstructure.time", "2024-03-01T11:59:59.000Z (the aggregate's)", "2024-03-01T11:59:58.000Z"),
                ("microstructure.bookUpdateId", "1000000 (the aggregate's)", "999990"),
                ("microstructure.mid", "3000.005 (the aggregate's)", "3001.005"),
                ("microstructure.spread", "0.01 (the aggregate's)", "0.02"),
            ],
            problems.Select(p => (p.Field, p.Expected, p.Actual)));

        var missing = Validate(healthy with { Microstructure = null });
        Assert.Equal(("microstructure", ValidationRules.AggregateInconsistent, "the numbers of the aggregate's second 2024-03-01T11:59:59.000Z", "none", ProblemSeverity.Error),
            Parts(Assert.Single(missing)));
    }

    [Fact]
    public void Pivots_without_any_point_are_empty()
    {
        var healthy = Healthy();
        var input = healthy with { Pivots = healthy.Pivots with { Levels = [[], [], [], [], []] } };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("pivots", ValidationRules.EmptyPivots, "points at one level at least (1m pivots)", "no point at any of 5 levels", ProblemSeverity.Error), Parts(p));

        var noLevels = Validate(healthy with { Pivots = healthy.Pivots with { Levels = [] } });
        Assert.Equal("no levels", Assert.Single(noLevels).Actual);

        // One point at one level is enough.
        var one = healthy with { Pivots = healthy.Pivots with { Levels = [[], [], [healthy.Pivots.Levels[2][0]], [], []] } };
        Assert.Empty(Validate(one));
    }

    [Fact]
    public void Pivots_without_bounds_miss_them()
    {
        var healthy = Healthy();
        var input = healthy with { Pivots = healthy.Pivots with { Bounds = null, Progress = "running" } };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("pivots.bounds", ValidationRules.MissingBounds, "normalisation bounds over the pivot window", "none (pivot progress: running)", ProblemSeverity.Error), Parts(p));
    }

    [Fact]
    public void A_candle_closing_after_the_snapshot_is_look_ahead()
    {
        var healthy = Healthy();
        var last = healthy.Candles1s.Candles[^1];
        var ahead = last with { OpenTime = last.OpenTime + 1_000, CloseTime = last.CloseTime + 1_000 };
        var input = healthy with { Candles1s = healthy.Candles1s with { Candles = [.. healthy.Candles1s.Candles, ahead] } };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("candles.1s[60].closeTime", ValidationRules.LookAhead, "at most 2024-03-01T12:00:00.000Z (the snapshot's time)",
            "2024-03-01T12:00:00.999Z", ProblemSeverity.Critical), Parts(p));
    }

    [Fact]
    public void A_pivot_confirmed_after_the_snapshot_is_look_ahead()
    {
        var healthy = Healthy();
        var levels = healthy.Pivots.Levels.Select(l => (IReadOnlyList<SwingPoint>)l.ToArray()).ToArray();
        ((SwingPoint[])levels[0])[1] = levels[0][1] with { ConfirmedAt = Now + 1 };
        var p = Assert.Single(Validate(healthy with { Pivots = healthy.Pivots with { Levels = levels } }));
        Assert.Equal(("pivots.levels[0][1].confirmedAt", ValidationRules.LookAhead, "at most 2024-03-01T12:00:00.000Z (the snapshot's time)",
            "2024-03-01T12:00:00.001Z", ProblemSeverity.Critical), Parts(p));
    }

    [Fact]
    public void An_aggregated_second_not_over_by_the_snapshot_is_look_ahead()
    {
        var healthy = Healthy();
        var input = healthy.WithBook(b => b with { Aggregate = b.Aggregate! with { Time = Now } }) with { Microstructure = healthy.Microstructure! with { Time = Now } };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("aggregate.time", ValidationRules.LookAhead, "a second ending by 2024-03-01T12:00:00.000Z (the snapshot's time)",
            "second 2024-03-01T12:00:00.000Z, ending 2024-03-01T12:00:01.000Z", ProblemSeverity.Critical), Parts(p));
    }

    [Fact]
    public void A_model_output_for_a_later_time_is_look_ahead()
    {
        var input = Healthy() with { ModelOutputs = [SampleInputs.Output("cnn-a", Now - 1_000), SampleInputs.Output("rl-b", Now + 1_000, "rl")] };
        var p = Assert.Single(Validate(input));
        Assert.Equal(("modelOutputs[rl-b].time", ValidationRules.LookAhead, "at most 2024-03-01T12:00:00.000Z (the snapshot's time)",
            "2024-03-01T12:00:01.000Z", ProblemSeverity.Critical), Parts(p));
    }

    [Fact]
    public void At_most_ten_problems_per_rule_and_series_are_listed_then_one_summary()
    {
        var input = SampleInputs.Healthy(new InputRequirements()).With1m(c => c.Select(BreakHigh));
        var problems = Validate(input);
        Assert.Equal(BaseDataValidator.PerRuleLimit + 1, problems.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"candles.1m[{i}].high"), problems.Take(10).Select(p => p.Field));
        Assert.Equal(("candles.1m", ValidationRules.OhlcInconsistent, "no more ohlc-inconsistent problems (the first 10 are listed above)",
            "... and 290 more (300 in all)", ProblemSeverity.Error), Parts(problems[^1]));
    }

    [Fact]
    public void The_limit_counts_each_rule_and_each_series_apart()
    {
        // 1m: 12 broken highs and 12 forming candles; 1h: 3 broken highs; the 1s series 12 broken highs.
        var input = Healthy()
            .With1m(c => c.Select((x, i) => i < 12 ? BreakHigh(x) with { Flags = CandleFlags.None } : x));
        input = input with { Candles1h = input.Candles1h with { Candles = input.Candles1h.Candles.Select((x, i) => i < 3 ? BreakHigh(x) : x).ToArray() } };
        input = input with { Candles1s = input.Candles1s with { Candles = input.Candles1s.Candles.Select((x, i) => i < 12 ? BreakHigh(x) : x).ToArray() } };
        var problems = Validate(input);
        var summaries = problems.Where(p => p.Actual.StartsWith("...", StringComparison.Ordinal)).Select(p => (p.Field, p.Rule, p.Actual)).ToList();
        Assert.Equal(
            [
                ("candles.1s", ValidationRules.OhlcInconsistent, "... and 2 more (12 in all)"),
                ("candles.1m", ValidationRules.OhlcInconsistent, "... and 2 more (12 in all)"),
                ("candles.1m", ValidationRules.NotClosed, "... and 2 more (12 in all)"),
            ],
            summaries);
        Assert.Equal(10 + 1 + 10 + 1 + 10 + 1 + 3, problems.Count);
    }

    [Fact]
    public void A_summary_carries_the_worst_severity_it_stands_for()
    {
        // 12 look-ahead pivots: the two beyond the limit are critical, so the summary is.
        var healthy = Healthy();
        var points = Enumerable.Range(0, 12).Select(i => new SwingPoint { Level = 1, Time = Now - 60_000 + i, ConfirmedAt = Now + 1 + i, Price = Fp(3_000m) }).ToArray();
        var problems = Validate(healthy with { Pivots = healthy.Pivots with { Levels = [points] } });
        Assert.Equal(11, problems.Count);
        Assert.Equal(("pivots", ValidationRules.LookAhead, "... and 2 more (12 in all)", ProblemSeverity.Critical), (problems[^1].Field, problems[^1].Rule, problems[^1].Actual, problems[^1].Severity));
    }

    [Fact]
    public void Every_problem_is_found_together()
    {
        var input = Healthy()
            .With1m(c => c.Skip(1))
            .With1m(10, BreakHigh)
            .WithBook(b => b with { Status = BookStatus.Syncing, Aggregate = null }) with { Microstructure = null, ModelOutputs = [SampleInputs.Output("x", Now + 5)] };
        input = input with { Pivots = input.Pivots with { Bounds = null } };
        var rules = Validate(input).Select(p => p.Rule).ToList();
        Assert.Equal(
            [ValidationRules.TooFewFrames, ValidationRules.OhlcInconsistent, ValidationRules.BookNotSynced, ValidationRules.MissingAggregate,
             ValidationRules.MissingBounds, ValidationRules.LookAhead],
            rules);
    }

    [Fact]
    public void Candles_in_any_list_type_are_checked_alike()
    {
        var broken = Healthy().With1m(12, BreakHigh);
        var asList = broken with { Candles1m = broken.Candles1m with { Candles = broken.Candles1m.Candles.ToList() } };
        var asReadOnly = broken with { Candles1m = broken.Candles1m with { Candles = broken.Candles1m.Candles.ToList().AsReadOnly() } };
        var expected = Validate(broken);
        Assert.Equal(expected, Validate(asList));
        Assert.Equal(expected, Validate(asReadOnly));
    }

    [Fact]
    public void Invalid_thresholds_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => BaseDataValidator.Validate(Healthy(), new QualityThresholds { StaleFactor = 0.5 }));
        Assert.Contains("StaleFactor", e.Message, StringComparison.Ordinal);
    }

    private static (string, string, string, string, ProblemSeverity) Parts(ValidationProblem p) => (p.Field, p.Rule, p.Expected, p.Actual, p.Severity);
}
