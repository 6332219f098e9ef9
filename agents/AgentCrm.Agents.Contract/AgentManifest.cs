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

/// <summary>
/// The promotion gate: a report on at least <see cref="MinCases"/> cases whose precision and recall lower bounds reach the
/// minimums, whose precision lower bound beats the case set's positive share (firing on every case; whenever
/// <see cref="MinPrecision"/> is above 0), with at most
/// <see cref="MaxErrorRate"/> of the cases errored and, when set, a ROC-AUC of at least <see cref="MinRocAuc"/>.
/// </summary>
public sealed record GateCriteria
{
    /// <summary>The share of errored cases a passing report may have when the manifest names none.</summary>
    public const double DefaultMaxErrorRate = 0.01;

    /// <summary>Fewest replayed cases a passing report may have.</summary>
    public int MinCases { get; init; } = 200;

    /// <summary>Lowest acceptable precision (lower bound of the 95% interval); above 0, the lower bound must also be above the positive share of the cases.</summary>
    public double MinPrecision { get; init; } = 0.5;

    /// <summary>Lowest acceptable recall (lower bound of the 95% interval).</summary>
    public double MinRecall { get; init; } = 0.5;

    // Both optional and left out of the JSON when absent, so the content hash of every manifest written before they existed is unchanged.

    /// <summary>Highest acceptable share of errored cases (the agent threw or timed out on them) among the cases it ran on; absent: <see cref="DefaultMaxErrorRate"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MaxErrorRate { get; init; }

    /// <summary>Lowest acceptable ROC-AUC of the report (a point estimate); absent: not checked.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MinRocAuc { get; init; }

    /// <summary><see cref="MaxErrorRate"/>, or its default when absent.</summary>
    [JsonIgnore]
    public double EffectiveMaxErrorRate => MaxErrorRate ?? DefaultMaxErrorRate;
}

/// <summary>How a reviewer may stop a brief.</summary>
public enum VetoPolicy
{
    /// <summary>The brief is delivered at once; a reviewer may retract it within the veto window.</summary>
    DeliverThenVeto,

    /// <summary>The brief waits in the review queue until approved.</summary>
    ReviewBeforeDelivery,
}
