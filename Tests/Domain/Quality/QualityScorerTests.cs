using MarketData.Books;
using MarketData.Candles;
using MarketData.Domain.Quality;
using MarketData.Inputs;
using MarketData.Tests.Domain.Inputs;
using static MarketData.Tests.Domain.Quality.QualityTestData;

namespace MarketData.Tests.Domain.Quality;

/// <summary>The score: 1 for the healthy sample, the documented formula in worked cases, the cap, and monotonic decline.</summary>
public sealed class QualityScorerTests
{
    private const int Precision = 12;

    [Fact]
    public void The_healthy_sample_scores_one_and_is_accepted()
    {
        foreach (var input in new[] { Healthy(), SampleInputs.Healthy(new InputRequirements()) })
        {
            var report = Score(input);
            Assert.Equal(1.0, report.Score);
            Assert.Equal(1.0, report.Uncapped);
            Assert.Equal((1.0, 1.0, 1.0), (report.Completeness.Score, report.Freshness.Score, report.Consistency.Score));
            Assert.Empty(report.Problems);
            Assert.True(report.Accepted);
            Assert.Equal((0.8, Now), (report.MinimumRequired, report.AsOf));
            Assert.Equal(("completeness", "freshness", "consistency"), (report.Completeness.Name, report.Freshness.Name, report.Consistency.Name));
            Assert.Equal(0.4, report.Completeness.Weight, Precision);
            Assert.Equal(0.3, report.Freshness.Weight, Precision);
            Assert.Equal(0.3, report.Consistency.Weight, Precision);
            Assert.True(Score(input, minQuality: 1).Accepted);
        }
    }

    [Fact]
    public void Worked_example_a_missing_frames_and_four_seconds_late()
    {
        // 1m holds 45 of 60 frames; the snapshot is taken 4 s after the data (docs/data-quality.md, example 1).
        var input = Healthy().With1m(c => c.Skip(15)) with { Timestamp = Now + 4_000 };
        var report = Score(input);

        var completeness = (4 * 1 - 0.25 + 0.5 + 1 + 0.5 + 0.5) / 6.5;                       // 6.25 / 6.5
        var freshness = ((10_000 - 4_040) / 8_000.0 + (10_000 - 4_000) / 8_000.0                // book, aggregate
                         + 2 * ((15_000 - 4_000) / 12_000.0) + 3) / 7;                          // both 1s series; 1m, 1h, 1d (12 h old: the sample is at noon) fresh
        Assert.Equal(completeness, report.Completeness.Score, Precision);
        Assert.Equal(freshness, report.Freshness.Score, Precision);
        Assert.Equal(1.0, report.Consistency.Score);
        Assert.Equal(0.4 * completeness + 0.3 * freshness + 0.3, report.Score, Precision);
        Assert.Equal(0.95583, report.Score, 5);
        Assert.Equal(report.Score, report.Uncapped);
        Assert.True(report.Accepted);

        Assert.Equal("1s 60/60, 1m 45/60 (0.75), 1h 48/48, 1d 30/30, reference 1s 60/60 weight 0.5; aggregate present, " +
                     "pivots 10 points weight 0.5, bounds present weight 0.5: 6.25 of 6.5 = 0.9615.", report.Completeness.Explanation);
        Assert.Equal("book 4.04 s old (0.745, allowed 2 s), aggregate 4 s old (0.75, allowed 2 s), 1s 4 s old (0.9167, allowed 3 s), " +
                     "1m 4 s old, 1h 4 s old, 1d 12 h 4 s old, reference 1s 4 s old (0.9167, allowed 3 s): mean of 7 = 0.904.", report.Freshness.Explanation);
        Assert.Equal("candles passing the checks: 1s 60/60, 1m 45/45, 1h 48/48, 1d 30/30, reference 1s 60/60; book Synced (1), " +
                     "aggregate consistent (1): mean of 7 = 1.", report.Consistency.Explanation);
    }

