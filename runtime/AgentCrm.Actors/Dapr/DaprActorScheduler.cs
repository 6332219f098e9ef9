using System.Text.Json;
using AgentCrm.Actors;

namespace AgentCrm.Dapr;

/// <summary>
/// One reminder change a turn made: a registration due at <see cref="DueAt"/> (absolute, so a call sent late keeps its
/// due time), or a removal (<see cref="DueAt"/> null). Kept in the actor's state as the reminder outbox.
/// </summary>
internal sealed record ReminderCall(string Name, DateTimeOffset? DueAt, TimeSpan? Period, JsonElement? Data);

/// <summary>
/// Reminders and timers of one activation, kept by daprd. A turn's calls are queued; the runtime saves its reminder
/// calls with its state (<see cref="ReminderOutbox"/>) and sends them once that state is saved, and its timer calls just
/// after: a failed turn changes no reminder and no timer. Due times and periods are refused past what daprd can parse
/// (Go's longest duration, ~292 years), in the turn, before anything is saved.
/// </summary>
internal sealed class DaprActorScheduler(ActorId id, DaprSidecarClient sidecar) : IActorScheduler
{
    private readonly List<Func<Task>> _pending = [];
    private readonly List<ReminderCall> _reminders = [];

    public Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dueTime, GoDuration.Max);
        if (period is { } p)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(p, TimeSpan.FromMilliseconds(1), nameof(period));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(p, GoDuration.Max, nameof(period));
        }
        cancellationToken.ThrowIfCancellationRequested();
        _reminders.Add(new ReminderCall(name, sidecar.Time.GetUtcNow() + dueTime, period, data?.Clone()));
        return Task.CompletedTask;
    }

    public Task UnregisterReminderAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        cancellationToken.ThrowIfCancellationRequested();
        _reminders.Add(new ReminderCall(name, null, null, null));
        return Task.CompletedTask;
    }

    public void RegisterTimer(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dueTime, GoDuration.Max);
        if (period is { } p)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(p, TimeSpan.Zero, nameof(period));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(p, GoDuration.Max, nameof(period));
        }
        _pending.Add(() => sidecar.RegisterTimerAsync(id, name, dueTime, period, data, CancellationToken.None));
    }

    public void UnregisterTimer(string name) => _pending.Add(() => sidecar.UnregisterTimerAsync(id, name, CancellationToken.None));

    /// <summary>Takes the reminder calls of a turn that succeeded, in order (empty when it made none).</summary>
    public IReadOnlyList<ReminderCall> TakeReminders()
    {
        if (_reminders.Count == 0)
            return [];
        var taken = _reminders.ToArray();
        _reminders.Clear();
        return taken;
    }

    /// <summary>
    /// Sends reminder calls to daprd in order; throws the first failure. A registration keeps its due time: one past
    /// due (sent late) is registered due at once.
    /// </summary>
    public async Task SendAsync(IReadOnlyList<ReminderCall> calls, CancellationToken cancellationToken = default)
    {
        foreach (var call in calls)
        {
            if (call.DueAt is { } dueAt)
            {
                var dueTime = dueAt - sidecar.Time.GetUtcNow();
                await sidecar.RegisterReminderAsync(id, call.Name, dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime, call.Period, call.Data, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await sidecar.UnregisterReminderAsync(id, call.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends the reminder calls made outside a turn's save (activation, deactivation) at once; throws the first failure.</summary>
    public Task FlushRemindersAsync() => SendAsync(TakeReminders());

    /// <summary>Sends the timer calls of the turn in the order they were made; throws the first failure.</summary>
    public async Task FlushAsync()
    {
        var pending = _pending.ToArray();
        _pending.Clear();
        foreach (var call in pending)
            await call().ConfigureAwait(false);
    }

    /// <summary>A failed turn's reminder and timer calls are dropped with its state changes.</summary>
    public void Discard()
    {
        _pending.Clear();
        _reminders.Clear();
    }
}
