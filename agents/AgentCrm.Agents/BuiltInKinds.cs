using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Agents.Rules;
using AgentCrm.Agents.Tender;

namespace AgentCrm.Agents;

/// <summary>The agent kinds compiled into AgentCrm.</summary>
public static class BuiltInKinds
{
    public static IReadOnlyList<IAgentKind> All { get; } = [new RenewalRiskKind(), new ComplianceCheckKind(), new TenderDetectionKind(), new RulesKind()];
}
