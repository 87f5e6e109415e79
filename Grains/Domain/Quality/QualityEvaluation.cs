using System.Buffers;
using System.Runtime.InteropServices;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Inputs;
using MarketData.Pivots;
using static MarketData.Domain.Quality.QualityText;

namespace MarketData.Domain.Quality;

/// <summary>What the scorer needs to know about one candle series.</summary>
internal struct SeriesFacts
{
    /// <summary>Short name for explanations: <c>1s</c>, <c>1m</c>, <c>1h</c>, <c>1d</c>, <c>reference 1s</c>.</summary>
    public string Name;
    public int Count;
    public int Requested;
    /// <summary>Candles that passed every per-candle check (closed, ordered, contiguous, aligned, OHLC, no look-ahead).</summary>
    public int Passing;
    /// <summary>Snapshot time minus the end of the last candle's interval (last close + 1 ms); meaningful when <see cref="Count"/> &gt; 0.</summary>
    public long AgeMs;
    public long AllowanceMs;
}

/// <summary>
/// One pass over a <see cref="BaseDataInput"/> that finds every problem (<see cref="BaseDataValidator"/>) and gathers
/// the numbers the score is made of (<see cref="QualityScorer"/>), so scoring never walks the candles twice.
/// <para>
/// Built for the request path: a healthy candle goes through one branch of plain comparisons (no division, no
/// allocation); only a candle that fails it takes the slow path that works out which rules it breaks and formats
/// them. Allocation is per call (this object, the problem list when there are problems), never per candle.
/// </para>
/// </summary>
internal sealed class QualityEvaluation
{
    /// <summary>At most this many problems of one rule are listed per series; the rest are summed up in one summary problem.</summary>
    public const int PerRuleLimit = 10;

    private static readonly string[] RuleCodes =
    [
        ValidationRules.TooFewFrames, ValidationRules.NotIncreasing, ValidationRules.NotAligned, ValidationRules.OhlcInconsistent,
        ValidationRules.MissingFrames, ValidationRules.NotClosed, ValidationRules.Stale, ValidationRules.BookNotSynced,
        ValidationRules.MissingAggregate, ValidationRules.AggregateGap, ValidationRules.AggregateInconsistent,
        ValidationRules.EmptyPivots, ValidationRules.MissingBounds, ValidationRules.LookAhead, ValidationRules.TouchUnverified,
    ];

    private readonly long _timestamp;
    private readonly double _staleFactor;
    private List<ValidationProblem>? _problems;
    private int[]? _ruleCounts;                     // per rule, in the current series
    private ProblemSeverity[]? _omittedSeverity;    // per rule, the worst severity left out in the current series
    private string _series = "";
    private List<long>? _holes;                     // (first, last) missing open times found in the current series

    private QualityEvaluation(long timestamp, double staleFactor)
    {
        _timestamp = timestamp;
        _staleFactor = staleFactor;
    }

    /// <summary>1s, 1m, 1h, 1d, then the reference 1s series.</summary>
    public SeriesFacts[] Series { get; } = new SeriesFacts[5];
    public BookStatus BookStatus { get; private set; }
    /// <summary>Null when the book never applied an update.</summary>
    public long? BookAgeMs { get; private set; }
    public long BookAllowanceMs { get; private set; }
    /// <summary>Book sides (0-2) whose touch lies beyond the verified range.</summary>
    public int UnverifiedTouches { get; private set; }
    public bool AggregatePresent { get; private set; }
    public bool AggregateIsGap { get; private set; }
    /// <summary>True when the aggregate agrees with the book and the microstructure (and when there is neither).</summary>
    public bool AggregateConsistent { get; private set; }
    public long AggregateAgeMs { get; private set; }
    public long AggregateAllowanceMs { get; private set; }
    public int PivotPoints { get; private set; }
    public int PivotLevels { get; private set; }
    public bool BoundsPresent { get; private set; }
    public bool HasCritical { get; private set; }
    public double StaleFactor => _staleFactor;

    public IReadOnlyList<ValidationProblem> Problems => (IReadOnlyList<ValidationProblem>?)_problems ?? [];

