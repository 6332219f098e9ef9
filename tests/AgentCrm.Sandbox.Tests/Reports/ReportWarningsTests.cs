using AgentCrm.Agents;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class ReportWarningsTests
{
    private static Case Of(int i, bool label, params (string Field, object Value)[] fields) =>
        new($"c{i}", new CustomerSnapshot($"c{i}", DateTimeOffset.UnixEpoch, fields.ToDictionary(
            f => f.Field,
            f => f.Value is string s ? SnapshotField.Of(f.Field, s, "e") : SnapshotField.Of(f.Field, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "e"))), label, null);

    private static readonly AgentManifest Version = new RenewalRiskKind().BuiltIn with
    {
        Reads = ["tickets.open", "profile.churned", "services.internet"],
    };

    [Fact]
    public void For_ATextFieldThatCopiesTheLabel_IsAProbableLeak_AndCaseOnlyFieldsAreNamedAsLiveMissing()
    {
        var cases = Enumerable.Range(0, 100).Select(i => Of(i, i % 3 == 0,
            ("tickets.open", i % 7), ("profile.churned", i % 3 == 0 ? "Yes" : "No"), ("services.internet", i % 2 == 0 ? "fiber" : "dsl"))).ToList();

        var warnings = ReportWarnings.For(Version, cases);

        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("probable label leak: profile.churned alone separates the case set's labels (single-field ROC-AUC 1.000)", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("reads 2 fields no live event fills (profile.churned, services.internet)", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void For_FieldsEventsFillThatSeparateNothing_WarnsOfNothing()
    {
        var cases = Enumerable.Range(0, 100).Select(i => Of(i, i % 3 == 0, ("tickets.open", i % 7))).ToList();

        Assert.Empty(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["tickets.open"] }, cases));
    }

    [Fact]
    public void For_AnIdLikeTextField_IsNoLeak_ItsValuesHaveTooFewCasesToJudge()
    {
        // 10 positives and 10 negatives, each with its own name: a name's positive share on its own case is 0 or 1.
        var cases = Enumerable.Range(0, 20).Select(i => Of(i, i % 2 == 0, ("profile.name", $"Customer {i}"))).ToList();

        Assert.Null(ReportWarnings.SingleFieldAuc("profile.name", cases));
        Assert.DoesNotContain(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["profile.name"] }, cases),
            w => w.StartsWith("probable label leak", StringComparison.Ordinal));
    }

    [Fact]
    public void For_DaysSinceLast_WarnsItIsZeroOnEveryEventsTurn_NamingWhereItCounts()
    {
        var cases = Enumerable.Range(0, 100).Select(i => Of(i, i % 3 == 0, ("events.daysSinceLast", i % 7))).ToList();

        var onLogin = Assert.Single(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Subscribes = ["login"], Reads = ["events.daysSinceLast"] }, cases));
        Assert.StartsWith("reads events.daysSinceLast, which is 0 on every event's turn", onLogin, StringComparison.Ordinal);
        Assert.Contains("which run versions subscribed to contract, not this one", onLogin, StringComparison.Ordinal);
        var onContract = Assert.Single(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Subscribes = ["contract"], Reads = ["events.daysSinceLast"] }, cases));
        Assert.Contains("at the renewal re-scores (90, 60 and 30 days before a contract's end)", onContract, StringComparison.Ordinal);
    }
}
