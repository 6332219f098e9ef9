using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>Cooldown marks per agent and finding: saved state of earlier builds still counts, and the marks stay bounded.</summary>
public sealed class CooldownMarksTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SavedStateWithPerAgentMarks_StillLoads_AndAnAgentWithoutFindingsKeepsItsMark()
    {
        var json = """{"customerId":"acme","lastBriefs":{"renewal-risk":{"at":"2026-11-28T00:00:00+00:00","score":0.81},"compliance-check":{"at":"2026-11-20T00:00:00+00:00","score":0.9}}}""";

        var state = JsonSerializer.Deserialize<CustomerState>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal(0.81, state.LastBriefs[CustomerActor.CooldownKey("renewal-risk", "")].Score);
        Assert.Equal("compliance-check", CustomerActor.CooldownKey("compliance-check", ""));
        Assert.StartsWith("compliance-check|", CustomerActor.CooldownKey("compliance-check", "unfair:arbitration:disputes go to arbitration."), StringComparison.Ordinal);
        Assert.NotEqual(CustomerActor.CooldownKey("compliance-check", "a"), CustomerActor.CooldownKey("compliance-check", "b"));
        Assert.NotEqual(CustomerActor.CooldownKey("compliance-check", "a"), CustomerActor.CooldownKey("compliance-check@2.0.0#shadow", "a"));
    }

    [Fact]
    public void AWholeAgentMarkSavedBeforeFindingsWereNamed_HoldsEveryFindingWhileItLasts()
    {
        // The previous build marked the agent itself; this build names findings (id|hash) and must still honour that mark.
        var json = """{"customerId":"acme","lastBriefs":{"compliance-check":{"at":"2026-11-30T00:00:00+00:00","score":0.9}}}""";
        var state = JsonSerializer.Deserialize<CustomerState>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var manifest = new AgentManifest { Id = "compliance-check", Version = "1.0.0", Kind = "compliance-check", CooldownDays = 30 };
        var assessment = new Assessment(0.9, true, []) { FindingKey = "unfair:arbitration:disputes go to arbitration." };
        var key = CustomerActor.CooldownKey(manifest.Id, assessment.FindingKey);

        Assert.True(CustomerActor.InCooldown(state, manifest.Id, key, manifest, assessment, Now));
        // Once its cooldown is over it holds nothing; a score risen by the re-brief margin passes it, as with any mark.
        Assert.False(CustomerActor.InCooldown(state, manifest.Id, key, manifest, assessment, Now.AddDays(30)));
        Assert.False(CustomerActor.InCooldown(state, manifest.Id, key, manifest, assessment with { Score = 1.06 }, Now));
        // Another agent's whole mark does not hold this one.
        Assert.False(CustomerActor.InCooldown(state, "tender-detection", CustomerActor.CooldownKey("tender-detection", "notice"), manifest with { Id = "tender-detection" }, assessment, Now));
    }

    [Fact]
    public void ExpiredMarks_AreForgotten_AndAnAgentKeepsAtMostItsCap_OtherAgentsUntouched()
    {
        var manifest = new AgentManifest { Id = "compliance-check", Version = "1.0.0", Kind = "compliance-check", CooldownDays = 30 };
        var state = new CustomerState();
        state.LastBriefs["compliance-check"] = new BriefMark(Now.AddDays(-31), 0.9);
        for (var i = 0; i < 40; i++)
            state.LastBriefs[CustomerActor.CooldownKey("compliance-check", $"finding {i}")] = new BriefMark(Now.AddHours(-i), 0.9);
        state.LastBriefs[CustomerActor.CooldownKey("compliance-check", "old")] = new BriefMark(Now.AddDays(-30), 0.9);
        state.LastBriefs[CustomerActor.CooldownKey("compliance-check@2.0.0#shadow", "old")] = new BriefMark(Now.AddDays(-60), 0.9);
        state.LastBriefs["renewal-risk"] = new BriefMark(Now.AddDays(-60), 0.7);

        CustomerActor.ForgetExpiredMarks(state, "compliance-check", manifest.CooldownDays, Now);

        Assert.DoesNotContain("compliance-check", state.LastBriefs.Keys);
        Assert.DoesNotContain(CustomerActor.CooldownKey("compliance-check", "old"), state.LastBriefs.Keys);
        var mine = state.LastBriefs.Keys.Where(k => k.StartsWith("compliance-check|", StringComparison.Ordinal)).ToList();
        Assert.Equal(CustomerActor.MaxMarksPerAgent, mine.Count);
        Assert.Contains(CustomerActor.CooldownKey("compliance-check", "finding 0"), mine);
        Assert.DoesNotContain(CustomerActor.CooldownKey("compliance-check", "finding 39"), mine);
        Assert.Contains("renewal-risk", state.LastBriefs.Keys);
        Assert.Contains(CustomerActor.CooldownKey("compliance-check@2.0.0#shadow", "old"), state.LastBriefs.Keys);
    }

    [Fact]
    public void ForgetExpiredMarks_AShorterCooldownVersionWritesThenARollback_TheEarlierVersionsMarkStillHolds()
    {
        // v1 (30 days) briefed finding "x" ten days ago; v2 (7 days) briefs finding "y" now and prunes the agent's marks by the
        // longest cooldown that could read them (v1's), so after a rollback to v1 the same finding is still held back.
        var v1 = new AgentManifest { Id = "compliance-check", Version = "1.0.0", Kind = "compliance-check", CooldownDays = 30 };
        var assessment = new Assessment(0.9, true, []) { FindingKey = "x" };
        var state = new CustomerState();
        state.LastBriefs[CustomerActor.CooldownKey("compliance-check", "x")] = new BriefMark(Now.AddDays(-10), 0.9);
        state.LastBriefs[CustomerActor.CooldownKey("compliance-check", "y")] = new BriefMark(Now, 0.9);
        double? Longest(ReadOnlySpan<char> agent) => agent.SequenceEqual("compliance-check") ? 30 : null;

        CustomerActor.ForgetExpiredMarks(state, "compliance-check", Math.Max(7, Longest("compliance-check") ?? 0), Now);
        state.LastEventAt = Now;
        CustomerActor.ForgetExpiredMarks(state, Longest);

        Assert.True(CustomerActor.InCooldown(state, v1.Id, CustomerActor.CooldownKey(v1.Id, "x"), v1, assessment, Now.AddDays(1)));
        Assert.Equal(2, state.LastBriefs.Count);
    }
}
