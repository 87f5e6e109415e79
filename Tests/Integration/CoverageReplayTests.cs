using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MarketData.Aggregation;
using MarketData.Books;
using MarketData.Candles;
using MarketData.Client;
using MarketData.Domain.Books;
using MarketData.Feeds;
using MarketData.Inputs;
using MarketData.Instruments;
using MarketData.ModelOutputs;
using MarketData.Storage;
using MarketData.Streams;
using MarketData.Tests.Recording;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace MarketData.Tests.Integration;

/// <summary>
/// The two BTCUSDT hftbacktest recordings (MIT, ../shared/data/hftbacktest) replayed through a silo: BTC falls below the
/// floor of the recording's only 1,000-level snapshot, so at the last update id the touch lies beyond the verified range.
/// The book must still be synced, serve a full top 20 equal to an independent rebuild of the raw recording, report the
/// verified range, and every view of it (aggregate, heatmap, microstructure, stored snapshot, BaseDataInput) must say
/// the same.
/// </summary>
public sealed class CoverageReplayTests : IAsyncLifetime
{
    private const long LastUpdateId = 50093696318;
    private static readonly Instrument Btc = new("binance", "BTCUSDT");
    private readonly CapturingArchive _archive = new();
    private InProcessTestCluster? _cluster;
    private string[]? _files;

