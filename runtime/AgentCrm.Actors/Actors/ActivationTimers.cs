using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>The in-memory timers of one activation; all of them end with it.</summary>
internal sealed class ActivationTimers(ActorActivation owner, TimeProvider time) : IDisposable
{
    private readonly Dictionary<string, ActorTimer> _timers = new(StringComparer.Ordinal);
    private bool _disposed;

    public void Register(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data)
    {
        lock (_timers)
        {
            if (_timers.Remove(name, out var old))
                old.Dispose();
            // Registered while deactivating: it could never fire.
            if (_disposed)
                return;
            _timers[name] = new ActorTimer(owner, name, dueTime, period, data, time);
        }
    }

    public void Unregister(string name)
    {
        lock (_timers)
        {
            if (_timers.Remove(name, out var old))
                old.Dispose();
        }
    }

    /// <summary>Delivers a queued tick unless its timer was unregistered or replaced meanwhile; a one-shot timer ends here.</summary>
    public Task FireAsync(ActorTimer timer, CancellationToken cancellationToken)
    {
        lock (_timers)
        {
            if (!_timers.TryGetValue(timer.Name, out var current) || current != timer)
                return Task.CompletedTask;
            if (!timer.IsPeriodic)
            {
                _timers.Remove(timer.Name);
                timer.Dispose();
            }
        }
        return owner.Actor.ReceiveTimerAsync(timer.Name, timer.Data, cancellationToken);
    }

    public void Dispose()
    {
        lock (_timers)
        {
            _disposed = true;
            foreach (var timer in _timers.Values)
                timer.Dispose();
            _timers.Clear();
        }
    }
}
