namespace MarketData.Tests.Storage.Schema;

/// <summary>A grain that counts the ticks of its reminder, to see reminders fire from the PostgreSQL table.</summary>
[Alias("MarketData.Tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Start")] Task StartAsync(TimeSpan dueTime, TimeSpan period);
    [Alias("Stop")] Task StopAsync();
    [Alias("Ticks")] Task<int> GetTicksAsync();
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";
    private int _ticks;

    public Task StartAsync(TimeSpan dueTime, TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, dueTime, period);

    public async Task StopAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
    }

    public Task<int> GetTicksAsync() => Task.FromResult(_ticks);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName) _ticks++;
        return Task.CompletedTask;
    }
}
