namespace MarketData.Tests.Integration;

/// <summary>Waits for a condition that the system reaches on its own (a book syncing), with a bounded timeout.</summary>
internal static class Eventually
{
    /// <summary>The bound of every wait unless a test says otherwise: generous, since CI's 2 cores are busy.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Polls <paramref name="condition"/> every <paramref name="poll"/> (20 ms) until it holds; after <paramref name="timeout"/>
    /// (<see cref="Patience"/>) throws a <see cref="TimeoutException"/> naming <paramref name="what"/>, with
    /// <paramref name="detail"/> read at that moment.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}{(detail is null ? "" : ". " + detail())}");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(20));
        }
    }

    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        T last;
        while (true)
        {
            last = await probe();
            if (done(last)) return last;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}; last observed: {last}");
            await Task.Delay(100);
        }
    }
}
