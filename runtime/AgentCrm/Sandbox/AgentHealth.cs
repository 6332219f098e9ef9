namespace AgentCrm.Sandbox;

[Server.OpenApiAlwaysSent]
public sealed record VersionHealth(string Version, [property: Server.OpenApiValues(typeof(Agents.AgentState))] string State, int CanaryPercent, long Evaluations, long Fired, long Errors, double SuccessRate,
    long Briefs, ShadowAgreement? Agreement)
{
    public long BlockedByConsent { get; init; }
    public AssessLatency? AssessLatencyMs { get; init; }
    public Briefs.BriefCounts? BriefStates { get; init; }

    /// <summary>Vetoed or retracted share of the version's reviewable briefs (null without any).</summary>
    public double? VetoRate { get; init; }

    /// <summary>Approved share of the version's reviewable briefs (null without any).</summary>
    public double? ApprovalRate { get; init; }

    /// <summary>Share of the version's briefs with reasons and at least one citation (null without briefs).</summary>
    public double? Explainability { get; init; }

    public long DegradedBriefs { get; init; }

    /// <summary>Briefs that cite nothing because the knowledge search failed.</summary>
    public long CitationFailures { get; init; }

    /// <summary>CSMs' acknowledgements and feedback on the version's briefs.</summary>
    public Briefs.ResponseCounts? CsmResponses { get; init; }

    /// <summary>Share of the CSM feedback that called a brief useful (null without any).</summary>
    public double? UsefulRate { get; init; }
}

public sealed record AssessLatency(double P50, double P95, double P99, long Samples);

/// <summary>
/// A shadow version's verdicts next to the delivering version's on the same customers. <see cref="WithoutBaseline"/> counts
/// assessments where no version delivered for that customer (nothing to agree with); they are not in the rate.
/// </summary>
[Server.OpenApiAlwaysSent]
public sealed record ShadowAgreement(long BothFired, long OnlyShadowFired, long OnlyActiveFired, long NeitherFired, double? AgreementRate, long WithoutBaseline = 0);

/// <summary>
/// An agent's health. Run counters (evaluations, fired, errors, latency, consent blocks, shadow agreement, degraded briefs, citation failures)
/// are this process's since <see cref="CountersSince"/>; brief counts and rates come from the database and survive restarts.
/// </summary>
[Server.OpenApiAlwaysSent]
public sealed record AgentHealth(string Id, IReadOnlyList<VersionHealth> Versions)
{
    public DateTimeOffset CountersSince { get; init; }
}
