using System.Collections.Concurrent;

namespace AgentCrm.Actors.Tests.Actors;

/// <summary>What the test actors report to their test: one per host, shared across hosts of one test.</summary>
internal sealed class Probe
{
    /// <summary>
    /// How long a test waits for what must happen (never for what must not): generous, for a shared CI machine where a
    /// thousand calls on two busy cores can take seconds. A passing test never waits it out.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<ActorId, int> _inTurn = new();
    private readonly ConcurrentDictionary<ActorId, int> _live = new();
    private readonly ConcurrentDictionary<ActorId, int> _activations = new();
    private readonly ConcurrentDictionary<ActorId, int> _deactivationsStarted = new();
    private readonly ConcurrentDictionary<ActorId, int> _deactivations = new();
    private readonly ConcurrentDictionary<ActorId, ConcurrentQueue<int>> _appended = new();
    private readonly ConcurrentDictionary<ActorId, ConcurrentQueue<string>> _reminders = new();
    private readonly ConcurrentDictionary<ActorId, ConcurrentQueue<string>> _timers = new();
    private readonly ConcurrentQueue<string?> _callbackData = new();
    private readonly TaskCompletionSource _rendezvous = NewSignal();
    private TaskCompletionSource _changed = NewSignal();
    private int _running;
    private int _maxRunning;
    private int _maxInTurn;
    private int _maxLive;
    private int _gateEntered;
    private int _arrived;

    /// <summary>Turns of "rendezvous" wait until this many are inside at once.</summary>
    public int RendezvousTarget { get; set; } = int.MaxValue;

    /// <summary>Holds "wait" turns until released.</summary>
    public TaskCompletionSource Gate { get; } = NewSignal();

    /// <summary>How many of the next activations throw from OnActivateAsync.</summary>
    public int FailActivations { get; set; }

    /// <summary>How many more runs of a <c>log-conflicting</c> turn the enlisted write refuses with <see cref="TurnConflictException"/>.</summary>
    public int ConflictsLeft;

    /// <summary>Runs of <c>log-conflicting</c> turns so far.</summary>
    public int ConflictingRuns;

    /// <summary>Actions run after a turn's save (<see cref="IActorStateManager.OnSaved"/>) so far.</summary>
    public int SavedRuns;

    /// <summary>How many more saves of a <c>count-flaky</c> turn fail (its enlisted write throws).</summary>
    public int FailSaves;

    /// <summary>How many of the next turns of reminder "rearm" throw after re-registering it (30 days on).</summary>
    public int FailRearms { get; set; }

    /// <summary>When set, OnDeactivateAsync waits for it.</summary>
    public TaskCompletionSource? DeactivationGate { get; set; }

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public int MaxInTurn => Volatile.Read(ref _maxInTurn);

    public int MaxLive => Volatile.Read(ref _maxLive);

    public int GateEntered => Volatile.Read(ref _gateEntered);

    public int Activations(ActorId id) => _activations.GetValueOrDefault(id);

    public int DeactivationsStarted(ActorId id) => _deactivationsStarted.GetValueOrDefault(id);

    public int Deactivations(ActorId id) => _deactivations.GetValueOrDefault(id);

    public int[] Appended(ActorId id) => [.. _appended.GetOrAdd(id, _ => new())];

    public string[] Reminders(ActorId id) => [.. _reminders.GetOrAdd(id, _ => new())];

    public string[] Timers(ActorId id) => [.. _timers.GetOrAdd(id, _ => new())];

    /// <summary>The raw JSON of the data each reminder or timer callback carried (null when it had none), in arrival order.</summary>
    public string?[] CallbackData => [.. _callbackData];

    public void EnterTurn(ActorId id)
    {
        Max(ref _maxInTurn, _inTurn.AddOrUpdate(id, 1, (_, n) => n + 1));
        Max(ref _maxRunning, Interlocked.Increment(ref _running));
    }

    public void ExitTurn(ActorId id)
    {
        _inTurn.AddOrUpdate(id, 0, (_, n) => n - 1);
        Interlocked.Decrement(ref _running);
    }

    public void Activated(ActorId id)
    {
        Max(ref _maxLive, _live.AddOrUpdate(id, 1, (_, n) => n + 1));
        _activations.AddOrUpdate(id, 1, (_, n) => n + 1);
        Pulse();
    }

    public void DeactivationStarted(ActorId id)
    {
        _deactivationsStarted.AddOrUpdate(id, 1, (_, n) => n + 1);
        Pulse();
    }

    public void Deactivated(ActorId id)
    {
        _live.AddOrUpdate(id, 0, (_, n) => n - 1);
        _deactivations.AddOrUpdate(id, 1, (_, n) => n + 1);
        Pulse();
    }

    public void CountSaved() => Interlocked.Increment(ref SavedRuns);

    public void Append(ActorId id, int value) => _appended.GetOrAdd(id, _ => new()).Enqueue(value);

    public void Reminded(ActorId id, string name, string? data = null)
    {
        _callbackData.Enqueue(data);
        _reminders.GetOrAdd(id, _ => new()).Enqueue(name);
        Pulse();
    }

    public void TimerFired(ActorId id, string name, string? data = null)
    {
        _callbackData.Enqueue(data);
        _timers.GetOrAdd(id, _ => new()).Enqueue(name);
        Pulse();
    }

    /// <summary>Returns once <see cref="RendezvousTarget"/> turns have arrived; none leaves before, so they all ran at once.</summary>
    public Task ArriveAtRendezvousAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _arrived) >= RendezvousTarget)
            _rendezvous.TrySetResult();
        return _rendezvous.Task.WaitAsync(Timeout, cancellationToken);
    }

    public void EnteredGate()
    {
        Interlocked.Increment(ref _gateEntered);
        Pulse();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking whenever an actor reports something.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string expected)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (condition())
                return;
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Waited {Timeout} for {expected}.");
            }
        }
    }

    private void Pulse() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Max(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
                return;
            current = seen;
        }
    }
}
