using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>
/// What an activation sees as <see cref="IActorScheduler"/>: reminder changes are enlisted with the turn's state (the
/// durable <see cref="ReminderScheduler"/> fires them), timers stay with the activation.
/// </summary>
internal sealed class ActivationScheduler(ActorActivation activation, ReminderScheduler reminders) : IActorScheduler
{
    private string? _firingReminder;
    private bool _firingReminderChanged;

    // Enlisted with the turn's state (see ReminderScheduler.Register): saved in the same transaction, or not at all.
    public Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = reminders.Register(activation.Id, name, dueTime, period, data);
        Touch(name);
        activation.State.Enlist(write);
        return Task.CompletedTask;
    }

    public Task UnregisterReminderAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = ReminderScheduler.Unregister(activation.Id, name);
        Touch(name);
        activation.State.Enlist(write);
        return Task.CompletedTask;
    }

    public void RegisterTimer(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        if (period is { } p)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(p, TimeSpan.Zero, nameof(period));
        activation.Timers.Register(name, dueTime, period, data);
    }

    public void UnregisterTimer(string name) => activation.Timers.Unregister(name);

    /// <summary>Called as a reminder's turn starts, so a change of that reminder during the turn is noticed.</summary>
    internal void BeginReminderTurn(string name)
    {
        _firingReminder = name;
        _firingReminderChanged = false;
    }

    /// <summary>True when the turn registered or unregistered the reminder that fired it.</summary>
    internal bool EndReminderTurn()
    {
        var changed = _firingReminderChanged;
        _firingReminder = null;
        _firingReminderChanged = false;
        return changed;
    }

    private void Touch(string name)
    {
        if (string.Equals(name, _firingReminder, StringComparison.Ordinal))
            _firingReminderChanged = true;
    }
}