    /// <summary>Evaluates <paramref name="input"/>; <paramref name="thresholds"/> must be valid.</summary>
    public static QualityEvaluation Run(BaseDataInput input, QualityThresholds thresholds)
    {
        var e = new QualityEvaluation(input.Timestamp, thresholds.StaleFactor);
        var req = input.Requirements;
        e.EvaluateSeries(0, input.Candles1s, Timeframe.OneSecond, req.Frames1s, "1s", "candles.1s", Ms(thresholds.Candles1sAllowance));
        e.EvaluateSeries(1, input.Candles1m, Timeframe.OneMinute, req.Frames1m, "1m", "candles.1m", Ms(thresholds.Candles1mAllowance));
        e.EvaluateSeries(2, input.Candles1h, Timeframe.OneHour, req.Frames1h, "1h", "candles.1h", Ms(thresholds.Candles1hAllowance));
        e.EvaluateSeries(3, input.Candles1d, Timeframe.OneDay, req.Frames1d, "1d", "candles.1d", Ms(thresholds.Candles1dAllowance));
        e.EvaluateSeries(4, input.Reference1s, Timeframe.OneSecond, req.ReferenceFrames1s, "reference 1s", "reference.1s", Ms(thresholds.Reference1sAllowance));
        e.EvaluateBook(input.Book, Ms(thresholds.BookAllowance));
        e.EvaluateAggregate(input.Book, input.Microstructure, Ms(thresholds.AggregateAllowance));
        e.EvaluatePivots(input.Pivots);
        e.EvaluateModelOutputs(input.ModelOutputs);
        return e;
    }

    private static long Ms(TimeSpan value) => (long)value.TotalMilliseconds;

    // ---------------------------------------------------------------- candles

    private void EvaluateSeries(int slot, CandleFrames frames, Timeframe timeframe, int requested, string name, string field, long allowanceMs)
    {
        BeginSeries(field);
        var candles = frames.Candles;
        var count = candles.Count;
        ref var facts = ref Series[slot];
        facts = new SeriesFacts { Name = name, Count = count, Requested = requested, AllowanceMs = allowanceMs };

        if (count < requested && Take(Rule.TooFewFrames, ProblemSeverity.Error))
            Add(Rule.TooFewFrames, field, $"{Int(requested)} frames", $"{Int(count)} frames", ProblemSeverity.Error);

        if (count > 0)
        {
            var span = AsSpan(candles, out var rented);
            try
            {
                facts.Passing = CheckCandles(span, timeframe, field);
                var last = span[^1];
                facts.AgeMs = _timestamp - (last.CloseTime + 1);
                CheckAge(field, facts.AgeMs, allowanceMs, AgeOf.LastClose, last.CloseTime);
                CheckListedGaps(frames.Gaps, span[0].OpenTime, last.OpenTime, field);
            }
            finally
            {
                if (rented is not null) ArrayPool<Candle>.Shared.Return(rented);
            }
        }
        EndSeries();
    }

    /// <summary>Returns how many candles pass every per-candle check.</summary>
    private int CheckCandles(ReadOnlySpan<Candle> span, Timeframe timeframe, string field)
    {
        var tf = timeframe.Milliseconds;
        var ts = _timestamp;
        var passing = 0;
        // The predecessor as plain locals (kept in registers); packed into a Previous only for the slow path.
        var prevIndex = -1;
        var prevOpen = 0L;
        var prevAligned = false;
        var prevSource = default(CandleSource);
        for (var i = 0; i < span.Length; i++)
        {
            ref readonly var c = ref span[i];
            // Fast path, the healthy candle: right after an aligned predecessor (so aligned itself), regular close,
            // closed, not after the snapshot, OHLC sane. Plain comparisons only; anything else takes the slow path.
            if (prevAligned && c.OpenTime == prevOpen + tf && c.CloseTime == c.OpenTime + tf - 1
                && (c.Flags & CandleFlags.Closed) != 0 && c.CloseTime <= ts
                && c.High >= c.Open && c.High >= c.Close && c.Low <= c.Open && c.Low <= c.Close && c.Low > 0 && c.Volume >= 0)
            {
                passing++;
                prevOpen = c.OpenTime;
                prevIndex = i;
                prevSource = c.Source;
                continue;
            }
            var prev = new Previous { Index = prevIndex, Open = prevOpen, Aligned = prevAligned, Source = prevSource };
            if (CheckCandle(in c, i, timeframe, field, ref prev)) passing++;
            (prevIndex, prevOpen, prevAligned, prevSource) = (prev.Index, prev.Open, prev.Aligned, prev.Source);
        }
        return passing;
    }

