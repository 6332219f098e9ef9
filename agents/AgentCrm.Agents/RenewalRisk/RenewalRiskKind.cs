namespace AgentCrm.Agents.RenewalRisk;

/// <summary>The built-in <c>renewal-risk</c> kind and its v1 manifest.</summary>
public sealed class RenewalRiskKind : IAgentKind
{
    public const string KindName = "renewal-risk";

    public string Name => KindName;

    public AgentManifest BuiltIn { get; } = new()
    {
        Id = "renewal-risk",
        // 1.0.1: the built-in's content changed after 1.0.0 shipped (profile.name moved from reads to optionalReads); a version's
        // content never changes, and an upgraded directory gets this one registered beside its 1.0.0 (AgentRegistry).
        Version = "1.0.1",
        Kind = KindName,
        Scenario = "renewal-risk",
        Description = "Churn / renewal risk from contract, usage, support, billing and NPS signals.",
        Subscribes = ["contract", "usage", "support_ticket", "invoice", "payment", "nps", "profile"],
        Reads =
        [
            "tenure.days", "contract.type", "contract.daysToEnd", "contract.autoRenew", "usage.trend30d",
            "tickets.open", "tickets.openHighPriority", "billing.paymentFailures90d", "billing.overdueInvoices", "nps.latest",
        ],
        // The score never uses the name; required, it kept a customer whose consent withholds identity from being assessed at
        // all. Withheld, the brief names the customer by id (BriefComposer).
        OptionalReads = ["profile.name"],
        Purpose = "customer-success",
        Threshold = 0.6,
        CooldownDays = 7,
        VetoPolicy = VetoPolicy.DeliverThenVeto,
        KnowledgeQuery = "renewal risk churn playbook next steps",
    };

    public IAgent Create(AgentManifest manifest)
    {
        var parameters = RenewalRiskParameters.From(manifest.Parameters);
        // The consent gate hands the agent only the fields in reads: a model reading others would
        // silently see them as unknown and score every customer as average.
        if (parameters.Model is { } model && model.Fields.Except(manifest.Reads, StringComparer.Ordinal).ToList() is { Count: > 0 } unread)
            throw new ManifestException("reads", $"must include every field parameters.model reads; missing: {string.Join(", ", unread)}.");
        return new RenewalRiskAgent(manifest, parameters);
    }
}
