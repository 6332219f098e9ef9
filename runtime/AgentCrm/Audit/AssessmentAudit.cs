using AgentCrm.Agents;
using AgentCrm.Storage;

namespace AgentCrm.Audit;

/// <summary>
/// Audit records for what agents decided outside a brief: an assessment that fired but wrote no brief
/// (cooldown), and an agent the customer's consent kept from running. Briefs carry their own record.
/// </summary>
public sealed class AssessmentAudit(SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    public Task FiredWithoutBriefAsync(AgentVersionRecord agent, string customerId, double score, IReadOnlyList<string> eventIds, string why) =>
        writer.WriteAsync(ctx => audit.Append(ctx, $"agent:{agent.AgentId}@{agent.Version}", "assessment.fired", $"customer:{customerId}", new Dictionary<string, object?>
        {
            ["agentVersion"] = agent.Version,
            ["contentHash"] = agent.ContentHash,
            ["score"] = score,
            ["threshold"] = agent.Manifest.Threshold,
            ["eventIds"] = eventIds,
            ["brief"] = null,
            ["suppressedBy"] = why,
        }, time.GetUtcNow()));

    public Task ConsentBlockedAsync(AgentVersionRecord agent, string customerId, IReadOnlyList<string> withheld, string triggerEventId) =>
        writer.WriteAsync(ctx => audit.Append(ctx, $"agent:{agent.AgentId}@{agent.Version}", "consent.blocked", $"customer:{customerId}", new Dictionary<string, object?>
        {
            ["agentVersion"] = agent.Version,
            ["contentHash"] = agent.ContentHash,
            ["purpose"] = agent.Manifest.Purpose,
            ["withheldFields"] = withheld,
            ["eventIds"] = new[] { triggerEventId },
        }, time.GetUtcNow()));
}