    /// <summary>The last candle whose open time increased (the yardstick of order and contiguity).</summary>
    private struct Previous
    {
        public int Index;   // -1: none yet
        public long Open;
        public bool Aligned;
        public CandleSource Source;
    }

    private bool CheckCandle(in Candle c, int i, Timeframe timeframe, string field, ref Previous prev)
    {
        var tf = timeframe.Milliseconds;
        var ok = true;

        if (!c.IsClosed)
        {
            ok = false;
            if (Take(Rule.NotClosed, ProblemSeverity.Error))
                Add(Rule.NotClosed, $"{field}[{i}]", "a closed candle (frames never hold a forming one)", $"a forming candle (flags: {c.Flags})", ProblemSeverity.Error);
        }
        if (c.CloseTime > _timestamp)
        {
            ok = false;
            if (Take(Rule.LookAhead, ProblemSeverity.Critical))
                Add(Rule.LookAhead, $"{field}[{i}].closeTime", $"at most {Time(_timestamp)} (the snapshot's time)", Time(c.CloseTime), ProblemSeverity.Critical);
        }

        var increasing = prev.Index < 0 || c.OpenTime > prev.Open;
        if (!increasing)
        {
            ok = false;
            if (Take(Rule.NotIncreasing, ProblemSeverity.Error))
                Add(Rule.NotIncreasing, $"{field}[{i}].openTime", $"after {Time(prev.Open)} (candle {prev.Index})",
                    c.OpenTime == prev.Open ? $"{Time(c.OpenTime)} (the same as candle {prev.Index})" : Time(c.OpenTime), ProblemSeverity.Error);
        }

        var offset = ((c.OpenTime % tf) + tf) % tf;
        var aligned = offset == 0;
        if (!aligned)
        {
            ok = false;
            if (Take(Rule.NotAligned, ProblemSeverity.Error))
                Add(Rule.NotAligned, $"{field}[{i}].openTime", $"a whole {timeframe.Name} (a multiple of {Int(tf)} ms)",
                    $"{Time(c.OpenTime)} ({Duration(offset)} past a {timeframe.Name} boundary)", ProblemSeverity.Error);
        }

        var regularClose = c.OpenTime + tf - 1;
        var cutShort = (c.Flags & CandleFlags.CutShort) != 0;
        if (cutShort ? c.CloseTime < c.OpenTime || c.CloseTime > regularClose : c.CloseTime != regularClose)
        {
            ok = false;
            if (Take(Rule.NotAligned, ProblemSeverity.Error))
                Add(Rule.NotAligned, $"{field}[{i}].closeTime",
                    cutShort ? $"from {Time(c.OpenTime)} to {Time(regularClose)} (cut short)" : $"{Time(regularClose)} (open + {timeframe.Name} - 1 ms)",
                    Time(c.CloseTime), ProblemSeverity.Error);
        }

        // Contiguity is judged between aligned neighbours only (a misaligned candle is reported as such, not as a hole).
        if (increasing && prev.Index >= 0 && aligned && prev.Aligned && c.OpenTime - prev.Open > tf)
        {
            var missing = (c.OpenTime - prev.Open) / tf - 1;
            // Between two candles built from trades a hole is an interval without trades, not lost data (docs/candles.md).
            if (c.Source != CandleSource.Trades || prev.Source != CandleSource.Trades)
            {
                ok = false;
                _holes ??= [];
                _holes.Add(prev.Open + tf);
                _holes.Add(c.OpenTime - tf);
                if (Take(Rule.MissingFrames, ProblemSeverity.Error))
                    Add(Rule.MissingFrames, $"{field}[{i}]", $"open {Time(prev.Open + tf)} (right after candle {prev.Index})",
                        $"open {Time(c.OpenTime)}: {Int(missing)} {(missing == 1 ? "frame" : "frames")} missing", ProblemSeverity.Error);
            }
        }

        var bodyHigh = Math.Max(c.Open, c.Close);
        var bodyLow = Math.Min(c.Open, c.Close);
        if (c.High < bodyHigh)
        {
            ok = false;
            if (Take(Rule.OhlcInconsistent, ProblemSeverity.Error))
                Add(Rule.OhlcInconsistent, $"{field}[{i}].high", $">= max(open, close) = {Price(bodyHigh)}", Price(c.High), ProblemSeverity.Error);
        }
        if (c.Low > bodyLow)
        {
            ok = false;
            if (Take(Rule.OhlcInconsistent, ProblemSeverity.Error))
                Add(Rule.OhlcInconsistent, $"{field}[{i}].low", $"<= min(open, close) = {Price(bodyLow)}", Price(c.Low), ProblemSeverity.Error);
        }
        if (c.Low <= 0)
        {
            ok = false;
            if (Take(Rule.OhlcInconsistent, ProblemSeverity.Error))
                Add(Rule.OhlcInconsistent, $"{field}[{i}].low", "> 0", Price(c.Low), ProblemSeverity.Error);
        }
        if (c.Volume < 0)
        {
            ok = false;
            if (Take(Rule.OhlcInconsistent, ProblemSeverity.Error))
                Add(Rule.OhlcInconsistent, $"{field}[{i}].volume", ">= 0", Price(c.Volume), ProblemSeverity.Error);
        }

        if (increasing)
        {
            prev.Index = i;
            prev.Open = c.OpenTime;
            prev.Aligned = aligned;
            prev.Source = c.Source;
        }
        return ok;
    }

