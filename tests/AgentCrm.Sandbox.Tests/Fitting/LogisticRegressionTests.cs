using AgentCrm.Agents;
using AgentCrm.Agents.Models;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Tests.Cases;

namespace AgentCrm.Sandbox.Tests.Fitting;

public sealed class LogisticRegressionTests
{
    [Fact]
    public void Fit_ReachesTheRegularisedOptimum_InterceptUnpenalised()
    {
        var random = new Random(3);
        var snapshots = Enumerable.Range(0, 400).Select(i => new CustomerSnapshot($"c{i}", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>
        {
            ["usage.a"] = SnapshotField.Of("usage.a", random.NextDouble() * 4 - 2),
            ["usage.b"] = SnapshotField.Of("usage.b", random.NextDouble() * 4 - 2),
        })).ToArray();
        var labels = snapshots.Select(s => random.NextDouble() < LinearModel.Sigmoid(1 + 1.5 * s.Number("usage.a")!.Value - s.Number("usage.b")!.Value)).ToArray();
        var model = new LinearModel(0, [new NumericFeature(NumericSource.Field, ["usage.a"], NumericFeature.None, 0, 1, 0), new NumericFeature(NumericSource.Field, ["usage.b"], NumericFeature.None, 0, 1, 0)]);
        var design = Design.Encode(model, snapshots);
        const double lambda = 2;

        var (b, w) = LogisticRegression.Fit(design, labels, lambda);

        // The gradient of Σ log-loss + λ/2·‖w‖² vanishes; the intercept's has no penalty term.
        var g = new double[3];
        for (var r = 0; r < design.Rows; r++)
        {
            var residual = LogisticRegression.Sigmoid(design.Logit(r, b, w)) - (labels[r] ? 1 : 0);
            g[0] += residual;
            for (var k = 0; k < design.Indices[r].Length; k++)
                g[design.Indices[r][k] + 1] += residual * design.Values[r][k];
        }
        g[1] += lambda * w[0];
        g[2] += lambda * w[1];
        Assert.All(g, v => Assert.InRange(v, -1e-6, 1e-6));
        Assert.InRange(w[0], 1.0, 2.0);
        Assert.InRange(w[1], -1.5, -0.5);
    }

    [Fact]
    public void Fit_TimelineCases_UsesSnapshotFieldsButNeverWhoTheCustomerIs()
    {
        var events = new List<string>();
        var labels = new List<string> { "customerId,cutoff,label" };
        for (var i = 0; i < 80; i++)
        {
            var churned = i % 3 == 0;
            var segment = i % 2 == 0 ? "smb" : "enterprise";
            var contract = churned || i % 5 == 0 ? "monthly" : "annual";
            events.Add(Event($"p{i}", $"c{i}", "profile", "2026-01-01", $"\"name\":\"Customer {i}\",\"segment\":\"{segment}\""));
            events.Add(Event($"k{i}", $"c{i}", "contract", "2026-01-01", $"\"contractType\":\"{contract}\""));
            for (var t = 0; t < (churned ? 3 : i % 2); t++)
                events.Add(Event($"t{i}-{t}", $"c{i}", "support_ticket", $"2026-03-0{t + 1}", $"\"ticketId\":\"T{i}-{t}\",\"status\":\"open\""));
            labels.Add($"c{i},2026-04-01T00:00:00Z,{(churned ? 1 : 0)}");
        }
        var set = SampleData.Timeline(string.Join('\n', events), string.Join('\n', labels), "synthetic-timeline");

        var result = RenewalRiskFitter.Fit(set, new FitOptions { L2Strengths = [1, 10] });

        Assert.DoesNotContain("profile.name", result.Manifest.Reads);
        Assert.Contains("tickets.open", result.Manifest.Reads);
        Assert.InRange(result.Validation.RocAuc, 0.9, 1);
        Assert.Equal(CaseSetKinds.Timeline, set.Kind);
    }

    private static string Event(string id, string customer, string type, string day, string attributes) =>
        $"{{\"id\":\"{id}\",\"customerId\":\"{customer}\",\"type\":\"{type}\",\"occurredAt\":\"{day}T00:00:00Z\",\"attributes\":{{{attributes}}}}}";
}
