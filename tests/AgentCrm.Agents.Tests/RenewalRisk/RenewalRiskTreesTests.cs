using System.Text.Json;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Agents.Tests.Models;

namespace AgentCrm.Agents.Tests.RenewalRisk;

public sealed class RenewalRiskTreesTests
{
    private static readonly RenewalRiskKind Kind = new();

    private static AgentManifest Fitted(string json = TreeModelTests.Json) => Kind.BuiltIn with
    {
        Version = "1.1.0",
        Threshold = 0.4,
        Reads = ["contract.type", "tenure.months"],
        Parameters = new Dictionary<string, JsonElement> { ["model"] = JsonDocument.Parse(json).RootElement.Clone() },
    };

    [Fact]
    public void Assess_WithTrees_ScoresTheTreesAndGivesRaisingFieldsAsReasons()
    {
        var snapshot = TreeModelTests.Snapshot(("contract.type", "month-to-month"), ("tenure.months", 2));
        var result = Kind.Create(Fitted()).Assess(snapshot);

        Assert.Equal(Math.Round(LinearModel.Sigmoid(-0.3), 4), result.Score);
        Assert.True(result.Fired);
        Assert.Equal(["tenure.months", "contract.type"], result.Reasons.Select(r => r.Field));
        Assert.Equal([0.4, 0.3], result.Reasons.Select(r => r.Weight));
        Assert.Equal("month-to-month contract", result.Reasons[1].Explanation);
    }

    [Fact]
    public void Assess_WithTrees_LoweringFieldsAreNoReasons()
    {
        var result = Kind.Create(Fitted()).Assess(TreeModelTests.Snapshot(("contract.type", "two-year"), ("tenure.months", 30)));
        Assert.False(result.Fired);
        Assert.Empty(result.Reasons);
    }

    [Fact]
    public void Create_TreesReadingAFieldOutsideReads_IsRefused()
    {
        var ex = Assert.Throws<ManifestException>(() => Kind.Create(Fitted() with { Reads = ["contract.type"] }));
        Assert.Equal(["reads"], ex.Errors.Keys);
    }

    [Fact]
    public void Create_BadTrees_NamesThePath()
    {
        var ex = Assert.Throws<ManifestException>(() => Kind.Create(Fitted(TreeModelTests.Json.Replace("\"learningRate\": 0.5", "\"learningRate\": 2", StringComparison.Ordinal))));
        Assert.Equal(["parameters.model.learningRate"], ex.Errors.Keys);
    }
}
