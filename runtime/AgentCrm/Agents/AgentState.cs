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

    public IReadOnlyList<LiveAgent> Live { get; } = live;

    public IReadOnlyList<LiveAgent> SubscribedTo(string eventType) =>
        _byEventType.TryGetValue(eventType, out var agents) ? agents : [];
}
