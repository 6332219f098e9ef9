using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>An in-memory timer of one activation; each tick is queued as a turn unless the previous tick has not run yet.</summary>
internal sealed class ActorTimer : IDisposable
{
    private readonly ActorActivation _owner;
    private readonly ITimer _timer;
    private int _queued;

    public ActorTimer(ActorActivation owner, string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data, TimeProvider time)
    {
        _owner = owner;
        Name = name;
        Data = data;
        IsPeriodic = period is not null;
        _timer = time.CreateTimer(static state => ((ActorTimer)state!).Tick(), this, dueTime, period ?? Timeout.InfiniteTimeSpan);
    }

    public string Name { get; }

    public JsonElement? Data { get; }

    public bool IsPeriodic { get; }

    /// <summary>Called as the queued tick is delivered (or could not be queued): the next tick queues again.</summary>
    public void ClearQueued() => Volatile.Write(ref _queued, 0);

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        // Ticks coalesce while one is still waiting in the mailbox instead of piling up behind a busy actor.
        if (Interlocked.Exchange(ref _queued, 1) == 1)
            return;
        if (!_owner.TryEnqueue(new TimerTick(this)))
            ClearQueued();
    }
}
