using AgentCrm.Agents.Consent;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.Consent;

public sealed class ConsentPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    private static AgentManifest Manifest(IReadOnlyList<string> reads, IReadOnlyList<string>? optional = null) => new()
    {
        Id = "probe",
        Version = "1.0.0",
        Kind = "probe",
        Purpose = "customer-success",
        Reads = reads,
        OptionalReads = optional ?? [],
    };

    [Fact]
    public void AWithheldRequiredField_BlocksTheAgent_AWithheldOptionalField_IsOnlyDropped()
    {
        var policy = new ConsentPolicy([new ConsentGrant("customer-success", ["usage", "contract"])], true);
        var blocked = policy.Decide(Manifest(["usage.last30d", "billing.openAmount"]), Now);
        Assert.True(blocked.Blocked);
        Assert.Equal(["billing.openAmount"], blocked.Withheld);

        var runs = policy.Decide(Manifest(["usage.last30d", "contract.daysToEnd"], ["nps.latest"]), Now);
        Assert.False(runs.Blocked);
        Assert.Equal(["usage.last30d", "contract.daysToEnd"], runs.Allowed);
        Assert.Equal(["nps.latest"], runs.Dropped);
    }

    [Fact]
    public void AGrant_CoversOnlyItsPurpose_AndLapsesAtItsExpiry()
    {
        var policy = new ConsentPolicy([new ConsentGrant("marketing", ["*"]), new ConsentGrant("customer-success", ["usage"], Now.AddDays(1))], true);
        Assert.True(policy.Allows("customer-success", "usage.last30d", Now));
        Assert.False(policy.Allows("customer-success", "usage.last30d", Now.AddDays(1)));
        Assert.False(policy.Allows("customer-success", "billing.openAmount", Now));
        Assert.True(policy.Allows("marketing", "billing.openAmount", Now));
        Assert.False(policy.Allows("marketing", "nonsense", Now));
    }

    [Fact]
    public void ThePipeline_UnderAllowAll_ScoresLikeTheUngatedPath_AndBlockedAgentsAreNeverCalled()
    {
        var kind = new RenewalRiskKind();
        var agent = kind.Create(kind.BuiltIn!);
        var snapshot = new CustomerSnapshot("c1", Now, new Dictionary<string, SnapshotField>
        {
            ["contract.daysToEnd"] = SnapshotField.Of("contract.daysToEnd", 30),
            ["contract.type"] = SnapshotField.Of("contract.type", "month-to-month"),
            ["usage.trend30d"] = SnapshotField.Of("usage.trend30d", -0.5),
            ["tickets.openHighPriority"] = SnapshotField.Of("tickets.openHighPriority", 2),
            ["nps.latest"] = SnapshotField.Of("nps.latest", 2),
            ["tenure.months"] = SnapshotField.Of("tenure.months", 3),
        });
        var plain = AssessmentPipeline.Assess(agent, snapshot);
        var gated = AssessmentPipeline.Assess(agent, snapshot, ConsentPolicy.AllowAll, Now);
        Assert.NotNull(plain.Assessment);
        Assert.Equal(plain.Assessment!.Score, gated.Assessment!.Score);
        Assert.Equal(plain.Seen.Fields.Keys.Order(), gated.Seen.Fields.Keys.Order());

        var none = new ConsentPolicy([], true);
        var blocked = AssessmentPipeline.Assess(agent, snapshot, none, Now);
        Assert.True(blocked.Blocked);
        Assert.Null(blocked.Assessment);
        Assert.Empty(blocked.Seen.Fields);
    }
}