    /// <summary>
    /// Holes the cache knows of (<see cref="CandleFrames.Gaps"/>) that lie within the frames but were not already found
    /// between adjacent candles (e.g. between two trade-built candles, where a hole is otherwise taken for a quiet interval).
    /// </summary>
    private void CheckListedGaps(IReadOnlyList<CandleGapView> gaps, long firstOpen, long lastOpen, string field)
    {
        for (var g = 0; g < gaps.Count; g++)
        {
            var gap = gaps[g];
            if (gap.To < firstOpen || gap.From > lastOpen) continue;   // outside the frames: not part of this snapshot
            if (AlreadyFound(gap.From)) continue;
            if (Take(Rule.MissingFrames, ProblemSeverity.Error))
                Add(Rule.MissingFrames, $"{field}.gaps[{g}]", "no missing frame between the first and the last candle",
                    $"{Int(gap.Missing)} {(gap.Missing == 1 ? "frame" : "frames")} missing from {Time(gap.From)} to {Time(gap.To)} (a known gap of the cache)",
                    ProblemSeverity.Error);
        }
    }

    private bool AlreadyFound(long open)
    {
        if (_holes is null) return false;
        for (var h = 0; h < _holes.Count; h += 2)
            if (_holes[h] <= open && open <= _holes[h + 1]) return true;
        return false;
    }

    // ---------------------------------------------------------------- book and aggregate

