using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.Tests.Models;

public sealed class TreeModelTests
{
    internal const string Json = """
        {
          "type": "trees",
          "baseScore": -1,
          "learningRate": 0.5,
          "fields": ["contract.type", "tenure.months"],
          "trees": [
            [
              { "field": 0, "categories": ["month-to-month"], "missing": "right", "left": 1, "right": 2, "value": 0 },
              { "field": 1, "threshold": 12, "missing": "left", "left": 3, "right": 4, "value": 0.6 },
              { "value": -0.8 },
              { "value": 1 },
              { "value": 0.2 }
            ],
            [
              { "field": 1, "threshold": 6, "missing": "right", "left": 1, "right": 2, "value": 0 },
              { "value": 0.4 },
              { "value": -0.1 }
            ]
          ]
        }
        """;

    internal static TreeModel Model() => (TreeModel)RiskModel.Read(JsonDocument.Parse(Json).RootElement);

    internal static CustomerSnapshot Snapshot(params (string Name, object Value)[] fields) =>
        new("c-1", DateTimeOffset.UnixEpoch, fields.ToDictionary(
            f => f.Name,
            f => f.Value is string s ? SnapshotField.Of(f.Name, s, "e-" + f.Name) : SnapshotField.Of(f.Name, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "e-" + f.Name)));

    private static double Contribution(ModelEvaluation e, string field) => e.Contributions.Single(c => c.Field == field).Contribution;

    [Fact]
    public void Evaluate_PathAttribution_CreditsEachSplitsChangeToItsFieldAndSumsToTheLogit()
    {
        var model = Model();
        var e = model.Evaluate(Snapshot(("contract.type", "month-to-month"), ("tenure.months", 2)));

        Assert.Equal(-1 + 0.5 * (1 + 0.4), e.Logit, 12);
        Assert.Equal(0.5 * 0.6, Contribution(e, "contract.type"), 12);
        Assert.Equal(0.5 * ((1 - 0.6) + 0.4), Contribution(e, "tenure.months"), 12);
        Assert.Equal(e.Logit - model.BaseScore, e.Contributions.Sum(c => c.Contribution), 12);
        Assert.Equal(e.Logit, model.Logit(Snapshot(("contract.type", "month-to-month"), ("tenure.months", 2))), 12);
        Assert.Equal(model.Fields, e.Contributions.Select(c => c.Field));
    }

    [Theory]
    [InlineData("two-year", 30.0, -1 + 0.5 * (-0.8 - 0.1))]
    [InlineData("weekly", 3.0, -1 + 0.5 * (-0.8 + 0.4))]
    [InlineData(null, 3.0, -1 + 0.5 * (-0.8 + 0.4))]
    [InlineData("month-to-month", null, -1 + 0.5 * (1 - 0.1))]
    [InlineData("month-to-month", 12.0, -1 + 0.5 * (0.2 - 0.1))]
    public void Evaluate_UnknownValuesFollowTheirMissingDirection_UnseenCategoriesGoRight(string? contract, double? tenure, double logit)
    {
        var fields = new List<(string, object)>();
        if (contract is not null)
            fields.Add(("contract.type", contract));
        if (tenure is { } t)
            fields.Add(("tenure.months", t));
        var model = Model();
        var e = model.Evaluate(Snapshot([.. fields]));

        Assert.Equal(logit, e.Logit, 12);
        Assert.Equal(e.Logit - model.BaseScore, e.Contributions.Sum(c => c.Contribution), 12);
    }

    [Fact]
    public void ToJson_RoundTripsExactly()
    {
        var model = Model();
        var json = model.ToJson();
        var again = RiskModel.Read(json);

        Assert.IsType<TreeModel>(again);
        Assert.Equal(json.GetRawText(), again.ToJson().GetRawText());
        Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(Json).RootElement), JsonSerializer.Serialize(json));
    }

    [Fact]
    public void Read_UnknownType_NamesTheTypePath()
    {
        var ex = Assert.Throws<ManifestException>(() => RiskModel.Read(JsonDocument.Parse("""{ "type": "forest" }""").RootElement));
        Assert.Equal(["parameters.model.type"], ex.Errors.Keys);
    }

    [Fact]
    public void Read_BadTrees_NamesEveryPath()
    {
        const string bad = """
            {
              "type": "trees", "baseScore": "x", "learningRate": 0, "colour": 1,
              "fields": ["contract.type", "tenure months"],
              "trees": [
                [ { "field": 0, "categories": ["a"], "missing": "left", "left": 1, "right": 2, "value": 0.5 }, { "value": 1 }, { "value": -1 } ],
                [ { "field": 5, "threshold": 3, "missing": "up", "left": 0, "right": 2, "value": 0 }, { "value": 1 }, { "value": 2 } ],
                [ { "field": 0, "threshold": 1, "categories": ["a"], "missing": "left", "left": 1, "right": 2, "value": 0 }, { "value": 1 }, { "value": 1 } ],
                [ { "field": 0, "threshold": 1, "missing": "left", "left": 1, "right": 1, "value": 0 }, { "value": 1 } ],
                "leaf",
                [ { "field": 0, "threshold": 1, "missing": "left", "left": 1, "right": 2, "value": 0 }, { "value": 1 }, { "value": 1 }, { "value": 3 } ],
                [ { "value": 0, "leaf": true } ]
              ]
            }
            """;
        var ex = Assert.Throws<ManifestException>(() => RiskModel.Read(JsonDocument.Parse(bad).RootElement));
        string[] expected =
            [
                "parameters.model.baseScore", "parameters.model.learningRate", "parameters.model.colour", "parameters.model.fields[1]",
                "parameters.model.trees[0][0].value",
                "parameters.model.trees[1][0].field", "parameters.model.trees[1][0].missing", "parameters.model.trees[1][0].left",
                "parameters.model.trees[2][0].threshold",
                "parameters.model.trees[3][0].right",
                "parameters.model.trees[4]",
                "parameters.model.trees[5][3]",
                "parameters.model.trees[6][0].leaf",
            ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), ex.Errors.Keys.Order(StringComparer.Ordinal));
    }
}
