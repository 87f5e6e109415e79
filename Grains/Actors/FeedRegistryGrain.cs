using MarketData.Feeds;
using MarketData.Streams;

namespace MarketData.Actors;

/// <summary>In-memory registry: feeds re-register on every start, so nothing here needs to survive a restart.</summary>
public sealed class FeedRegistryGrain : Grain, IFeedRegistryGrain
{
    private readonly Dictionary<string, FeedRegistration> _feeds = new(StringComparer.Ordinal);
    private readonly HashSet<(string Exchange, string Symbol)> _followed = [];

    public Task RegisterAsync(FeedRegistration registration)
    {
        if (_feeds.TryGetValue(registration.FeedId, out var known) && known.Kind == registration.Kind
            && known.Symbols.SequenceEqual(registration.Symbols, StringComparer.Ordinal))
            return Task.CompletedTask;
        _feeds[registration.FeedId] = registration;
        _followed.Clear();
        foreach (var feed in _feeds.Values)
            foreach (var symbol in feed.Symbols)
                _followed.Add((feed.Exchange, symbol));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<FeedRegistration>> GetFeedsAsync()
        => Task.FromResult<IReadOnlyList<FeedRegistration>>(_feeds.Values.OrderBy(f => f.FeedId, StringComparer.Ordinal).ToList());

    public async Task<IReadOnlyList<FeedStatus>> GetStatusesAsync()
    {
        var feeds = _feeds.Values.OrderBy(f => f.FeedId, StringComparer.Ordinal).ToList();
        var statuses = await Task.WhenAll(feeds.Select(f => FeedGrains.Get(GrainFactory, f.Kind, f.FeedId).GetStatusAsync()));
        return statuses;
    }

    public Task<FeedRegistration?> FindFeedAsync(string exchange, string symbol)
        => Task.FromResult(_feeds.Values
            .Where(f => f.Exchange == exchange && f.Symbols.Contains(symbol, StringComparer.Ordinal))
            .OrderBy(f => f.Kind == FeedKind.BinanceSpot ? 0 : 1)
            .ThenBy(f => f.FeedId, StringComparer.Ordinal)
            .FirstOrDefault());

    public Task<bool> IsFollowedAsync(string exchange, string symbol) => Task.FromResult(_followed.Contains((exchange, symbol)));
}

/// <summary>Resolves the grain behind a feed id: the kind decides the grain class.</summary>
public static class FeedGrains
{
    /// <summary>The feed grain that serves REST for an instrument, or null when no feed follows it.</summary>
    public static async Task<IFeedGrain?> ForInstrumentAsync(IGrainFactory factory, Instruments.Instrument instrument)
        => await factory.GetGrain<IFeedRegistryGrain>(0).FindFeedAsync(instrument.Exchange, instrument.Symbol) is { } feed
            ? Get(factory, feed.Kind, feed.FeedId)
            : null;

    public static IFeedGrain Get(IGrainFactory factory, FeedKind kind, string feedId) => kind switch
    {
        FeedKind.Replay => factory.GetGrain<IReplayFeedGrain>(feedId),
        _ => factory.GetGrain<IBinanceFeedGrain>(feedId),
    };
}
