using System.Text.Json;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Agents.Tests.Models;

namespace AgentCrm.Agents.Tests.RenewalRisk;

public sealed class RenewalRiskModelTests
{
    private static readonly RenewalRiskKind Kind = new();

    private static AgentManifest Fitted(double threshold = 0.5) => Kind.BuiltIn with
    {
        Version = "1.1.0",
        Threshold = threshold,
        Reads = [.. LinearModelTests.Model().Fields],
        Parameters = new Dictionary<string, JsonElement> { ["model"] = JsonDocument.Parse(LinearModelTests.Json).RootElement.Clone() },
    };

    private static CustomerSnapshot Snapshot(params (string Name, object Value)[] fields) =>
        new("c-1", DateTimeOffset.UnixEpoch, fields.ToDictionary(
            f => f.Name,
            f => f.Value is string s ? SnapshotField.Of(f.Name, s, "e-" + f.Name) : SnapshotField.Of(f.Name, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "e-" + f.Name)));

    private static readonly CustomerSnapshot AtRisk = Snapshot(
        ("tenure.months", 2), ("contract.type", "month-to-month"), ("services.internet", "fiber-optic"),
        ("billing.totalCharges", 180), ("billing.monthlyCharges", 90), ("services.techSupport", "yes"));

    [Fact]
    public void Assess_WithModel_ScoresTheModelAndGivesRaisingFieldsAsReasons()
    {
        var model = LinearModelTests.Model();
        var result = Kind.Create(Fitted()).Assess(AtRisk);

        var evaluation = model.Evaluate(AtRisk);
        Assert.Equal(Math.Round(LinearModel.Sigmoid(evaluation.Logit), 4), result.Score);
        Assert.True(result.Fired);
        var raising = evaluation.Contributions.Where(c => Math.Round(c.Contribution, 4) >= 0.005).OrderByDescending(c => c.Contribution).ToList();
        Assert.Equal(raising.Select(c => c.Field), result.Reasons.Select(r => r.Field));
        Assert.All(result.Reasons, r => Assert.True(r.Weight > 0));
        var contract = result.Reasons.Single(r => r.Field == "contract.type");
        Assert.Equal("month-to-month", contract.Value);
        Assert.Equal(["e-contract.type"], contract.EventIds);
        Assert.Equal("month-to-month contract", contract.Explanation);
        Assert.Equal("customer for 2 months", result.Reasons.Single(r => r.Field == "tenure.months").Explanation);
        Assert.NotEmpty(result.NextStep);
    }

    [Fact]
    public void Assess_WithModel_FiresAtTheManifestThreshold()
    {
        var score = Kind.Create(Fitted()).Assess(AtRisk).Score;
        Assert.True(Kind.Create(Fitted(threshold: score)).Assess(AtRisk).Fired);
        Assert.False(Kind.Create(Fitted(threshold: score + 0.0001)).Assess(AtRisk).Fired);
    }

    [Fact]
    public void Assess_WithModel_LowRiskCustomerHasNoReasons()
    {
        var result = Kind.Create(Fitted()).Assess(Snapshot(("tenure.months", 60), ("contract.type", "two-year"), ("services.techSupport", "yes"),
            ("services.onlineSecurity", "yes"), ("services.onlineBackup", "yes")));
        Assert.False(result.Fired);
        Assert.Empty(result.Reasons);
    }

    [Fact]
    public void Create_BadModel_NamesThePath()
    {
        var manifest = Fitted() with
        {
            Parameters = new Dictionary<string, JsonElement>
            {
                ["model"] = JsonDocument.Parse("""{ "intercept": 0, "features": [ { "kind": "numeric", "field": "tenure.months", "mean": 0, "std": -1, "weight": 1 } ] }""").RootElement.Clone(),
                ["weights"] = JsonDocument.Parse("""{ "lowNps": 1 }""").RootElement.Clone(),
            },
        };
        var ex = Assert.Throws<ManifestException>(() => Kind.Create(manifest));
        Assert.Equal(["parameters.model.features[0].std", "parameters.weights"], ex.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Create_ModelNotAnObject_IsRejected()
    {
        var manifest = Fitted() with { Parameters = new Dictionary<string, JsonElement> { ["model"] = JsonDocument.Parse("[1]").RootElement.Clone() } };
        var ex = Assert.Throws<ManifestException>(() => Kind.Create(manifest));
        Assert.Equal(["parameters.model"], ex.Errors.Keys);
    }

    [Fact]
    public void Create_ModelReadingFieldsOutsideReads_IsRejected()
    {
        var manifest = Fitted() with { Reads = ["contract.type"] };
        var ex = Assert.Throws<ManifestException>(() => Kind.Create(manifest));
        Assert.Equal(["reads"], ex.Errors.Keys);
        Assert.Contains("tenure.months", ex.Errors["reads"][0], StringComparison.Ordinal);
    }
}
