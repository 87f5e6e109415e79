namespace MarketData.Tests.Integration;

/// <summary>Waits for a condition that the system reaches on its own (a book syncing), with a bounded timeout.</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
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
