using AgentCrm.Agents.Customers;

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

/// <summary>One stored agent version. <see cref="CanaryPercent"/> is the share of customers an active version serves.</summary>
public sealed record AgentVersionRecord(
    AgentManifest Manifest,
    string ContentHash,
    AgentState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int CanaryPercent = 100)
{
    public string AgentId => Manifest.Id;

    public string Version => Manifest.Version;
}

/// <summary>An agent version that runs in actor turns, with the instance created from its manifest.</summary>
public sealed record LiveAgent(IAgent Agent, AgentVersionRecord Record);

/// <summary>
/// One agent version to run for one customer and event. A shadow run's briefs are kept but never
/// delivered; <see cref="Baseline"/> is the version delivering for that customer, for agreement.
/// </summary>
public sealed record AgentRun(LiveAgent Agent, bool Shadow, LiveAgent? Baseline);

/// <summary>
/// The immutable set of running agent versions. A turn reads <see cref="AgentRegistry.Current"/> once
/// and uses it to the end, so a turn in flight finishes on the versions it started with.
/// </summary>
public sealed class AgentSet(IReadOnlyList<LiveAgent> live)
{
    public static readonly AgentSet Empty = new([]);

    // Each event type once per version: a version stored with a type subscribed twice (registration refuses that now) ran
    // twice on every event of that type, its counters and shadow comparisons doubled.
    private readonly Dictionary<string, LiveAgent[]> _byEventType = live
        .SelectMany(a => a.Record.Manifest.Subscribes.Distinct(StringComparer.Ordinal).Select(t => (Type: t, Agent: a)))
        .GroupBy(x => x.Type, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(x => x.Agent).ToArray(), StringComparer.Ordinal);

    /// <summary>Per event type, the snapshot groups the agents subscribed to it read (and the customer's name, for the brief).</summary>
    private Dictionary<string, SnapshotPlan>? _plans;

    private readonly Dictionary<string, LiveAgent[]> _activeById = live
        .Where(a => a.Record.State == AgentState.Active)
        .GroupBy(a => a.Record.AgentId, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// What runs for this customer on this event: per agent, the active version that serves the customer
    /// (a canary serves its share of customers by a stable hash of the id, the primary the rest), plus
    /// every shadow version.
    /// </summary>
    public IReadOnlyList<AgentRun> For(string eventType, string customerId)
    {
        if (!_byEventType.TryGetValue(eventType, out var subscribed))
            return [];
        var runs = new List<AgentRun>(subscribed.Length);
        foreach (var agent in subscribed)
        {
            var serving = Serving(agent.Record.AgentId, customerId);
            if (agent.Record.State == AgentState.Shadow)
                runs.Add(new AgentRun(agent, true, serving));
            else if (ReferenceEquals(agent, serving))
                runs.Add(new AgentRun(agent, false, null));
        }
        return runs;
    }

    /// <summary>What a snapshot for the agents that run on <paramref name="eventType"/> must derive: every field any of them reads.</summary>
    public SnapshotPlan PlanFor(string eventType)
    {
        var plans = _plans ??= _byEventType.ToDictionary(
            p => p.Key,
            p => SnapshotPlan.For(p.Value.SelectMany(a => a.Record.Manifest.Reads.Concat(a.Record.Manifest.OptionalReads)).Append("profile.name").Distinct(StringComparer.Ordinal).ToList()),
            StringComparer.Ordinal);
        return plans.TryGetValue(eventType, out var plan) ? plan : SnapshotPlan.All;
    }

    /// <summary>The active version of an agent that serves this customer, if any.</summary>
    public LiveAgent? Serving(string agentId, string customerId)
    {
        if (!_activeById.TryGetValue(agentId, out var actives))
            return null;
        if (actives.Length == 1)
            return actives[0];
        var bucket = CanaryBucket(agentId, customerId);
        var canary = actives.FirstOrDefault(a => a.Record.CanaryPercent < 100);
        var primary = actives.FirstOrDefault(a => a.Record.CanaryPercent >= 100) ?? actives[0];
        return canary is not null && bucket < canary.Record.CanaryPercent ? canary : primary;
    }

    /// <summary>
    /// A customer's stable bucket in [0, 100) for one agent: FNV-1a over the agent id's UTF-8 bytes, a byte UTF-8 never
    /// holds (0xFF), and the customer id's. The agent id is in it so that each agent's canary falls on its own customers:
    /// by customer id alone, the same fifth of the accounts got every agent's 20% canary at once.
    /// </summary>
    public static int CanaryBucket(string agentId, string customerId)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(agentId))
            hash = (hash ^ b) * 16777619u;
        hash = (hash ^ 0xFF) * 16777619u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(customerId))
            hash = (hash ^ b) * 16777619u;
        return (int)(hash % 100);
    }

    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _turns;

    /// <summary>1 once the set is replaced (an int for <see cref="Interlocked.Exchange(ref int, int)"/>).</summary>
    private int _replaced;

    public IReadOnlyList<LiveAgent> Live { get; } = live;

    /// <summary>Registers a turn that uses this set; false when the set was replaced meanwhile (read the current one again).</summary>
    internal bool TryEnter()
    {
        // Store (the count), full fence, load (the flag): the mirror of ReplaceAndDrainAsync's, so of a turn entering and a
        // drain starting at once, at least one sees the other.
        Interlocked.Increment(ref _turns);
        if (Volatile.Read(ref _replaced) == 0)
            return true;
        Exit();
        return false;
    }

    internal void Exit()
    {
        if (Interlocked.Decrement(ref _turns) == 0 && Volatile.Read(ref _replaced) == 1)
            _drained.TrySetResult();
    }

    /// <summary>Marks the set replaced; completes once every turn that entered it has left.</summary>
    internal Task ReplaceAndDrainAsync()
    {
        // A full fence between the flag's store and the count's load, not a volatile write then a volatile read: those two
        // may be reordered (a store-load pair, even on x64), so the drain could read 0 turns while a turn whose increment it
        // missed read the flag as not yet set, and went on with the old set after the drain said it was empty (an unregister
        // answering while that turn still wrote a brief of the version it took back).
        Interlocked.Exchange(ref _replaced, 1);
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
