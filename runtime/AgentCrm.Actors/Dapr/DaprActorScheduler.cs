using System.Text.Json;
using AgentCrm.Actors;

namespace AgentCrm.Dapr;

/// <summary>
/// Reminders and timers of one activation, kept by daprd. Timer registration is synchronous in
/// <see cref="IActorScheduler"/>, so those calls are queued and sent, in order, before the turn ends:
/// the caller hears back only once daprd holds them.
/// </summary>
internal sealed class DaprActorScheduler(ActorId id, DaprSidecarClient sidecar) : IActorScheduler
{
    private readonly List<Func<Task>> _pending = [];

    public Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        if (period is { } p)
            ArgumentOutOfRangeException.ThrowIfLessThan(p, TimeSpan.FromMilliseconds(1), nameof(period));
        return sidecar.RegisterReminderAsync(id, name, dueTime, period, data, cancellationToken);
    }

    public Task UnregisterReminderAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return sidecar.UnregisterReminderAsync(id, name, cancellationToken);
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

    /// <summary>Sends the timer calls of the turn in the order they were made; throws the first failure.</summary>
    public async Task FlushAsync()
    {
        var pending = _pending.ToArray();
        _pending.Clear();
        foreach (var call in pending)
            await call().ConfigureAwait(false);
    }

    /// <summary>A failed turn's timer calls are dropped with its state changes.</summary>
    public void Discard() => _pending.Clear();
}
