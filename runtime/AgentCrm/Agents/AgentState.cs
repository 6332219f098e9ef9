namespace AgentCrm.Agents;

/// <summary>Lifecycle states of an agent version (API.md).</summary>
public enum AgentState
{
    Registered,
    Evaluated,
    Shadow,
    Active,
    Suspended,
    Retired,
}

/// <summary>One stored agent version.</summary>
public sealed record AgentVersionRecord(
    AgentManifest Manifest,
    string ContentHash,
    AgentState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public string AgentId => Manifest.Id;

    public string Version => Manifest.Version;
}

/// <summary>An agent version that runs in actor turns, with the instance created from its manifest.</summary>
public sealed record LiveAgent(IAgent Agent, AgentVersionRecord Record);

/// <summary>
/// The immutable set of running agent versions. A turn reads <see cref="AgentRegistry.Current"/> once
/// and uses it to the end, so a turn in flight finishes on the versions it started with.
/// </summary>
public sealed class AgentSet(IReadOnlyList<LiveAgent> live)
{
    public static readonly AgentSet Empty = new([]);

    private readonly Dictionary<string, LiveAgent[]> _byEventType = live
        .SelectMany(a => a.Record.Manifest.Subscribes.Select(t => (Type: t, Agent: a)))
        .GroupBy(x => x.Type, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(x => x.Agent).ToArray(), StringComparer.Ordinal);

    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _turns;
    private volatile bool _replaced;

    public IReadOnlyList<LiveAgent> Live { get; } = live;

    public IReadOnlyList<LiveAgent> SubscribedTo(string eventType) =>
        _byEventType.TryGetValue(eventType, out var agents) ? agents : [];

    /// <summary>Registers a turn that uses this set; false when the set was replaced meanwhile (read the current one again).</summary>
    internal bool TryEnter()
    {
        Interlocked.Increment(ref _turns);
        if (!_replaced)
            return true;
        Exit();
        return false;
    }

    internal void Exit()
    {
        if (Interlocked.Decrement(ref _turns) == 0 && _replaced)
            _drained.TrySetResult();
    }

    /// <summary>Marks the set replaced; completes once every turn that entered it has left.</summary>
    internal Task ReplaceAndDrainAsync()
    {
        _replaced = true;
        if (Volatile.Read(ref _turns) == 0)
            _drained.TrySetResult();
        return _drained.Task;
    }
}

/// <summary>A turn's hold on the agent set it started with; dispose when the turn ends.</summary>
public readonly struct AgentSetLease(AgentSet set) : IDisposable
{
    public AgentSet Set { get; } = set;

    public void Dispose() => Set.Exit();
}
