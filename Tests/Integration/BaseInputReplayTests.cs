using MarketData.Actors;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Client;
using MarketData.Domain.Aggregation;
using MarketData.Domain.Books;
using MarketData.Domain.Features;
using MarketData.Domain.Indicators;
using MarketData.Exchanges.Binance;
using MarketData.Feeds;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Recording;
using MarketData.Silo.Hosting;
using MarketData.Streams;
using MarketData.Tests.Recording;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace MarketData.Tests.Integration;

/// <summary>One cluster that has replayed the shipped sample, shared by the snapshot tests.</summary>
public sealed class BaseInputReplayFixture : IAsyncLifetime
{
    public const int Frames1s = 60;
    public const int HistoryLimit = 5;

    public InProcessTestCluster? Cluster { get; private set; }
    public string? Sample { get; private set; }
    public MarketDataClient Client => new(Cluster!.Client);

    public async Task InitializeAsync()
    {
        Sample = RecordingTestFiles.Sample();
        if (Sample is null) return;
        Cluster = await TestClusters.StartAsync(new Dictionary<string, string?>
        {
            ["Replay:Files:0"] = Sample,
            ["Replay:Speed"] = "0",
            ["Books:StaleAfter"] = "00:10:00",
            ["BaseInput:Frames1s"] = Frames1s.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BaseInput:Frames1m"] = "5",
            ["BaseInput:Frames1h"] = "2",
            ["BaseInput:Frames1d"] = "2",
            ["BaseInput:ReferenceFrames1s"] = "30",
            ["BaseInput:PivotTimeframe"] = "1s",
            ["BaseInput:HeatmapSeconds"] = "30",
            ["BaseInput:PublishInterval"] = "00:00:00.200",
            ["BaseInput:PublishSymbols:0"] = "ETHUSDT",
            ["ModelOutputs:HistoryLimit"] = HistoryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        services => services.AddHostedService<SnapshotPublisherStarter>(),
        client => client.AddMemoryStreams(MarketStreams.SnapshotProvider));

        var client = Client;
        await Eventually.WaitAsync(() => client.GetFeedsAsync(), f => f.Count == 1 && f[0].State == FeedState.Completed, "replay completed");
        // Every second of the recording aggregated and committed: the last one closes with the grace after the end.
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
        {
            var last = RecordedFacts.DepthSeconds(Sample, symbol).Last;
            await Eventually.WaitAsync(() => client.GetLatestCobAsync(new Instrument("binance", symbol)), c => c is not null && c.Time >= last - 1000,
                $"{symbol}: aggregates up to the end");
            // Candle grains hold the replayed candles until their (impossible) REST backfill gives up.
            await Eventually.WaitAsync(() => client.GetCandlesAsync(new CandleSeriesKey(new Instrument("binance", symbol), Timeframe.OneSecond), 1_000),
                v => v.Backfill?.StartsWith("unavailable", StringComparison.Ordinal) == true && v.Candles.Count > 0 && v.Candles[^1].CloseTime >= last - 1000,
                $"{symbol}: 1s candles up to the end");
        }
    }

    public async Task DisposeAsync()
    {
        if (Cluster is null) return;
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// <see cref="BaseDataInput"/> assembled by a cluster fed by the replayed sample: counts, alignment, no look-ahead,
/// and a snapshot whose parts agree (the aggregate is the aggregate of the book state it reports).
/// </summary>
public sealed class BaseInputReplayTests(BaseInputReplayFixture fixture) : IClassFixture<BaseInputReplayFixture>
{
    private static readonly Instrument Eth = new("binance", "ETHUSDT");

    [SkippableFact]
    public async Task A_snapshot_as_of_the_end_holds_what_the_grains_hold_and_its_parts_agree()
    {
        if (fixture.Sample is null) throw new SkipException("samples/ absent");
        var client = fixture.Client;
        var asOf = RecordedFacts.DepthSeconds(fixture.Sample, "ETHUSDT").Last;
        var result = await client.GetBaseDataResultAsync(Eth, new BaseDataRequest { MinQuality = 0, AsOf = asOf });
        var input = Assert.IsType<BaseDataInput>(result.Input);
        Assert.Equal(asOf, input.Timestamp);
        Assert.Same(result.Quality, input.Quality);

        // Candles: exactly the candle grain's closed candles as of the time, the configured count, aligned and contiguous.
        var grain1s = await client.GetCandlesAsync(new CandleSeriesKey(Eth, Timeframe.OneSecond), BaseInputReplayFixture.Frames1s, asOf);
        Assert.Equal(BaseInputReplayFixture.Frames1s, input.Candles1s.Candles.Count);
        Assert.Equal(grain1s.Candles, input.Candles1s.Candles);
        AssertAlignedAndIncreasing(input.Candles1s, asOf);
        Assert.Equal("BTCUSDT", input.Reference1s.Symbol);
        Assert.True(input.Reference1s.Candles.Count == 30, $"reference: {input.Reference1s.Candles.Count} candles, source {input.Reference1s.Source}, backfill {input.Reference1s.Backfill}");
        AssertAlignedAndIncreasing(input.Reference1s, asOf);
        Assert.All(input.Candles1m.Candles, c => Assert.True(c.CloseTime <= asOf));
        Assert.Empty(input.Candles1h.Candles); // two minutes of trades close no hour
        Assert.Empty(input.Candles1d.Candles);

        // The aggregate is the latest second that ended by asOf, and it is the aggregate of the book state it names.
        var aggregate = Assert.IsType<Aggregation.CobSecond>(input.Book.Aggregate);
        Assert.Equal(asOf - 1000, aggregate.Time);
        Assert.False(aggregate.IsGap);
        var expected = AggregateOfBookAt(fixture.Sample, "ETHUSDT", aggregate.BookUpdateId, aggregate.Time);
        Assert.Equal(expected.Buckets, aggregate.Buckets);
        Assert.Equal((expected.Mid, expected.Spread, expected.BidDepth, expected.AskDepth), (aggregate.Mid, aggregate.Spread, aggregate.BidDepth, aggregate.AskDepth));
        var micro = Assert.IsType<Microstructure>(input.Microstructure);
        Assert.Equal((aggregate.Time, aggregate.BookUpdateId, aggregate.Mid, aggregate.Spread), (micro.Time, micro.BookUpdateId, micro.Mid, micro.Spread));
        Assert.Equal(aggregate.Flow, micro.LastSecond);
        Assert.True(input.Book.RecentFlowSeconds is > 0 and <= 60);
        var heatmap = Assert.IsType<Aggregation.Heatmap>(input.Book.Heatmap);
        Assert.Equal(aggregate.Time, heatmap.Times[^1]);
        Assert.True(heatmap.Times.Length is > 1 and <= 30);

        // Pivots only as confirmed by then; indicators are those of the snapshot's own candles.
        Assert.Equal(5, input.Pivots.Levels.Count);
        Assert.NotEmpty(input.Pivots.Levels[0]);
        Assert.All(input.Pivots.Levels.SelectMany(l => l), p => Assert.True(p.ConfirmedAt <= asOf));
        var indicators1s = input.Indicators.Single(i => i.Timeframe == Timeframe.OneSecond);
        Assert.Equal(TechnicalIndicators.Compute(Timeframe.OneSecond, input.Candles1s.Candles.ToArray(), new IndicatorSettings()), indicators1s);
        Assert.NotNull(indicators1s.Rsi);

        // Two minutes of data cannot fill hours and days: the report says so, and the default minimum refuses it.
        Assert.Contains(result.Quality.Problems, p => p.Rule == ValidationRules.TooFewFrames && p.Field.Contains("1h", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Quality.Problems, p => p.Rule == ValidationRules.LookAhead);
        Assert.True(result.Quality.Score < BaseDataRequest.DefaultMinQuality);
        var refused = await client.GetBaseDataResultAsync(Eth, new BaseDataRequest { AsOf = asOf });
        Assert.Null(refused.Input);
        Assert.False(refused.Quality.Accepted);
        Assert.Equal(result.Quality.Score, refused.Quality.Score);
        var error = await Assert.ThrowsAsync<DataQualityException>(() => client.GetBaseDataInputAsync("ETHUSDT", asOf: asOf));
        Assert.Equal(refused.Quality.Score, error.Quality.Score);

        // The feature vector is the snapshot's, flattened by the published layout.
        var vector = Assert.IsType<FeatureVector>((await client.GetFeatureResultAsync(Eth, new BaseDataRequest { MinQuality = 0, AsOf = asOf })).Vector);
        var layout = await client.GetFeatureLayoutAsync("ETHUSDT");
        Assert.Equal(layout.Version, vector.LayoutVersion);
        Assert.Equal(layout.Length, vector.Values.Length);
        Assert.Equal(new FeatureVectorBuilder().Build(input, layout), vector.Values);
        Assert.All(vector.Values, v => Assert.True(float.IsFinite(v)));
    }

    [SkippableFact]
    public async Task As_of_an_earlier_second_nothing_later_leaks_in()
    {
        if (fixture.Sample is null) throw new SkipException("samples/ absent");
        var client = fixture.Client;
        var end = RecordedFacts.DepthSeconds(fixture.Sample, "ETHUSDT").Last;
        var asOf = end - 45_000 + 1; // not on a second boundary: the second that contains it has not ended
        var input = Assert.IsType<BaseDataInput>((await client.GetBaseDataResultAsync(Eth, new BaseDataRequest { MinQuality = 0, AsOf = asOf })).Input);

        Assert.All(input.Candles1s.Candles, c => Assert.True(c.CloseTime <= asOf));
        Assert.Equal(Timeframe.OneSecond.OpenTimeOf(asOf) - 1000, input.Candles1s.Candles[^1].OpenTime);
        var aggregate = Assert.IsType<Aggregation.CobSecond>(input.Book.Aggregate);
        Assert.Equal(Timeframe.OneSecond.OpenTimeOf(asOf) - 1000, aggregate.Time);
        // As of the past the book is described as it stood at that second.
        Assert.Equal(aggregate.BookUpdateId, input.Book.LastUpdateId);
        Assert.Equal(BookStatus.Synced, input.Book.Status);
        Assert.All(input.Book.Heatmap!.Times, t => Assert.True(t <= aggregate.Time));
        Assert.All(input.Pivots.Levels.SelectMany(l => l), p => Assert.True(p.ConfirmedAt <= asOf));
        Assert.DoesNotContain(input.Quality.Problems, p => p.Rule == ValidationRules.LookAhead);
    }

    [SkippableFact]
    public async Task Model_outputs_round_trip_stay_bounded_feed_the_other_models_and_survive_reactivation()
    {
        if (fixture.Sample is null) throw new SkipException("samples/ absent");
        var client = fixture.Client;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < BaseInputReplayFixture.HistoryLimit + 2; i++)
            await client.SubmitModelOutputAsync("BTCUSDT", Output("cnn-a", now - 10_000 + i * 1_000, 0.5 + i * 0.01));
        var receipt = await client.SubmitModelOutputAsync("BTCUSDT", Output("rl-b", now - 5_000, 0.9) with { HiddenState = [1, 2, 3] });
        Assert.Equal(1, receipt.Sequence);

        var history = await client.GetModelOutputsAsync("BTCUSDT", "cnn-a", 100);
        Assert.Equal(BaseInputReplayFixture.HistoryLimit, history.Count);
        Assert.Equal(Enumerable.Range(3, 5).Select(i => (long)i), history.Select(o => o.Sequence));
        Assert.Equal(0.56, history[^1].Confidence, 10);

        // A bad output is refused with every reason and changes nothing.
        var rejected = await Assert.ThrowsAsync<ModelOutputRejectedException>(() =>
            client.SubmitModelOutputAsync("BTCUSDT", Output("cnn-a", now + 3_600_000, 1.5) with { Predictions = [double.NaN] }));
        Assert.True(rejected.Errors.Count >= 3, string.Join(" | ", rejected.Errors));
        Assert.Equal(history.Select(Summary), (await client.GetModelOutputsAsync("BTCUSDT", "cnn-a", 100)).Select(Summary));

        // Cross-model feeding: each model's snapshot carries the other's latest output, never its own.
        var asOf = RecordedFacts.DepthSeconds(fixture.Sample, "BTCUSDT").Last;
        var forA = (await client.GetBaseDataResultAsync(new Instrument("binance", "BTCUSDT"), new BaseDataRequest { MinQuality = 0, Model = "cnn-a" })).Input!;
        Assert.Equal(["rl-b"], forA.ModelOutputs.Select(o => o.ModelName));
        Assert.Equal([1, 2, 3], forA.ModelOutputs[0].HiddenState);
        var forB = (await client.GetBaseDataResultAsync(new Instrument("binance", "BTCUSDT"), new BaseDataRequest { MinQuality = 0, Model = "rl-b" })).Input!;
        Assert.Equal(Summary(history[^1]), Summary(Assert.Single(forB.ModelOutputs)));
        // As of a time before every output, no output is visible.
        var past = (await client.GetBaseDataResultAsync(new Instrument("binance", "BTCUSDT"), new BaseDataRequest { MinQuality = 0, AsOf = asOf })).Input!;
        Assert.Empty(past.ModelOutputs);

        // Deactivating the grains loses nothing: state comes back from storage.
        var cluster = fixture.Cluster!;
        var outputGrain = cluster.Client.GetGrain<IModelOutputGrain>(new ModelOutputKey(new Instrument("binance", "BTCUSDT"), "cnn-a").Key);
        var indexGrain = cluster.Client.GetGrain<IModelOutputIndexGrain>("binance:BTCUSDT");
        foreach (var grain in new IGrainWithStringKey[] { outputGrain, indexGrain })
        {
            await cluster.DeactivateAsync(grain);
            await cluster.WaitForDeactivationAsync(grain);
        }
        await Eventually.WaitAsync(() => client.GetModelOutputsAsync("BTCUSDT", "cnn-a", 100), h => h.Select(Summary).SequenceEqual(history.Select(Summary)),
            "history after reactivation");
        var next = await client.SubmitModelOutputAsync("BTCUSDT", Output("cnn-a", now, 0.7));
        Assert.Equal(8, next.Sequence);
        Assert.Equal(["cnn-a", "rl-b"], (await client.GetModelOutputsAsync("BTCUSDT")).Select(o => o.ModelName));

        // A retry of the latest submit gets its receipt back instead of storing a second copy.
        var retry = await client.SubmitModelOutputAsync("BTCUSDT", Output("cnn-a", now, 0.7));
        Assert.Equal(8, retry.Sequence);
        Assert.Equal(8, (await client.GetModelOutputsAsync("BTCUSDT", "cnn-a", 1))[0].Sequence);

        // As of a time between two outputs of a model, the older one is what was known.
        var between = now - 10_000 + 4_500;
        var asOfBetween = (await client.GetBaseDataResultAsync(new Instrument("binance", "BTCUSDT"), new BaseDataRequest { MinQuality = 0, AsOf = between, Model = "rl-b" })).Input!;
        Assert.Equal(between - 500, Assert.Single(asOfBetween.ModelOutputs).Time);

        // An output stamped a little ahead of the silo's clock (allowed skew) is not shown to live snapshots before its time.
        var ahead = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_000;
        await client.SubmitModelOutputAsync("BTCUSDT", Output("fast-clock", ahead, 0.5));
        var live = (await client.GetBaseDataResultAsync(new Instrument("binance", "BTCUSDT"), new BaseDataRequest { MinQuality = 0, Model = "rl-b" })).Input!;
        // A starved test host can take the 3 s between the two calls; then the output's time has come and it is shown.
        if (live.Timestamp < ahead) Assert.DoesNotContain(live.ModelOutputs, o => o.ModelName == "fast-clock");
        else Assert.Contains(live.ModelOutputs, o => o.ModelName == "fast-clock");
        Assert.DoesNotContain(live.Quality.Problems, p => p.Rule == ValidationRules.LookAhead);
    }

    [SkippableFact]
    public async Task Snapshots_are_published_on_the_stream_at_the_configured_interval()
    {
        if (fixture.Sample is null) throw new SkipException("samples/ absent");
        var received = new List<BaseDataInput>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = fixture.Cluster!.Client.GetStreamProvider(MarketStreams.SnapshotProvider)
            .GetStream<BaseDataInput>(StreamId.Create(MarketStreams.BaseInput, Eth.Key));
        var handle = await stream.SubscribeAsync((snapshot, _) =>
        {
            lock (received)
            {
                received.Add(snapshot);
                if (received.Count >= 3) enough.TrySetResult();
            }
            return Task.CompletedTask;
        });
        try
        {
            await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
        lock (received)
        {
            Assert.All(received, s => Assert.Equal("ETHUSDT", s.Symbol));
            Assert.All(received, s => Assert.NotNull(s.Quality.Completeness));
            Assert.True(received.Zip(received.Skip(1)).All(p => p.Second.Timestamp > p.First.Timestamp), "snapshots in time order");
        }
    }

    /// <summary>What identifies a stored output, by value (records compare arrays by reference).</summary>
    private static string Summary(ModelOutput o)
        => $"{o.ModelName}#{o.Sequence}@{o.Time} {o.Confidence} [{string.Join(",", o.Predictions)}] {o.HiddenState?.Length} {string.Join(",", o.Metadata)} {o.ReceivedAt:O}";

    private static ModelOutput Output(string model, long time, double confidence) => new()
    {
        ModelType = model.StartsWith("rl", StringComparison.Ordinal) ? "rl" : "cnn",
        ModelName = model,
        Time = time,
        Confidence = confidence,
        Predictions = [0.2, 0.5, 0.3],
    };

    private static void AssertAlignedAndIncreasing(CandleFrames frames, long asOf)
    {
        var tf = frames.Timeframe.Milliseconds;
        for (var i = 0; i < frames.Candles.Count; i++)
        {
            var c = frames.Candles[i];
            Assert.Equal(0, c.OpenTime % tf);
            Assert.True(c.IsClosed && c.CloseTime <= asOf);
            // Trade-built candles skip seconds without a trade, so increasing, not necessarily contiguous.
            if (i > 0) Assert.True(c.OpenTime > frames.Candles[i - 1].OpenTime);
        }
    }

    /// <summary>Replays the symbol's depth through the pure domain to the given update id and aggregates the book there.</summary>
    private static Aggregation.CobSecond AggregateOfBookAt(string file, string symbol, long updateId, long second)
    {
        var sync = new OrderBookSynchronizer();
        var parser = new BinanceFrameParser();
        foreach (var frame in new RecordingReader([file]).ReadFrames())
        {
            var kind = parser.Parse(frame.Payload.Span);
            var frameSymbol = frame.Source == FrameSource.RestDepth ? frame.Symbol : parser.Symbol;
            if (frameSymbol != symbol || kind is not (BinanceFrameKind.DepthUpdate or BinanceFrameKind.DepthSnapshot)) continue;
            if (parser.ToEvent(frame.ReceivedAtUtc) is DepthDiff diff) sync.OnDiff(diff);
            else sync.OnSnapshot((DepthSnapshot)parser.ToEvent(frame.ReceivedAtUtc));
            if (sync.Status == BookStatus.Synced && sync.Book.LastUpdateId == updateId) break;
        }
        Assert.Equal(updateId, sync.Book.LastUpdateId);
        Assert.True(sync.Book.TryGetBestBid(out var bid));
        Assert.True(sync.Book.TryGetBestAsk(out var ask));
        Assert.True(new BucketConfigResolver().TryResolve(symbol, (bid.Price + ask.Price) / 2, out var config));
        return new BookAggregator().Aggregate(second, sync.Book, config, default, updateId);
    }
}
