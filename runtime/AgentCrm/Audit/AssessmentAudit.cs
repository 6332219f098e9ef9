using AgentCrm.Agents;
using AgentCrm.Storage;

namespace AgentCrm.Audit;

/// <summary>
/// Audit records for what agents decided outside a brief: an assessment that fired but wrote no brief
/// (cooldown), and an agent the customer's consent kept from running. Briefs carry their own record. Each is written once per
/// agent version, customer and triggering event, like a brief: a turn repeated after a crash does not record it twice.
/// They are written in the caller's transaction (the customer actor enlists them in its turn's state save).
/// </summary>
public sealed class AssessmentAudit(AuditLog audit, TimeProvider time)
{
    public void FiredWithoutBrief(WriteContext ctx, AgentVersionRecord agent, string customerId, double score, IReadOnlyList<string> eventIds, string why, string triggerEventId) =>
        audit.Append(ctx, $"agent:{agent.AgentId}@{agent.Version}", "assessment.fired", $"customer:{customerId}", new Dictionary<string, object?>
        {
            ["agentVersion"] = agent.Version,
            ["contentHash"] = agent.ContentHash,
            ["score"] = score,
            ["threshold"] = agent.Manifest.Threshold,
            ["eventIds"] = eventIds,
            ["brief"] = null,
            ["suppressedBy"] = why,
        }, time.GetUtcNow(), OnceKey("assessment.fired", agent, customerId, triggerEventId));

    public void ConsentBlocked(WriteContext ctx, AgentVersionRecord agent, string customerId, IReadOnlyList<string> withheld, string triggerEventId) =>
        audit.Append(ctx, $"agent:{agent.AgentId}@{agent.Version}", "consent.blocked", $"customer:{customerId}", new Dictionary<string, object?>
        {
            ["agentVersion"] = agent.Version,
            ["contentHash"] = agent.ContentHash,
            ["purpose"] = agent.Manifest.Purpose,
            ["withheldFields"] = withheld,
            ["eventIds"] = new[] { triggerEventId },
        }, time.GetUtcNow(), OnceKey("consent.blocked", agent, customerId, triggerEventId));

    private static string OnceKey(string action, AgentVersionRecord agent, string customerId, string triggerEventId) =>
        string.Join('\u001f', action, agent.AgentId, agent.Version, customerId, triggerEventId);
}