    private void EvaluateBook(BookInputView book, long allowanceMs)
    {
        BeginSeries("book");
        BookStatus = book.Status;
        BookAllowanceMs = allowanceMs;
        if (book.Status != BookStatus.Synced && Take(Rule.BookNotSynced, ProblemSeverity.Critical))
            Add(Rule.BookNotSynced, "book.status", nameof(BookStatus.Synced),
                book.StatusReason is null ? book.Status.ToString() : $"{book.Status}: {book.StatusReason}", ProblemSeverity.Critical);

        // A touch beyond the verified range: the book is exact where it holds levels, but levels near the touch may be missing.
        UnverifiedTouches = 0;
        if (book.Coverage is { } coverage && book.Status is BookStatus.Synced or BookStatus.Stale)
        {
            if (!coverage.BidTouchVerified && Take(Rule.TouchUnverified, ProblemSeverity.Warning))
                Add(Rule.TouchUnverified, "book.coverage.bidTouchVerified",
                    coverage.VerifiedBidFloor is { } floor ? $"best bid at or above the verified floor {Price(floor)}" : "best bid within the verified range",
                    "best bid below it: levels near the touch may be missing until a coverage refresh", ProblemSeverity.Warning);
            if (!coverage.AskTouchVerified && Take(Rule.TouchUnverified, ProblemSeverity.Warning))
                Add(Rule.TouchUnverified, "book.coverage.askTouchVerified",
                    coverage.VerifiedAskCeiling is { } ceiling ? $"best ask at or below the verified ceiling {Price(ceiling)}" : "best ask within the verified range",
                    "best ask above it: levels near the touch may be missing until a coverage refresh", ProblemSeverity.Warning);
            UnverifiedTouches = (coverage.BidTouchVerified ? 0 : 1) + (coverage.AskTouchVerified ? 0 : 1);
        }

        // Local receive time first: the snapshot's time is a local clock too (exchange event time is the fallback).
        var last = book.ReceivedAt ?? book.UpdatedAt;
        if (last is null)
        {
            BookAgeMs = null;
            if (Take(Rule.Stale, ProblemSeverity.Error))
                Add(Rule.Stale, "book", $"an update within {Duration(allowanceMs)}", "no update applied yet", ProblemSeverity.Error);
        }
        else
        {
            BookAgeMs = _timestamp - UnixMs(last.Value);
            CheckAge("book", BookAgeMs.Value, allowanceMs, AgeOf.LastUpdate, UnixMs(last.Value));
        }
        EndSeries();
    }

    private void EvaluateAggregate(BookInputView book, Microstructure? micro, long allowanceMs)
    {
        BeginSeries("aggregate");
        AggregateAllowanceMs = allowanceMs;
        var aggregate = book.Aggregate;
        if (aggregate is null)
        {
            if (Take(Rule.MissingAggregate, ProblemSeverity.Critical))
                Add(Rule.MissingAggregate, "aggregate", $"the latest aggregated second ending by {Time(_timestamp)}", "none", ProblemSeverity.Critical);
            AggregateConsistent = micro is null;
            if (micro is not null && Take(Rule.AggregateInconsistent, ProblemSeverity.Error))
                Add(Rule.AggregateInconsistent, "microstructure", "none (there is no aggregate)", $"the microstructure of second {Time(micro.Time)}", ProblemSeverity.Error);
            EndSeries();
            return;
        }

        AggregatePresent = true;
        AggregateIsGap = aggregate.IsGap;
        var end = aggregate.Time + 1_000;
        if (end > _timestamp && Take(Rule.LookAhead, ProblemSeverity.Critical))
            Add(Rule.LookAhead, "aggregate.time", $"a second ending by {Time(_timestamp)} (the snapshot's time)",
                $"second {Time(aggregate.Time)}, ending {Time(end)}", ProblemSeverity.Critical);
        if (aggregate.IsGap && Take(Rule.AggregateGap, ProblemSeverity.Error))
            Add(Rule.AggregateGap, "aggregate", "an aggregated second",
                $"gap second {Time(aggregate.Time)}: {aggregate.GapReason ?? "no reason given"}", ProblemSeverity.Error);
        AggregateAgeMs = _timestamp - end;
        CheckAge("aggregate", AggregateAgeMs, allowanceMs, AgeOf.Second, aggregate.Time);

        var consistent = true;
        // The aggregate must come from a book state the book had reached: a later update id means the parts were read apart.
        if (aggregate.BookUpdateId > book.LastUpdateId)
        {
            consistent = false;
            if (Take(Rule.AggregateInconsistent, ProblemSeverity.Error))
                Add(Rule.AggregateInconsistent, "aggregate.bookUpdateId", $"at most book.lastUpdateId = {Int(book.LastUpdateId)}",
                    Int(aggregate.BookUpdateId), ProblemSeverity.Error);
        }
        if (micro is null)
        {
            // A gap second has no numbers to derive microstructure from: its absence is then expected.
            if (!aggregate.IsGap)
            {
                consistent = false;
                if (Take(Rule.AggregateInconsistent, ProblemSeverity.Error))
                    Add(Rule.AggregateInconsistent, "microstructure", $"the numbers of the aggregate's second {Time(aggregate.Time)}", "none", ProblemSeverity.Error);
            }
        }
        else
        {
            if (micro.Time != aggregate.Time)
                consistent = Mismatch("microstructure.time", Time(aggregate.Time), Time(micro.Time));
            if (micro.BookUpdateId != aggregate.BookUpdateId)
                consistent = Mismatch("microstructure.bookUpdateId", Int(aggregate.BookUpdateId), Int(micro.BookUpdateId));
            if (micro.Mid != aggregate.Mid)
                consistent = Mismatch("microstructure.mid", Price(aggregate.Mid), Price(micro.Mid));
            if (micro.Spread != aggregate.Spread)
                consistent = Mismatch("microstructure.spread", Price(aggregate.Spread), Price(micro.Spread));
        }
        AggregateConsistent = consistent;
        EndSeries();
    }

