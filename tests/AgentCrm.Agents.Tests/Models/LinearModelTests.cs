using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.Tests.Models;

public sealed class LinearModelTests
{
    internal const string Json = """
        {
          "type": "logistic",
          "intercept": -1.5,
          "features": [
            { "kind": "numeric", "field": "tenure.months", "transform": "log1p", "mean": 2.5, "std": 1.2, "weight": -0.9, "missingWeight": 0.3 },
            { "kind": "categorical", "field": "contract.type", "weights": { "month-to-month": 0.84, "two-year": -1.1 } },
            { "kind": "crossed", "fields": ["contract.type", "services.internet"], "weights": { "month-to-month|fiber-optic": 0.4 } },
            { "kind": "bucket", "field": "tenure.months", "edges": [6, 12, 24], "weights": [0.5, 0.2, 0, -0.3] },
            { "kind": "ratio", "fields": ["billing.totalCharges", "billing.monthlyCharges"], "mean": 30, "std": 20, "weight": -0.2 },
            { "kind": "product", "fields": ["tenure.months", "billing.monthlyCharges"], "mean": 2000, "std": 1500, "weight": 0.1 },
            { "kind": "count", "fields": ["services.onlineSecurity", "services.techSupport", "services.onlineBackup"], "value": "yes", "mean": 1, "std": 1, "weight": -0.25 },
            { "kind": "numeric", "field": "billing.monthlyCharges", "mean": 65, "std": 30, "weight": 0.5, "when": { "field": "contract.type", "equals": "month-to-month" } }
          ]
        }
        """;

    internal static LinearModel Model() => LinearModel.FromJson(JsonDocument.Parse(Json).RootElement);

    private static CustomerSnapshot Snapshot(params (string Name, object Value)[] fields) =>
        new("c-1", DateTimeOffset.UnixEpoch, fields.ToDictionary(
            f => f.Name,
            f => f.Value is string s ? SnapshotField.Of(f.Name, s, "e-" + f.Name) : SnapshotField.Of(f.Name, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "e-" + f.Name)));

    private static readonly CustomerSnapshot AtRisk = Snapshot(
        ("tenure.months", 2), ("contract.type", "month-to-month"), ("services.internet", "fiber-optic"),
        ("billing.totalCharges", 180), ("billing.monthlyCharges", 90), ("services.onlineSecurity", "no"),
        ("services.techSupport", "yes"), ("services.onlineBackup", "no"));

    [Fact]
    public void Evaluate_ContributionsSumToTheLogit()
    {
        var model = Model();
        var e = model.Evaluate(AtRisk);

        Assert.Equal(e.Logit, model.Intercept + e.Contributions.Sum(c => c.Contribution), 12);
        var z = (Math.Log(3) - 2.5) / 1.2;
        var expected = -1.5 + (-0.9 * z) + 0.84 + 0.4 + 0.5 + (-0.2 * ((2.0 - 30) / 20)) + (0.1 * ((180.0 - 2000) / 1500)) + (-0.25 * 0) + (0.5 * ((90.0 - 65) / 30));
        Assert.Equal(expected, e.Logit, 12);
        Assert.Equal(model.Fields, e.Contributions.Select(c => c.Field));
        // The crossed feature is shared by its two fields; the conditional slope by charges and contract.
        var contract = e.Contributions.Single(c => c.Field == "contract.type").Contribution;
        Assert.Equal(0.84 + 0.4 / 2 + 0.5 * (25.0 / 30) / 2, contract, 12);
        Assert.Equal(0.4 / 2, e.Contributions.Single(c => c.Field == "services.internet").Contribution, 12);
    }

    [Fact]
    public void Evaluate_UnknownValuesAndCategories_ContributeNothingButTheMissingWeight()
    {
        var e = Model().Evaluate(Snapshot(("contract.type", "weekly")));
        Assert.Equal(-1.5 + 0.3 + (-0.25 * -1), e.Logit, 12);
        Assert.Equal(0.3, e.Contributions.Single(c => c.Field == "tenure.months").Contribution, 12);
        Assert.Equal(0, e.Contributions.Single(c => c.Field == "contract.type").Contribution);
    }

    [Fact]
    public void Bucket_EdgesAreLowerInclusive()
    {
        var bucket = new BucketFeature("tenure.months", [6, 12], [1, 2, 3]);
        Assert.Equal(0, bucket.Bucket(Snapshot(("tenure.months", 5.9))));
        Assert.Equal(1, bucket.Bucket(Snapshot(("tenure.months", 6))));
        Assert.Equal(2, bucket.Bucket(Snapshot(("tenure.months", 12))));
        Assert.Null(bucket.Bucket(Snapshot()));
    }

    [Fact]
    public void ToJson_RoundTripsExactly()
    {
        var model = Model();
        var json = model.ToJson();
        var again = LinearModel.FromJson(json);
        Assert.Equal(json.GetRawText(), again.ToJson().GetRawText());
        Assert.Equal(model.Evaluate(AtRisk).Logit, again.Evaluate(AtRisk).Logit);
        Assert.Equal(model.Weights(), again.Weights());
    }

    [Fact]
    public void WithWeights_ReplacesWeightsInEncodeOrder()
    {
        var model = Model();
        var weights = Enumerable.Range(1, model.Width).Select(i => (double)i).ToArray();
        var changed = model.WithWeights(0.5, weights);
        Assert.Equal(weights, changed.Weights());
        var x = new double[model.Width];
        changed.Encode(AtRisk, x);
        Assert.Equal(0.5 + x.Select((v, i) => v * weights[i]).Sum(), changed.Logit(AtRisk), 12);
    }

    [Fact]
    public void FromJson_BadModel_NamesEveryPath()
    {
        const string bad = """
            {
              "intercept": "high",
              "colour": 1,
              "features": [
                { "kind": "numeric", "field": "tenure months", "mean": 1, "std": 0, "weight": 1 },
                { "kind": "categorical", "field": "contract.type", "weights": { "a": "x" } },
                { "kind": "bucket", "field": "tenure.months", "edges": [5, 3], "weights": [1, 2] },
                { "kind": "spline", "field": "tenure.months" },
                { "kind": "crossed", "fields": ["contract.type", "services.internet"], "weights": { "nopipe": 1 } },
                { "kind": "count", "fields": ["services.phone"], "mean": 0, "std": 1, "weight": 1 },
                { "kind": "numeric", "field": "tenure.months", "mean": 0, "std": 1, "weight": 1, "when": { "field": "contract.type" } }
              ]
            }
            """;
        var ex = Assert.Throws<ManifestException>(() => LinearModel.FromJson(JsonDocument.Parse(bad).RootElement));
        string[] expected =
            [
                "parameters.model.intercept", "parameters.model.colour",
                "parameters.model.features[0].field", "parameters.model.features[0].std",
                "parameters.model.features[1].weights.a",
                "parameters.model.features[2].edges[1]", "parameters.model.features[2].weights",
                "parameters.model.features[3].kind",
                "parameters.model.features[4].weights.nopipe",
                "parameters.model.features[5].value",
                "parameters.model.features[6].when.equals",
            ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), ex.Errors.Keys.Order(StringComparer.Ordinal));
    }
}
