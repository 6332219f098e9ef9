using System.Text.Json;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.RenewalRisk;

public sealed class RenewalRiskAgentTests
{
    private static readonly RenewalRiskKind Kind = new();
    private static readonly DateTimeOffset AsOf = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static CustomerSnapshot Snapshot(params (string Name, object Value)[] fields) =>
        new("c-1", AsOf, fields.ToDictionary(
            f => f.Name,
            f => f.Value is string s ? SnapshotField.Of(f.Name, s, "e-" + f.Name) : SnapshotField.Of(f.Name, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "e-" + f.Name)));

    [Fact]
    public void Assess_CustomerAtRisk_FiresWithEveryFactorAsReasonStrongestFirst()
    {
        var agent = Kind.Create(Kind.BuiltIn);
        var result = agent.Assess(Snapshot(
            ("contract.daysToEnd", 41), ("contract.type", "month-to-month"), ("usage.trend30d", -0.38),
            ("tickets.open", 2), ("billing.paymentFailures90d", 1), ("nps.latest", 4), ("profile.name", "ACME")));

        Assert.True(result.Fired);
        Assert.InRange(result.Score, 0.9, 1.0);
        var fields = result.Reasons.Select(r => r.Field).ToList();
        Assert.Equal(["contract.daysToEnd", "contract.type", "usage.trend30d", "billing.paymentFailures90d", "nps.latest", "tickets.open"], fields);
        Assert.Equal(result.Reasons.OrderByDescending(r => r.Weight).Select(r => r.Field), fields);
        var usage = result.Reasons.Single(r => r.Field == "usage.trend30d");
        Assert.Equal("usage down 38% in 30 days", usage.Explanation);
        Assert.Equal(3.0 * 0.38, usage.Weight, 4);
        Assert.Equal(["e-usage.trend30d"], usage.EventIds);
        Assert.Equal("contract ends in 41 days", result.Reasons.Single(r => r.Field == "contract.daysToEnd").Explanation);
        // Score is the logistic of intercept + contributions.
        var logit = -3.0 + result.Reasons.Sum(r => r.Weight);
        Assert.Equal(1 / (1 + Math.Exp(-logit)), result.Score, 3);
        Assert.NotEmpty(result.NextStep);
    }

    [Fact]
    public void Assess_HealthyCustomer_DoesNotFireAndGivesNoReasons()
    {
        var agent = Kind.Create(Kind.BuiltIn);
        var result = agent.Assess(Snapshot(
            ("contract.daysToEnd", 400), ("contract.type", "two-year"), ("usage.trend30d", 0.12),
            ("tickets.open", 0), ("billing.paymentFailures90d", 0), ("nps.latest", 9), ("tenure.days", 900)));
        Assert.False(result.Fired);
        Assert.Empty(result.Reasons);
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(3.0)), 4), result.Score);
    }

    [Fact]
    public void Assess_ThresholdAndWeightsComeFromTheManifest()
    {
        var manifest = Kind.BuiltIn with
        {
            Threshold = 0.2,
            Parameters = Params("""{ "intercept": -2, "weights": { "lowNps": 0 } }"""),
        };
        var agent = Kind.Create(manifest);
        var result = agent.Assess(Snapshot(("nps.latest", 0), ("contract.type", "month-to-month")));
        Assert.DoesNotContain(result.Reasons, r => r.Field == "nps.latest");
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(-(-2 + 1.2))), 4), result.Score);
        Assert.True(result.Fired);
    }

    [Fact]
    public void Create_BadParameters_NamesEachOne()
    {
        var manifest = Kind.BuiltIn with { Parameters = Params("""{ "intercept": "high", "weights": { "moonPhase": 1, "lowNps": 99 }, "colour": 1 }""") };
        var ex = Assert.Throws<ManifestException>(() => Kind.Create(manifest));
        Assert.Contains("parameters.intercept", ex.Errors.Keys);
        Assert.Contains("parameters.weights.moonPhase", ex.Errors.Keys);
        Assert.Contains("parameters.weights.lowNps", ex.Errors.Keys);
        Assert.Contains("parameters.colour", ex.Errors.Keys);
    }

    [Fact]
    public void Assess_IsDeterministic()
    {
        var agent = Kind.Create(Kind.BuiltIn);
        var snapshot = Snapshot(("contract.daysToEnd", 10), ("tickets.openHighPriority", 2), ("billing.overdueInvoices", 1));
        Assert.Equal(JsonSerializer.Serialize(agent.Assess(snapshot)), JsonSerializer.Serialize(agent.Assess(snapshot)));
    }

    private static IReadOnlyDictionary<string, JsonElement> Params(string json) =>
        JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
}
