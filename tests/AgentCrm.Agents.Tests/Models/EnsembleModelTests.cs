using System.Text.Json;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.Models;

public sealed class EnsembleModelTests
{
    internal static readonly string Json = $$"""
        {
          "type": "ensemble",
          "members": [
            { "weight": 0.75, "model": {{LinearModelTests.Json}} },
            { "weight": 0.25, "model": {{TreeModelTests.Json}} }
          ]
        }
        """;

    private static EnsembleModel Model() => (EnsembleModel)RiskModel.Read(JsonDocument.Parse(Json).RootElement);

    private static readonly CustomerSnapshot AtRisk = TreeModelTests.Snapshot(
        ("tenure.months", 2), ("contract.type", "month-to-month"), ("services.internet", "fiber-optic"),
        ("billing.totalCharges", 180), ("billing.monthlyCharges", 90), ("services.onlineSecurity", "no"),
        ("services.techSupport", "yes"), ("services.onlineBackup", "no"));

    private static double Contribution(ModelEvaluation e, string field) => e.Contributions.SingleOrDefault(c => c.Field == field)?.Contribution ?? 0;

    [Fact]
    public void Evaluate_IsTheWeightedAverageOfTheMembersLogits_AndContributionsPerField()
    {
        var model = Model();
        var linear = LinearModelTests.Model();
        var trees = TreeModelTests.Model();
        var (l, t) = (linear.Evaluate(AtRisk), trees.Evaluate(AtRisk));

        var e = model.Evaluate(AtRisk);

        Assert.Equal(0.75 * l.Logit + 0.25 * t.Logit, e.Logit, 12);
        Assert.Equal(e.Logit, model.Logit(AtRisk), 12);
        Assert.Equal(0.75 * linear.Intercept + 0.25 * trees.BaseScore, model.Bias, 12);
        Assert.Equal(e.Logit - model.Bias, e.Contributions.Sum(c => c.Contribution), 10);
        foreach (var field in model.Fields)
            Assert.Equal(0.75 * Contribution(l, field) + 0.25 * Contribution(t, field), Contribution(e, field), 12);
        Assert.Equal(linear.Fields.Union(trees.Fields, StringComparer.Ordinal), model.Fields);
        Assert.Equal(model.Fields, e.Contributions.Select(c => c.Field));
    }

    [Fact]
    public void ToJson_RoundTripsExactly()
    {
        var json = Model().ToJson();
        var again = RiskModel.Read(json);

        Assert.IsType<EnsembleModel>(again);
        Assert.Equal(json.GetRawText(), again.ToJson().GetRawText());
        Assert.Equal(Model().Logit(AtRisk), again.Logit(AtRisk), 12);
    }

    [Fact]
    public void Read_BadEnsemble_NamesEveryPathIncludingTheMembers()
    {
        var bad = $$"""
            {
              "type": "ensemble", "colour": 1,
              "members": [
                { "weight": 0, "model": {{TreeModelTests.Json.Replace("\"learningRate\": 0.5", "\"learningRate\": 2", StringComparison.Ordinal)}} },
                { "weight": 0.5, "model": { "type": "ensemble", "members": [] } },
                { "weight": 0.5 },
                "x"
              ]
            }
            """;
        var ex = Assert.Throws<ManifestException>(() => RiskModel.Read(JsonDocument.Parse(bad).RootElement));
        string[] expected =
            [
                "parameters.model.colour",
                "parameters.model.members[0].weight", "parameters.model.members[0].model.learningRate",
                "parameters.model.members[1].model.type",
                "parameters.model.members[2].model",
                "parameters.model.members[3]",
            ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), ex.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(0.5, 0.25)]
    [InlineData(0.75, 0.75)]
    public void Read_WeightsNotAddingUpToOne_AreRefused(double a, double b)
    {
        var json = Json.Replace("\"weight\": 0.75", $"\"weight\": {a.ToString(System.Globalization.CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
            .Replace("\"weight\": 0.25", $"\"weight\": {b.ToString(System.Globalization.CultureInfo.InvariantCulture)}", StringComparison.Ordinal);
        var ex = Assert.Throws<ManifestException>(() => RiskModel.Read(JsonDocument.Parse(json).RootElement));
        Assert.Equal(["parameters.model.members"], ex.Errors.Keys);
    }

    [Fact]
    public void Agent_WithAnEnsemble_ScoresItsLogitAndNeedsEveryMembersFieldInReads()
    {
        var kind = new RenewalRiskKind();
        var model = Model();
        var manifest = kind.BuiltIn with
        {
            Version = "1.1.0",
            Threshold = 0.3,
            Reads = [.. model.Fields],
            Parameters = new Dictionary<string, JsonElement> { ["model"] = JsonDocument.Parse(Json).RootElement.Clone() },
        };

        var result = kind.Create(manifest).Assess(AtRisk);

        Assert.Equal(Math.Round(LinearModel.Sigmoid(model.Logit(AtRisk)), 4), result.Score);
        Assert.True(result.Fired);
        Assert.NotEmpty(result.Reasons);
        var ex = Assert.Throws<ManifestException>(() => kind.Create(manifest with { Reads = [.. model.Fields.Where(f => f != "tenure.months")] }));
        Assert.Equal(["reads"], ex.Errors.Keys);
    }
}
