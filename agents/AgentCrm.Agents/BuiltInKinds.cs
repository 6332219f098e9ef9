using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Agents.Rules;

namespace AgentCrm.Agents;

/// <summary>The agent kinds compiled into AgentCrm.</summary>
public static class BuiltInKinds
{
    public static IReadOnlyList<IAgentKind> All { get; } = [new RenewalRiskKind(), new RulesKind()];
}
