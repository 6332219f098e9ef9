using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.RenewalRisk;

/// <summary>
/// Every reason the renewal-risk agent writes words its number right: a count agrees with its noun, nothing reads "-0",
/// and a change that is not zero never reads as 0 (QA: "contract ended -0 days ago", "usage down 0% in 30 days",
/// "customer for only 0 days", "contract ends in 1 days").
/// </summary>
public sealed partial class ReasonWordingTests
{
    private static readonly RenewalRiskKind Kind = new();
    private static readonly IAgent Agent = Kind.Create(Kind.BuiltIn);

    private static CrmEvent E(string customer, string type, string at, object attributes) =>
        new($"{customer}-{type}-{at}", customer, type, DateTimeOffset.Parse(at, CultureInfo.InvariantCulture), "test", JsonSerializer.SerializeToElement(attributes));

    private static Dictionary<string, string> Reasons(IEnumerable<CrmEvent> events)
    {
        var s = new CustomerState();
        foreach (var e in events)
            CustomerTimeline.Apply(s, e);
        return Agent.Assess(SnapshotBuilder.Build(s, s.LastEventAt!.Value)).Reasons.ToDictionary(r => r.Field, r => r.Explanation);
    }

    [Fact]
    public void Assess_ContractEndingAtTheEventsOwnInstant_SaysItEndedLessThanADayAgo()
    {
        var reasons = Reasons(
        [
            E("cx3", "profile", "2026-12-05T09:00:00Z", new { name = "Initech Three", customerSince = "2025-12-05" }),
            E("cx3", "contract", "2026-12-05T09:00:00Z", new { contractType = "one-year", endDate = "2026-12-05T09:00:00Z", autoRenew = false }),
            E("cx3", "nps", "2026-12-05T09:00:00Z", new { score = 1 }),
        ]);

        Assert.Equal("contract ended less than a day ago", reasons["contract.daysToEnd"]);
    }

    [Fact]
    public void Assess_UsageDownThreeTenthsOfAPercent_SaysLessThanOnePercent()
    {
        var events = new List<CrmEvent>
        {
            E("cx2", "profile", "2026-10-01T09:00:00Z", new { name = "Soylent Two", customerSince = "2020-01-01" }),
            E("cx2", "contract", "2026-10-01T09:00:00Z", new { contractType = "monthly", endDate = "2026-12-20", autoRenew = false }),
        };
        for (var day = new DateOnly(2026, 10, 7); day <= new DateOnly(2026, 12, 5); day = day.AddDays(1))
            events.Add(E("cx2", "usage", $"{day:yyyy-MM-dd}T09:00:00Z", new { quantity = day <= new DateOnly(2026, 11, 5) ? 1000 : 997 }));
        events.Add(E("cx2", "nps", "2026-12-05T10:00:00Z", new { score = 3 }));

        var reasons = Reasons(events);

        Assert.Equal("usage down less than 1% in 30 days", reasons["usage.trend30d"]);
    }

    [Fact]
    public void Assess_NewCustomerWhoseContractEndsThatDay_CountsDaysInTheSingularAndLessThanADay()
    {
        var first = new[]
        {
            E("cx1", "profile", "2026-12-04T09:00:00Z", new { name = "Cyberdyne One", customerSince = "2026-12-04" }),
            E("cx1", "contract", "2026-12-04T09:00:00Z", new { contractType = "month-to-month", endDate = "2026-12-05T20:00:00Z", autoRenew = false }),
        };
        var firstDay = Reasons(first);
        Assert.Equal("customer for less than a day", firstDay["tenure.days"]);
        Assert.Equal("contract ends in 2 days", firstDay["contract.daysToEnd"]);

        var nextDay = Reasons([.. first, E("cx1", "nps", "2026-12-05T09:00:00Z", new { score = 2 })]);
        Assert.Equal("customer for only 1 day", nextDay["tenure.days"]);
        Assert.Equal("contract ends in 1 day", nextDay["contract.daysToEnd"]);
    }

