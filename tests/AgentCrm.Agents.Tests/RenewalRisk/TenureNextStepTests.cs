using System.Text.Json;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.RenewalRisk;

/// <summary>
/// A fitted model may find that tenure raises risk at any length (a tree splits where the data did): only a customer in
/// their first year is told "new customers churn before they reach value" (QA: a customer since 2022 read about new customers).
/// </summary>
public sealed class TenureNextStepTests
{
    private const string Onboarding = "Run an onboarding health check: new customers churn before they reach value.";
    private static readonly RenewalRiskKind Kind = new();

    /// <summary>A model in which every month of tenure raises risk, and an unknown tenure too.</summary>
    private static IAgent TenureModel() => Kind.Create(Kind.BuiltIn with
    {
        Version = "1.1.0",
        Reads = ["tenure.months"],
        Parameters = new Dictionary<string, JsonElement>
        {
            ["model"] = JsonDocument.Parse("""
                { "type": "logistic", "intercept": -1,
                  "features": [ { "kind": "numeric", "field": "tenure.months", "mean": 0, "std": 1, "weight": 0.1, "missingWeight": 0.5 } ] }
                """).RootElement.Clone(),
        },
    });

    private static CustomerSnapshot Tenure(double? months) => new("c-1", DateTimeOffset.UnixEpoch, months is { } m
        ? new Dictionary<string, SnapshotField> { ["tenure.months"] = SnapshotField.Of("tenure.months", m, "e-1") }
        : new Dictionary<string, SnapshotField>());

    [Fact]
    public void Assess_ModelWhereLongTenureRaisesRisk_DoesNotCallTheCustomerNew()
    {
        var result = TenureModel().Assess(Tenure(55));

        Assert.Equal("tenure.months", Assert.Single(result.Reasons).Field);
        Assert.DoesNotContain("new customer", result.NextStep, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("new customer", result.Reasons[0].Explanation, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Assess_ModelWhereUnknownTenureRaisesRisk_DoesNotCallTheCustomerNew()
    {
        var result = TenureModel().Assess(Tenure(null));

        Assert.Equal("tenure unknown", Assert.Single(result.Reasons).Explanation);
        Assert.NotEqual(Onboarding, result.NextStep);
    }

    [Fact]
    public void Assess_FirstYearCustomer_IsToldToOnboard()
    {
        Assert.Equal(Onboarding, TenureModel().Assess(Tenure(3)).NextStep);

        var handWeighted = Kind.Create(Kind.BuiltIn).Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch,
            new Dictionary<string, SnapshotField> { ["tenure.days"] = SnapshotField.Of("tenure.days", 20, "e-1") }));
        Assert.Equal("customer for only 20 days", Assert.Single(handWeighted.Reasons).Explanation);
        Assert.Equal(Onboarding, handWeighted.NextStep);
    }
}