    public async Task InitializeAsync()
    {
        var folder = RecordingTestFiles.SharedFolder("hftbacktest");
        if (folder is null) return;
        _files = [Path.Combine(folder, "binance-spot_btcusdt_20240808.gz"), Path.Combine(folder, "binance-spot_btcusdt_20240809.gz")];
        _cluster = await TestClusters.StartAsync(new Dictionary<string, string?>
        {
            ["Replay:Files:0"] = _files[0],
            ["Replay:Files:1"] = _files[1],
            ["Replay:Speed"] = "0",
            ["Books:StaleAfter"] = "00:10:00", // the comparison must not race the staleness timer
            ["TimeSeries:BookSnapshotInterval"] = "00:00:10",
            ["TimeSeries:BookSnapshotDepth"] = "50",
        }, services => services.AddSingleton<IMarketDataArchive>(_archive));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is null) return;
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [SkippableFact]
    public async Task At_the_last_update_the_book_serves_a_full_top_20_equal_to_an_independent_rebuild_and_reports_its_verified_range()
    {
        if (_cluster is null || _files is null) throw new SkipException("../shared/data/hftbacktest absent: nothing to replay");
        var rebuild = IndependentBook.Rebuild(_files, stopAt: null);
        Assert.Equal(LastUpdateId, rebuild.LastUpdateId);

        var client = new MarketDataClient(_cluster.Client);
        await Eventually.WaitAsync(() => client.GetFeedsAsync(), f => f.Count == 1 && f[0].State == FeedState.Completed, "replay completed");
        var view = await Eventually.WaitAsync(() => client.GetBookAsync(Btc, 20), v => v.LastUpdateId == LastUpdateId, $"book at {LastUpdateId}");

        Assert.Equal(BookStatus.Synced, view.Status);
        Assert.Equal(20, view.Bids.Count);
        Assert.Equal(20, view.Asks.Count);
        Assert.Equal(rebuild.Top(bids: true, 20), view.Bids);
        Assert.Equal(rebuild.Top(bids: false, 20), view.Asks);
        Assert.Equal(view.Bids[0], view.BestBid);

        // The snapshot's 1,000 bids reached down to 61,631.55; BTC fell below it, so every served bid lies beyond.
        Assert.Equal(61631.55m, view.VerifiedBidFloor);
        Assert.Equal(rebuild.Snapshot.Asks.Max(l => l.Price), view.VerifiedAskCeiling);
        Assert.True(view.BestBid!.Value.Price < view.VerifiedBidFloor, $"best bid {view.BestBid.Value.Price} is below the floor");
        Assert.Equal(20, view.BidsBeyondVerified);
        Assert.Equal(0, view.AsksBeyondVerified);

        var health = await client.GetBookHealthAsync(Btc);
        Assert.NotNull(health.Coverage);
        Assert.False(health.Coverage.BidTouchVerified);
        Assert.True(health.Coverage.AskTouchVerified);
        Assert.Equal(rebuild.Bids.Count(kv => kv.Key < FixedPoint.FromDecimal(61631.55m)), health.Coverage.BidLevelsBeyond);
        Assert.Equal(0, health.RefreshRequests); // a replay cannot fetch: it never asks
        Assert.Equal(0, health.Gaps);

        // The per-second aggregate of the last recorded second: touches flagged, lowest buckets marked unverified.
        var cob = await Eventually.WaitAsync(() => client.GetLatestCobAsync(Btc), c => c is { IsGap: false } && c.BookUpdateId == LastUpdateId,
            "the last second aggregated at the last update");
        Assert.False(cob!.BidTouchVerified);
        Assert.True(cob.AskTouchVerified);
        Assert.True(cob.UnverifiedBidBuckets > 0 && cob.UnverifiedBidBuckets <= cob.Buckets.Length);
        Assert.Equal(0, cob.UnverifiedAskBuckets);
        Assert.Equal(FixedPoint.FromDecimal(view.BestAsk!.Value.Price - view.BestBid.Value.Price), cob.Spread);
        // Every bucket below the floor is unverified, every one from it on is verified.
        var floor = FixedPoint.FromDecimal(61631.55m);
        Assert.Equal(cob.Buckets.Count(b => b.PriceFrom < floor), cob.UnverifiedBidBuckets);

        // BaseDataInput: its aggregate and heatmap come from one turn of the book grain (quiet seconds keep closing after
        // the replay, so two separate reads may see different latest seconds); coverage, microstructure, the heatmap's
        // last row and the quality report all agree with that aggregate.
        var input = await client.GetBaseDataInputAsync("BTCUSDT", minQuality: 0);
        var aggregate = input.Book.Aggregate!;
        Assert.Equal(LastUpdateId, aggregate.BookUpdateId);
        Assert.Equal((cob.UnverifiedBidBuckets, cob.UnverifiedAskBuckets, false), (aggregate.UnverifiedBidBuckets, aggregate.UnverifiedAskBuckets, aggregate.BidTouchVerified));
        var map = input.Book.Heatmap!;
        Assert.Equal(aggregate.Time, map.Times[^1]);
        Assert.Equal(aggregate.RangeLow + aggregate.UnverifiedBidBuckets * aggregate.BucketSize, map.VerifiedFrom[^1]);
        Assert.Equal(aggregate.RangeHigh, map.VerifiedTo[^1]);
        Assert.NotNull(input.Book.Coverage);
        Assert.False(input.Book.Coverage.BidTouchVerified);
        Assert.Equal(floor, input.Book.Coverage.VerifiedBidFloor);
        Assert.Equal(health.Coverage.BidLevelsBeyond, input.Book.Coverage.BidLevelsBeyond);
        Assert.NotNull(input.Microstructure);
        Assert.False(input.Microstructure.BidTouchVerified);
        Assert.Contains(input.Quality.Problems, p => p.Rule == ValidationRules.TouchUnverified && p.Field == "book.coverage.bidTouchVerified");

        // Stored snapshots carry every level with the range beside them; the last one equals the rebuild at its update id.
        var stored = _archive.BookSnapshots.Where(s => s.Instrument == Btc).MaxBy(s => s.LastUpdateId)!;
        // 50 levels a side stored: the bids all lie below the floor (it stands); the asks stop short of the ceiling, so
        // the stored copy vouches for them only down to its last one.
        Assert.Equal(new VerifiedRange(floor, stored.Asks[^1].Price), stored.Verified);
        var then = IndependentBook.Rebuild(_files, stopAt: stored.LastUpdateId);
        Assert.Equal(stored.LastUpdateId, then.LastUpdateId);
        Assert.Equal(then.Top(bids: true, 50), stored.Bids.Select(Level));
        Assert.Equal(then.Top(bids: false, 50), stored.Asks.Select(Level));
        Assert.Contains(_archive.BookSnapshots, s => s.Instrument == Btc && s.Bids[0].Price < floor); // snapshots beyond the floor are stored whole
    }

    private static BookLevel Level(PriceLevel l) => new(FixedPoint.ToDecimal(l.Price), FixedPoint.ToDecimal(l.Quantity));