    [Fact]
    public void Assess_AnyValueOfEveryFactor_WordsItsNumberRight()
    {
        double[] days = [-400, -2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 119];
        double[] trends = [-1, -0.38, -0.005, -0.004, -0.003, -0.0017, -0.0001];
        double[] counts = [0.5, 1, 1.5, 2, 7];
        double[] scores = [0, 1, 5.5, 6];
        double[] tenures = [0, 0.5, 1, 2, 364];
        var checkedReasons = 0;
        for (var i = 0; i < 70; i++)
        {
            var (d, t, c, n, tenure) = (days[i % days.Length], trends[i % trends.Length], counts[i % counts.Length], scores[i % scores.Length], tenures[i % tenures.Length]);
            var snapshot = new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>
            {
                ["contract.daysToEnd"] = SnapshotField.Of("contract.daysToEnd", d),
                ["usage.trend30d"] = SnapshotField.Of("usage.trend30d", t),
                ["tickets.open"] = SnapshotField.Of("tickets.open", c),
                ["tickets.openHighPriority"] = SnapshotField.Of("tickets.openHighPriority", c),
                ["billing.paymentFailures90d"] = SnapshotField.Of("billing.paymentFailures90d", c),
                ["billing.overdueInvoices"] = SnapshotField.Of("billing.overdueInvoices", c),
                ["nps.latest"] = SnapshotField.Of("nps.latest", n),
                ["tenure.days"] = SnapshotField.Of("tenure.days", tenure),
            });
            foreach (var reason in Agent.Assess(snapshot).Reasons)
            {
                checkedReasons++;
                Assert.DoesNotMatch(MinusZero(), reason.Explanation);
                Assert.DoesNotMatch(ZeroOfSomething(), reason.Explanation);
                Assert.DoesNotMatch(OneWithAPlural(), reason.Explanation);
                Assert.DoesNotMatch(ManyWithASingular(), reason.Explanation);
                // A brief shows weights to two decimals: a reason never shows +0.00.
                Assert.True(reason.Weight >= 0.005, $"{reason.Explanation}: {reason.Weight}");
            }
        }
        Assert.True(checkedReasons > 50, checkedReasons.ToString(CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(?<![\d.])-0(?![\d.])")]
    private static partial Regex MinusZero();

    [GeneratedRegex(@"(?<![\d.])0(%| days| tickets| high| failed| overdue)")]
    private static partial Regex ZeroOfSomething();

    [GeneratedRegex(@"(?<![\d.])1 (day|unresolved ticket|high-priority ticket|failed payment|overdue invoice)s\b")]
    private static partial Regex OneWithAPlural();

    [GeneratedRegex(@"(?<![\d.])(\d*[02-9]|\d+\.\d+) (day|unresolved ticket|high-priority ticket|failed payment|overdue invoice)\b(?!s)")]
    private static partial Regex ManyWithASingular();

    [Fact]
    public void Assess_NegligibleContribution_CountsInTheScoreButIsNoReason()
    {
        var snapshot = new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>
        {
            ["tenure.days"] = SnapshotField.Of("tenure.days", 364),
        });

        var result = Agent.Assess(snapshot);

        Assert.Empty(result.Reasons);
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(-(-3.0 + (0.8 / 365)))), 4), result.Score);
    }

    [Theory]
    [InlineData(1, "1 day")]
    [InlineData(0, "0 days")]
    [InlineData(2, "2 days")]
    [InlineData(1.5, "1.5 days")]
    [InlineData(-0.0, "0 days")]
    public void Count_AgreesWithItsNumber(double n, string expected) => Assert.Equal(expected, ReasonText.Count(n, "day"));

    [Theory]
    [InlineData(-0.0, "0")]
    [InlineData(-0.003, "-0.003")]
    [InlineData(0.0043, "0.004")]
    [InlineData(0.25, "0.25")]
    [InlineData(6, "6")]
    public void Number_NeverShowsZeroForANonZeroValue(double d, string expected) => Assert.Equal(expected, ReasonText.Number(d));

    [Theory]
    [InlineData(-0.003, "less than 1%")]
    [InlineData(-0.0049, "less than 1%")]
    [InlineData(-0.006, "1%")]
    [InlineData(-0.38, "38%")]
    [InlineData(0, "0%")]
    public void Percent_NeverShowsZeroForAChange(double fraction, string expected) => Assert.Equal(expected, ReasonText.Percent(fraction));

    [Fact]
    public void Explain_FittedModelsSmallValue_ShowsItsDigits()
    {
        Assert.Equal("usage down less than 1% in 30 days", ModelAssessment.Explain("usage.trend30d", -0.003));
        Assert.Equal("customer for 0 months", ModelAssessment.Explain("tenure.months", -0.0));
        Assert.Equal("billing monthly charges 0.004", ModelAssessment.Explain("billing.monthlyCharges", 0.004));
    }
}
