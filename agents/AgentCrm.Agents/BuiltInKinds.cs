using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents;

/// <summary>The agent kinds compiled into AgentCrm.</summary>
public static class BuiltInKinds
{
    public static IReadOnlyList<IAgentKind> All { get; } = [new RenewalRiskKind()];
}
