using System.Reflection;

namespace AgentCrm.Runtime.Tests;

/// <summary>Dependencies point one way: contract ← agents ← sandbox ← runtime, contract ← knowledge ← runtime; the actor host knows no agent.</summary>
public sealed class DependencyDirectionTests
{
    [Theory]
    [InlineData("AgentCrm.Agents.Contract", new string[0])]
    [InlineData("AgentCrm.Agents", new[] { "AgentCrm.Agents.Contract" })]
    [InlineData("AgentCrm.Sandbox", new[] { "AgentCrm.Agents", "AgentCrm.Agents.Contract" })]
    [InlineData("AgentCrm.Actors", new string[0])]
    [InlineData("AgentCrm.Knowledge", new[] { "AgentCrm.Agents.Contract" })]
    public void Assembly_ReferencesOnlyWhatIsBelowIt(string assembly, string[] allowed)
    {
        var ours = Assembly.Load(assembly).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("AgentCrm", StringComparison.Ordinal) || n == "agentcrm")
            .ToHashSet();
        Assert.Subset(allowed.ToHashSet(), ours);
    }
}
