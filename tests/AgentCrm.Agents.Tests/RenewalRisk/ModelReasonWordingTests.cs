using System.Text.Json;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.RenewalRisk;

/// <summary>
/// A fitted version words a field as 1.0.0 does ("usage down 70% in 30 days", "contract ends in 16 days"), not as the field's
/// name and raw value with the weight in it (a brief adds the weight: "(+1.77) (weight +1.77)" once read twice).
/// </summary>
public sealed class ModelReasonWordingTests
{
    private static readonly RenewalRiskKind Kind = new();

    private const string Model = """
        { "type": "logistic", "intercept": -3, "features": [
          { "kind": "numeric", "field": "usage.trend30d", "mean": 0, "std": 1, "weight": -2.5 },
          { "kind": "numeric", "field": "contract.daysToEnd", "mean": 200, "std": 100, "weight": -0.2 },
          { "kind": "numeric", "field": "tickets.open", "mean": 1, "std": 1, "weight": 0.3 },
          { "kind": "numeric", "field": "nps.latest", "mean": 7, "std": 2, "weight": -0.5 },
          { "kind": "categorical", "field": "contract.type", "weights": { "month-to-month": 0.8 } },
          { "kind": "numeric", "field": "billing.monthlyCharges", "mean": 50, "std": 20, "weight": 0.4 } ] }
        """;

    private static readonly AgentManifest Fitted = Kind.BuiltIn with
    {
        Version = "1.1.0",
        Reads = ["usage.trend30d", "contract.daysToEnd", "tickets.open", "nps.latest", "contract.type", "billing.monthlyCharges"],
        Parameters = new Dictionary<string, JsonElement> { ["model"] = JsonDocument.Parse(Model).RootElement.Clone() },
    };

    private static readonly CustomerSnapshot Customer = new("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>
    {
        ["usage.trend30d"] = SnapshotField.Of("usage.trend30d", -0.7, "e-1"),
        ["contract.daysToEnd"] = SnapshotField.Of("contract.daysToEnd", 16, "e-2"),
        ["tickets.open"] = SnapshotField.Of("tickets.open", 4, "e-3"),
        ["nps.latest"] = SnapshotField.Of("nps.latest", 2, "e-4"),
        ["contract.type"] = SnapshotField.Of("contract.type", "month-to-month", "e-5"),
        ["billing.monthlyCharges"] = SnapshotField.Of("billing.monthlyCharges", 90.5, "e-6"),
    });

    [Fact]
    public void Assess_FittedVersion_WordsEveryFieldAs100Does()
    {
        var builtIn = Kind.Create(Kind.BuiltIn).Assess(Customer).Reasons.ToDictionary(r => r.Field, r => r.Explanation);
        var fitted = Kind.Create(Fitted).Assess(Customer).Reasons.ToDictionary(r => r.Field, r => r.Explanation);

        Assert.Equal("usage down 70% in 30 days", fitted["usage.trend30d"]);
        Assert.Equal("contract ends in 16 days", fitted["contract.daysToEnd"]);
        Assert.Equal("month-to-month contract", fitted["contract.type"]);
        Assert.Equal("billing monthly charges 90.5", fitted["billing.monthlyCharges"]);
        foreach (var field in new[] { "usage.trend30d", "contract.daysToEnd", "tickets.open", "nps.latest", "contract.type" })
            Assert.Equal(builtIn[field], fitted[field]);
        Assert.All(fitted.Values, e => Assert.DoesNotContain("raises risk", e, StringComparison.Ordinal));
    }
}
