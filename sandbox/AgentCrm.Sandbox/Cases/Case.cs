using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Sandbox.Cases;

/// <summary>One labeled historical case: what the agent would have seen, and what really happened.</summary>
/// <param name="Id">Unique within its set (the customer id, the row number, or customer@cutoff).</param>
/// <param name="Snapshot">The customer snapshot at the case's moment (a timeline case's cutoff): what fits and report checks read.</param>
/// <param name="Label">The true outcome for the scenario (true = churned / positive).</param>
/// <param name="Segment">The slice reports break metrics down by (e.g. contract type), if any.</param>
public sealed record Case(string Id, CustomerSnapshot Snapshot, bool Label, string? Segment)
{
    /// <summary>The unit cases must be split by (e.g. the document a sentence comes from), when the mapping names one.</summary>
    public string? Group { get; init; }

    /// <summary>Further named labels the mapping declares (e.g. one per clause category), beside the primary <see cref="Label"/>.</summary>
    public IReadOnlyDictionary<string, bool> Labels { get; init; } = EmptyLabels;

    /// <summary>
    /// A timeline case's events up to its cutoff, which a replay folds turn by turn as the customer actors do (see
    /// <see cref="CaseTimeline"/>); null for a tabular case, which is one snapshot assessed once.
    /// </summary>
    public CaseTimeline? Timeline { get; init; }

    private static readonly IReadOnlyDictionary<string, bool> EmptyLabels = new Dictionary<string, bool>(StringComparer.Ordinal);
}

/// <summary>A timeline case's customer events up to and including <paramref name="Cutoff"/>, in time order (ties in file order).</summary>
public sealed record CaseTimeline(IReadOnlyList<CrmEvent> Events, DateTimeOffset Cutoff);
