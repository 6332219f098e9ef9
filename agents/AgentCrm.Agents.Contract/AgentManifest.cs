using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentCrm.Agents;

/// <summary>
/// One immutable agent version as ops register it: what it watches, what it reads, when it fires,
/// and what must be true before it may reach a CSM.
/// </summary>
public sealed record AgentManifest
{
    /// <summary>Stable agent id, lower-case letters, digits and dashes (e.g. <c>renewal-risk</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Version, <c>MAJOR.MINOR.PATCH</c> with an optional <c>-suffix</c>.</summary>
    public required string Version { get; init; }

    /// <summary>The implementation that runs this manifest (a built-in kind such as <c>renewal-risk</c>).</summary>
    public required string Kind { get; init; }

    /// <summary>The CSM-facing scenario the briefs belong to (e.g. <c>renewal-risk</c>).</summary>
    public string Scenario { get; init; } = "";

    /// <summary>Event types whose arrival triggers an assessment.</summary>
    public IReadOnlyList<string> Subscribes { get; init; } = [];

    /// <summary>Snapshot fields the agent reads (the consent gate works on these).</summary>
    public IReadOnlyList<string> Reads { get; init; } = [];

    /// <summary>Snapshot fields the agent uses when the customer allows them and does without otherwise.</summary>
    public IReadOnlyList<string> OptionalReads { get; init; } = [];

    /// <summary>Why the agent processes customer data (matched against consent grants).</summary>
    public string Purpose { get; init; } = "";

    /// <summary>Score at or above which the assessment fires.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Minimum days between two briefs of this agent for one customer, unless the score rises materially.</summary>
    public double CooldownDays { get; init; } = 7;

    /// <summary>What a sandbox report must show before this version may be promoted.</summary>
    public GateCriteria Gate { get; init; } = new();

    /// <summary>Whether briefs wait for a reviewer or are delivered and may be vetoed afterwards.</summary>
    public VetoPolicy VetoPolicy { get; init; } = VetoPolicy.DeliverThenVeto;

    /// <summary>How long after delivery a reviewer may still retract a brief (<see cref="VetoPolicy.DeliverThenVeto"/>).</summary>
    public double VetoWindowHours { get; init; } = 72;

    /// <summary>The query the brief composer sends to the knowledge store.</summary>
    public string KnowledgeQuery { get; init; } = "";

    /// <summary>Human description of the agent.</summary>
    public string Description { get; init; } = "";

    /// <summary>Kind-specific parameters (weights, horizons…), validated by the kind.</summary>
    public IReadOnlyDictionary<string, JsonElement> Parameters { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The conditions, weights and brief template of a declarative agent (kind <c>rules</c>); absent for other kinds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RuleSet? Rules { get; init; }
}

/// <summary>The promotion gate: a report on at least <see cref="MinCases"/> cases whose precision and recall lower bounds reach the minimums.</summary>
public sealed record GateCriteria
{
    /// <summary>Fewest replayed cases a passing report may have.</summary>
    public int MinCases { get; init; } = 200;

    /// <summary>Lowest acceptable precision (lower bound of the 95% interval).</summary>
    public double MinPrecision { get; init; } = 0.5;

    /// <summary>Lowest acceptable recall (lower bound of the 95% interval).</summary>
    public double MinRecall { get; init; } = 0.5;
}

/// <summary>How a reviewer may stop a brief.</summary>
public enum VetoPolicy
{
    /// <summary>The brief is delivered at once; a reviewer may retract it within the veto window.</summary>
    DeliverThenVeto,

    /// <summary>The brief waits in the review queue until approved.</summary>
    ReviewBeforeDelivery,
}