    private bool Mismatch(string field, string aggregateValue, string actual)
    {
        if (Take(Rule.AggregateInconsistent, ProblemSeverity.Error))
            Add(Rule.AggregateInconsistent, field, $"{aggregateValue} (the aggregate's)", actual, ProblemSeverity.Error);
        return false;
    }

    // ---------------------------------------------------------------- pivots and model outputs

    private void EvaluatePivots(PivotSet pivots)
    {
        BeginSeries("pivots");
        var levels = pivots.Levels;
        PivotLevels = levels.Count;
        var points = 0;
        for (var l = 0; l < levels.Count; l++)
        {
            var span = AsSpan(levels[l], out var rented);
            try
            {
                points += span.Length;
                for (var j = 0; j < span.Length; j++)
                {
                    if (span[j].ConfirmedAt <= _timestamp) continue;
                    if (Take(Rule.LookAhead, ProblemSeverity.Critical))
                        Add(Rule.LookAhead, $"pivots.levels[{l}][{j}].confirmedAt", $"at most {Time(_timestamp)} (the snapshot's time)",
                            Time(span[j].ConfirmedAt), ProblemSeverity.Critical);
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<SwingPoint>.Shared.Return(rented);
            }
        }
        PivotPoints = points;
        if (points == 0 && Take(Rule.EmptyPivots, ProblemSeverity.Error))
            Add(Rule.EmptyPivots, "pivots", $"points at one level at least ({pivots.Timeframe.Name} pivots)",
                levels.Count == 0 ? "no levels" : $"no point at any of {Int(levels.Count)} levels", ProblemSeverity.Error);
        BoundsPresent = pivots.Bounds is not null;
        if (pivots.Bounds is null && Take(Rule.MissingBounds, ProblemSeverity.Error))
            Add(Rule.MissingBounds, "pivots.bounds", "normalisation bounds over the pivot window", $"none (pivot progress: {pivots.Progress ?? "unknown"})", ProblemSeverity.Error);
        EndSeries();
    }

    private void EvaluateModelOutputs(IReadOnlyList<global::MarketData.ModelOutputs.ModelOutput> outputs)
    {
        BeginSeries("modelOutputs");
        for (var i = 0; i < outputs.Count; i++)
        {
            var output = outputs[i];
            if (output.Time > _timestamp && Take(Rule.LookAhead, ProblemSeverity.Critical))
                Add(Rule.LookAhead, $"modelOutputs[{output.ModelName}].time", $"at most {Time(_timestamp)} (the snapshot's time)", Time(output.Time), ProblemSeverity.Critical);
        }
        EndSeries();
    }

    // ---------------------------------------------------------------- freshness

    private enum AgeOf { LastClose, LastUpdate, Second }

    /// <summary>Reports a source older than its allowance; <paramref name="time"/> is what its age is measured from (formatted only then).</summary>
    private void CheckAge(string field, long ageMs, long allowanceMs, AgeOf kind, long time)
    {
        if (ageMs <= allowanceMs) return;
        var what = kind switch
        {
            AgeOf.LastClose => $"last close {Time(time)}",
            AgeOf.LastUpdate => $"last update {Time(time)}",
            _ => $"second {Time(time)} ended {Time(time + 1_000)}",
        };
        // Warning while the source still scores something (within the decay band), Error once its freshness is 0.
        var zeroAt = (long)Math.Ceiling(allowanceMs * _staleFactor);
        var severity = QualityScorer.Freshness(ageMs, allowanceMs, _staleFactor) > 0 ? ProblemSeverity.Warning : ProblemSeverity.Error;
        if (Take(Rule.Stale, severity))
            Add(Rule.Stale, field, $"age at most {Duration(allowanceMs)} (freshness falls to 0 at {Duration(zeroAt)})",
                $"age {Duration(ageMs)} ({what})", severity);
    }

    // ---------------------------------------------------------------- problem list with the per-rule limit

    private enum Rule
    {
        TooFewFrames, NotIncreasing, NotAligned, OhlcInconsistent, MissingFrames, NotClosed, Stale, BookNotSynced,
        MissingAggregate, AggregateGap, AggregateInconsistent, EmptyPivots, MissingBounds, LookAhead, TouchUnverified,
    }

    private void BeginSeries(string series)
    {
        _series = series;
        _holes?.Clear();
        if (_ruleCounts is not null) Array.Clear(_ruleCounts);
        if (_omittedSeverity is not null) Array.Clear(_omittedSeverity);
    }

    /// <summary>Counts a problem of <paramref name="rule"/> in the current series; true when it is to be listed.</summary>
    private bool Take(Rule rule, ProblemSeverity severity)
    {
        if (severity == ProblemSeverity.Critical) HasCritical = true;
        _ruleCounts ??= new int[RuleCodes.Length];
        if (++_ruleCounts[(int)rule] <= PerRuleLimit) return true;
        _omittedSeverity ??= new ProblemSeverity[RuleCodes.Length];
        if (severity > _omittedSeverity[(int)rule]) _omittedSeverity[(int)rule] = severity;
        return false;
    }

    private void Add(Rule rule, string field, string expected, string actual, ProblemSeverity severity)
    {
        _problems ??= [];
        _problems.Add(new ValidationProblem { Field = field, Rule = RuleCodes[(int)rule], Expected = expected, Actual = actual, Severity = severity });
    }

    /// <summary>One summary problem per rule that went over the limit in the series just finished.</summary>
    private void EndSeries()
    {
        if (_ruleCounts is null || _omittedSeverity is null) return;
        for (var r = 0; r < _ruleCounts.Length; r++)
        {
            var total = _ruleCounts[r];
            if (total <= PerRuleLimit) continue;
            Add((Rule)r, _series, $"no more {RuleCodes[r]} problems (the first {PerRuleLimit} are listed above)",
                $"... and {Int(total - PerRuleLimit)} more ({Int(total)} in all)", _omittedSeverity[r]);
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>The list as a span: arrays and lists directly, anything else copied into a pooled array (returned via <paramref name="rented"/>).</summary>
    private static ReadOnlySpan<T> AsSpan<T>(IReadOnlyList<T> list, out T[]? rented)
    {
        rented = null;
        if (list is T[] array) return array;
        if (list is List<T> items) return CollectionsMarshal.AsSpan(items);
        var count = list.Count;
        rented = ArrayPool<T>.Shared.Rent(count);
        if (list is ICollection<T> collection)
        {
            collection.CopyTo(rented, 0);
        }
        else
        {
            for (var i = 0; i < count; i++) rented[i] = list[i];
        }
        return rented.AsSpan(0, count);
    }
}