    /// <summary>
    /// Binance's documented procedure on the raw JSON lines, written apart from the project's parser and synchroniser:
    /// the REST snapshot, then every diff with u &gt; lastUpdateId (the first must have U &lt;= lastUpdateId + 1 &lt;= u),
    /// each level set to its absolute quantity, 0 removing it. Nothing is bounded.
    /// </summary>
    private sealed class IndependentBook
    {
        public SortedDictionary<long, long> Bids { get; } = new();
        public SortedDictionary<long, long> Asks { get; } = new();
        public long LastUpdateId { get; private set; }
        public (List<BookLevel> Bids, List<BookLevel> Asks) Snapshot { get; private set; }

        public static IndependentBook Rebuild(string[] files, long? stopAt)
        {
            var book = new IndependentBook();
            var loaded = false;
            var pending = new List<JsonElement>();
            foreach (var file in files)
            {
                using var stream = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                while (reader.ReadLine() is { } line)
                {
                    var json = JsonDocument.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]).RootElement;
                    if (json.TryGetProperty("lastUpdateId", out var id))
                    {
                        book.Load(id.GetInt64(), json);
                        loaded = true;
                        foreach (var diff in pending) book.Apply(diff);
                        pending.Clear();
                        continue;
                    }
                    if (!json.TryGetProperty("data", out var data) || !data.TryGetProperty("e", out var e) || e.GetString() != "depthUpdate") continue;
                    if (!loaded) { pending.Add(data.Clone()); continue; }
                    if (stopAt is { } stop && data.GetProperty("u").GetInt64() > stop) return book;
                    book.Apply(data);
                }
            }
            return book;
        }

        public BookLevel[] Top(bool bids, int n)
            => (bids ? Bids.Reverse() : Asks).Take(n).Select(kv => new BookLevel(FixedPoint.ToDecimal(kv.Key), FixedPoint.ToDecimal(kv.Value))).ToArray();

        private void Load(long id, JsonElement json)
        {
            LastUpdateId = id;
            Bids.Clear();
            Asks.Clear();
            Set(Bids, json.GetProperty("bids"));
            Set(Asks, json.GetProperty("asks"));
            Snapshot = (Bids.Select(ToLevel).ToList(), Asks.Select(ToLevel).ToList());
        }

        private void Apply(JsonElement diff)
        {
            var first = diff.GetProperty("U").GetInt64();
            var final = diff.GetProperty("u").GetInt64();
            if (final <= LastUpdateId) return;
            Assert.True(first <= LastUpdateId + 1, $"gap in the recording: book at {LastUpdateId}, diff U={first}");
            Set(Bids, diff.GetProperty("b"));
            Set(Asks, diff.GetProperty("a"));
            LastUpdateId = final;
        }

        private static void Set(SortedDictionary<long, long> side, JsonElement levels)
        {
            foreach (var level in levels.EnumerateArray())
            {
                var price = FixedPoint.FromDecimal(decimal.Parse(level[0].GetString()!, CultureInfo.InvariantCulture));
                var quantity = FixedPoint.FromDecimal(decimal.Parse(level[1].GetString()!, CultureInfo.InvariantCulture));
                if (quantity == 0) side.Remove(price);
                else side[price] = quantity;
            }
        }

        private static BookLevel ToLevel(KeyValuePair<long, long> kv) => new(FixedPoint.ToDecimal(kv.Key), FixedPoint.ToDecimal(kv.Value));
    }

    /// <summary>An archive that keeps what the grains hand it (a test double of the PostgreSQL writer's queue).</summary>
    private sealed class CapturingArchive : IMarketDataArchive
    {
        public sealed record Stored(Instrument Instrument, long Time, long LastUpdateId, PriceLevel[] Bids, PriceLevel[] Asks, VerifiedRange Verified);

        private readonly ConcurrentQueue<Stored> _snapshots = new();
        public IReadOnlyCollection<Stored> BookSnapshots => _snapshots;

        public bool TryAddTrade(Instrument instrument, TradeEvent trade) => true;
        public bool TryAddCandle(Instrument instrument, Timeframe timeframe, in Candle candle) => true;
        public bool TryAddCob(Instrument instrument, CobSecond second) => true;
        public bool TryAddModelOutput(Instrument instrument, ModelOutput output) => true;

        public bool TryAddBookSnapshot(Instrument instrument, long time, long lastUpdateId, PriceLevel[] bids, PriceLevel[] asks, VerifiedRange verified)
        {
            _snapshots.Enqueue(new Stored(instrument, time, lastUpdateId, bids, asks, verified));
            return true;
        }
    }
}
