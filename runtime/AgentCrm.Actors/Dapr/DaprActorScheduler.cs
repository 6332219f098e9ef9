using System.Text.Json;
using AgentCrm.Actors;

namespace AgentCrm.Dapr;

/// <summary>
/// Reminders and timers of one activation, kept by daprd. The calls a turn makes are queued and sent, in order, once
/// the turn succeeded (reminders just before its state is saved, timers just after), before the caller hears back:
/// a failed turn changes no reminder and no timer.
/// </summary>
internal sealed class DaprActorScheduler(ActorId id, DaprSidecarClient sidecar) : IActorScheduler
{
    private readonly List<Func<Task>> _pending = [];
    private readonly List<Func<Task>> _reminders = [];

    public Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        if (period is { } p)
            ArgumentOutOfRangeException.ThrowIfLessThan(p, TimeSpan.FromMilliseconds(1), nameof(period));
        cancellationToken.ThrowIfCancellationRequested();
        var copy = data?.Clone();
        _reminders.Add(() => sidecar.RegisterReminderAsync(id, name, dueTime, period, copy, CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task UnregisterReminderAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        cancellationToken.ThrowIfCancellationRequested();
        _reminders.Add(() => sidecar.UnregisterReminderAsync(id, name, CancellationToken.None));
        return Task.CompletedTask;
    }

    public void RegisterTimer(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        if (period is { } p)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(p, TimeSpan.Zero, nameof(period));
        _pending.Add(() => sidecar.RegisterTimerAsync(id, name, dueTime, period, data, CancellationToken.None));
    }

    public void UnregisterTimer(string name) => _pending.Add(() => sidecar.UnregisterTimerAsync(id, name, CancellationToken.None));

    /// <summary>
    /// Sends the reminder calls of a turn that succeeded, in order, before its state is saved; throws the first failure
    /// (the turn then fails and is retried, registering them again). A turn that failed sends none, so a reminder
    /// moves on only with a turn that succeeded.
    /// </summary>
    public Task FlushRemindersAsync() => SendAsync(_reminders);

    /// <summary>Sends the timer calls of the turn in the order they were made; throws the first failure.</summary>
    public Task FlushAsync() => SendAsync(_pending);

    /// <summary>A failed turn's reminder and timer calls are dropped with its state changes.</summary>
    public void Discard()
    {
        _pending.Clear();
        _reminders.Clear();
    }

    private static async Task SendAsync(List<Func<Task>> calls)
    {
        var pending = calls.ToArray();
        calls.Clear();
        foreach (var call in pending)
            await call().ConfigureAwait(false);
    }
}