    [Fact]
    public void Worked_example_b_a_stale_book_is_capped()
    {
        // The feed went silent 6 s ago: the book is Stale (critical), its last update 6 s old (docs/data-quality.md, example 2).
        var input = Healthy().WithBook(b => b with { Status = BookStatus.Stale, StatusReason = "feed silent", ReceivedAt = Utc(Now - 6_000) });
        var report = Score(input);

        var freshness = (0.5 + 6) / 7;          // book (10 - 6) / (10 - 2) = 0.5, the other six sources 1
        var consistency = (5 + 0.5 + 1) / 7;    // five series 1, stale book 0.5, aggregate 1
        Assert.Equal(1.0, report.Completeness.Score);
        Assert.Equal(freshness, report.Freshness.Score, Precision);
        Assert.Equal(consistency, report.Consistency.Score, Precision);
        Assert.Equal(0.4 + 0.3 * freshness + 0.3 * consistency, report.Uncapped, Precision);
        Assert.Equal(0.95714, report.Uncapped, 5);
        Assert.Equal(0.5, report.Score);
        Assert.False(report.Accepted);
        Assert.Equal([(ValidationRules.BookNotSynced, ProblemSeverity.Critical), (ValidationRules.Stale, ProblemSeverity.Warning)],
            report.Problems.Select(p => (p.Rule, p.Severity)));
        Assert.Contains("book Stale (0.5)", report.Consistency.Explanation, StringComparison.Ordinal);
        Assert.Contains("book 6 s old (0.5, allowed 2 s)", report.Freshness.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Worked_example_d_a_touch_beyond_the_verified_range_takes_a_quarter_off_the_book()
    {
        // BTC fell below the floor of the last snapshot: the bids are exact, but levels near the touch may be missing.
        var coverage = new BookCoverage { VerifiedBidFloor = 61_631_55000000, VerifiedAskCeiling = 61_900_00000000, BidLevelsBeyond = 40, BidTouchVerified = false, AskTouchVerified = true };
        var report = Score(Healthy().WithBook(b => b with { Coverage = coverage }));
        var consistency = (5 + 0.75 + 1) / 7;   // five series 1, book 1 - 0.25, aggregate 1
        Assert.Equal(consistency, report.Consistency.Score, Precision);
        Assert.Equal(0.7 + 0.3 * consistency, report.Score, Precision);
        Assert.Equal(0.98929, report.Score, 5);
        Assert.True(report.Accepted);
        var problem = Assert.Single(report.Problems);
        Assert.Equal((ValidationRules.TouchUnverified, ProblemSeverity.Warning, "book.coverage.bidTouchVerified"), (problem.Rule, problem.Severity, problem.Field));
        Assert.Contains("61631.55", problem.Expected, StringComparison.Ordinal);
        Assert.Contains("book Synced, 1 touch(es) beyond the verified range (0.75)", report.Consistency.Explanation, StringComparison.Ordinal);

        // Both touches beyond: half off; both verified: nothing off.
        var both = Score(Healthy().WithBook(b => b with { Coverage = coverage with { AskTouchVerified = false } }));
        Assert.Equal((5 + 0.5 + 1) / 7.0, both.Consistency.Score, Precision);
        Assert.Equal(2, both.Problems.Count);
        Assert.Equal(1.0, Score(Healthy().WithBook(b => b with { Coverage = coverage with { BidTouchVerified = true } })).Score);
    }

    [Fact]
    public void Worked_example_c_broken_candles_lower_consistency_by_their_fraction()
    {
        var input = Healthy().With1m(c => c.Select((x, i) => i % 10 == 0 ? BreakHigh(x) : x));   // 6 of 60
        var report = Score(input);
        Assert.Equal((4 + 54 / 60.0 + 1 + 1) / 7, report.Consistency.Score, Precision);
        Assert.Equal(0.7 + 0.3 * (6.9 / 7), report.Score, Precision);
        Assert.Contains("1m 54/60 (0.9)", report.Consistency.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_critical_problem_caps_the_score_and_uncapped_keeps_the_value_before()
    {
        var input = Healthy().WithBook(b => b with { Status = BookStatus.Resyncing });
        var report = Score(input);
        Assert.Equal(0.5, report.Score);
        Assert.Equal(0.7 + 0.3 * 6 / 7, report.Uncapped, Precision);
        Assert.False(report.Accepted);
        Assert.True(Score(input, minQuality: 0.5).Accepted);

        var cap = new QualityThresholds { CriticalCap = 0.3 };
        Assert.Equal(0.3, QualityScorer.Score(input, 0.8, cap).Score);
    }

    [Fact]
    public void The_cap_never_raises_a_lower_score()
    {
        var healthy = Healthy();
        var empty = healthy with
        {
            Candles1s = healthy.Candles1s with { Candles = [] },
            Candles1m = healthy.Candles1m with { Candles = [] },
            Candles1h = healthy.Candles1h with { Candles = [] },
            Candles1d = healthy.Candles1d with { Candles = [] },
            Reference1s = healthy.Reference1s with { Candles = [] },
            Book = new BookInputView { Status = BookStatus.Syncing },
            Microstructure = null,
            Pivots = healthy.Pivots with { Levels = [], Bounds = null },
        };
        var report = Score(empty, minQuality: 0);
        Assert.Equal((0.0, 0.0), (report.Completeness.Score, report.Freshness.Score));
        Assert.Equal(6.0 / 7, report.Consistency.Score, Precision);   // empty series contradict nothing; the syncing book scores 0
        Assert.Equal(0.3 * 6 / 7, report.Score, Precision);
        Assert.Equal(report.Uncapped, report.Score);
        Assert.True(report.Accepted);                                 // a minimum of 0 accepts anything
    }

    [Fact]
    public void The_score_falls_strictly_as_a_series_loses_frames()
    {
        var scores = Enumerable.Range(0, 13).Select(k => Score(Healthy().With1m(c => c.Skip(5 * k))).Score).ToList();
        AssertStrictlyDecreasing(scores);
        Assert.Equal(0.4 * 5.5 / 6.5 + 0.3 * 6 / 7 + 0.3, scores[^1], Precision);   // 1m empty: completeness part 0, freshness 0
    }

    [Fact]
    public void The_score_falls_as_the_data_ages_and_strictly_while_a_source_is_in_its_decay_band()
    {
        long[] lateness = [0, 1_000, 2_000, 3_000, 4_000, 6_000, 9_000, 12_000, 20_000, 60_000, 120_000, 300_000, 3_600_000, 7_200_000, 86_400_000, 2 * 86_400_000, 10 * 86_400_000];
        var scores = lateness.Select(ms => Score(Healthy() with { Timestamp = Now + ms }).Score).ToList();
        for (var i = 1; i < scores.Count; i++) Assert.True(scores[i] <= scores[i - 1], $"{scores[i]} after {scores[i - 1]} at +{lateness[i]} ms");
        Assert.Equal(1.0, scores[0]);
        Assert.Equal(0.7, scores[^1], Precision);   // everything stale: freshness 0, nothing else changes
        // Strictly lower within the decay bands of the fast sources (2-15 s).
        AssertStrictlyDecreasing(scores.Skip(2).Take(6).ToList());
    }

    [Fact]
    public void The_score_falls_strictly_as_more_candles_break()
    {
        var scores = Enumerable.Range(0, 11).Select(k => Score(Healthy().With1m(c => c.Select((x, i) => i < 6 * k ? BreakHigh(x) : x))).Score).ToList();
        AssertStrictlyDecreasing(scores);
        Assert.Equal(0.7 + 0.3 * 6 / 7, scores[^1], Precision);   // all 60 broken: the 1m consistency part is 0
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_minimum_outside_zero_to_one_is_refused(double minQuality)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => QualityScorer.Score(Healthy(), minQuality, Defaults));
        Assert.Equal("minQuality", e.ParamName);
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(0.955, true)]
    [InlineData(0.96, false)]
    [InlineData(1.0, false)]
    public void Accepted_means_score_at_least_the_minimum(double minQuality, bool accepted)
    {
        var report = Score(Healthy().With1m(c => c.Skip(15)) with { Timestamp = Now + 4_000 }, minQuality);   // 0.95583
        Assert.Equal(accepted, report.Accepted);
        Assert.Equal(minQuality, report.MinimumRequired);
    }

    [Fact]
    public void Invalid_thresholds_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => QualityScorer.Score(Healthy(), 0.8, new QualityThresholds { CompletenessWeight = -1 }));
        Assert.Contains("CompletenessWeight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_already_on_the_input_is_ignored()
    {
        var healthy = Healthy();
        var junk = healthy with { Quality = healthy.Quality with { Score = 0.1, Problems = [new ValidationProblem { Field = "x", Rule = "y", Expected = "", Actual = "" }] } };
        Assert.Equivalent(Score(healthy), Score(junk));
    }

    [Fact]
    public void Weights_are_relative()
    {
        var input = Healthy().With1m(c => c.Skip(15)) with { Timestamp = Now + 4_000 };
        var doubled = new QualityThresholds { CompletenessWeight = 0.8, FreshnessWeight = 0.6, ConsistencyWeight = 0.6 };
        Assert.Equal(Score(input).Score, QualityScorer.Score(input, 0.8, doubled).Score, Precision);
        var onlyFreshness = new QualityThresholds { CompletenessWeight = 0, FreshnessWeight = 1, ConsistencyWeight = 0 };
        var report = QualityScorer.Score(input, 0.8, onlyFreshness);
        Assert.Equal(report.Freshness.Score, report.Score, Precision);
        Assert.Equal((0.0, 1.0, 0.0), (report.Completeness.Weight, report.Freshness.Weight, report.Consistency.Weight));
    }

    [Theory]
    [InlineData(-5, 1)]
    [InlineData(0, 1)]
    [InlineData(2_000, 1)]
    [InlineData(4_000, 0.75)]
    [InlineData(6_000, 0.5)]
    [InlineData(8_000, 0.25)]
    [InlineData(10_000, 0)]
    [InlineData(1_000_000, 0)]
    public void Freshness_is_one_up_to_the_allowance_then_linear_to_zero_at_five_times_it(long ageMs, double expected)
        => Assert.Equal(expected, QualityScorer.Freshness(ageMs, 2_000, 5), Precision);

    [Fact]
    public void A_missing_aggregate_costs_completeness_and_freshness_and_caps()
    {
        var report = Score(Healthy().WithBook(b => b with { Aggregate = null }) with { Microstructure = null });
        Assert.Equal(5.5 / 6.5, report.Completeness.Score, Precision);
        Assert.Equal(6.0 / 7, report.Freshness.Score, Precision);
        Assert.Equal(1.0, report.Consistency.Score);
        Assert.Equal(0.5, report.Score);
        Assert.Contains("aggregate missing (0)", report.Completeness.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gap_aggregate_costs_completeness_only()
    {
        var report = Score(Healthy().WithBook(b => b with { Aggregate = b.Aggregate! with { IsGap = true, GapReason = "resync" } }));
        Assert.Equal(5.5 / 6.5, report.Completeness.Score, Precision);
        Assert.Equal((1.0, 1.0), (report.Freshness.Score, report.Consistency.Score));
        Assert.Equal(0.4 * 5.5 / 6.5 + 0.6, report.Score, Precision);
    }

    [Fact]
    public void Trade_built_candles_with_quiet_intervals_still_score_one()
    {
        var input = Healthy().With1m(c => c.Select(x => x with { Source = CandleSource.Trades }).Where((_, i) => i % 3 != 1));
        input = input with { Requirements = input.Requirements with { Frames1m = input.Candles1m.Candles.Count } };
        Assert.Equal(1.0, Score(input).Score);
    }

    private static void AssertStrictlyDecreasing(List<double> scores)
    {
        for (var i = 1; i < scores.Count; i++) Assert.True(scores[i] < scores[i - 1], $"step {i}: {scores[i]} is not below {scores[i - 1]}");
    }
}
