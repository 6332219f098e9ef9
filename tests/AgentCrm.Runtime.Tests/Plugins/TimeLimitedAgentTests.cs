using AgentCrm.Agents;
using AgentCrm.Agents.Plugins;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>The plugin call path copies what a plugin answers; nothing the actor reads may be lost on the way.</summary>
public sealed class TimeLimitedAgentTests
{
    private sealed class Fixed(Assessment answer) : IAgent
    {
        public AgentManifest Manifest { get; } = new RenewalRiskKind().BuiltIn!;

        public Assessment Assess(CustomerSnapshot snapshot) => answer;
    }

    [Fact]
    public void ThePluginsHeadlineAndFinding_ReachTheActor_SoItsCooldownIsPerFinding()
    {
        var inner = new Fixed(new Assessment(0.9, true, [], "call them") { Headline = "h", FindingKey = "notice-42" });
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var a = agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>()));

        Assert.Equal(("h", "notice-42", "call them"), (a.Headline, a.FindingKey, a.NextStep));
    }

    [Theory]
    [InlineData(1e9)]
    [InlineData(-0.5)]
    [InlineData(1.0000001)]
    [InlineData(double.NaN)]
    public void AScoreOutsideZeroToOne_IsThePluginsFailure_NotABrief(double score)
    {
        var inner = new Fixed(new Assessment(score, true, []));
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var error = Assert.Throws<PluginFailedException>(() => agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>())));

        Assert.Contains("returned the score", error.Message, StringComparison.Ordinal);
    }
}
