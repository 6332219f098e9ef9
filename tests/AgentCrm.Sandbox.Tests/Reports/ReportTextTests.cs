using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Sandbox.Gate;
using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Metrics;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class ReportTextTests
{
    [Fact]
    public void Render_Report_ShowsMetricsWithIntervalsAndConfusion()
    {
        var report = ReportFixtures.Build(ReportFixtures.SmallCaseList());

        var text = ReportText.Render(report);
        var lines = text.Split('\n');

        Assert.Equal("renewal-risk@1.2.0  sha256:1111", lines[0]);
        Assert.Contains("cases 10  scored 9  errors 1  blocked by consent 0  threshold 0.500", lines);
        Assert.Contains(lines, l => l.StartsWith("precision", StringComparison.Ordinal) && l.Contains("0.750  [", StringComparison.Ordinal));
        Assert.Contains("roc-auc              0.850", lines);
        Assert.Contains("actual positive         TP 3      FN 1", lines);
        Assert.Contains("actual negative         FP 1      TN 4", lines);
        Assert.Contains(lines, l => l.StartsWith("two-year", StringComparison.Ordinal));
        Assert.Contains("gate: not evaluated", lines);
    }

    [Fact]
    public void Render_FittedThreshold_ShowsTheManifestValueUnrounded()
    {
        var report = ReportFixtures.Build(ReportFixtures.SmallCaseList()) with { Threshold = 0.2411 };

        var lines = ReportText.Render(report).Split('\n');

        Assert.Contains("cases 10  scored 9  errors 1  blocked by consent 0  threshold 0.2411", lines);
    }

    [Fact]
    public void Render_Gated_ShowsEachCriterionRequiredAgainstTheReport()
    {
        var gate = new GateCriteria { MinCases = 5, MinPrecision = 0.2, MinRecall = 0.5, MaxErrorRate = 0.2, MinRocAuc = 0.6 };
        var report = GateEvaluator.Apply(ReportFixtures.Build(ReportFixtures.SmallCaseList()), gate, ReportFixtures.Hash);

        var lines = ReportText.Render(report).Split('\n');

        Assert.Contains("  - recall lower bound 0.301 < minimum 0.500", lines);
        Assert.Contains("  scored cases: required >= 5, this report 9", lines);
        Assert.Contains("  precision lower bound: required >= 0.200, this report 0.301", lines);
        Assert.Contains("  precision lower bound above positive share: required > 0.444, this report 0.301", lines);
        Assert.Contains("  recall lower bound: required >= 0.500, this report 0.301", lines);
        Assert.Contains("  errored cases: required <= 20.0%, this report 10.0%", lines);
        Assert.Contains("  ROC-AUC: required >= 0.600, this report 0.850", lines);
    }

    /// <summary>
    /// The positive-share row is judged where the gate judges it: with nothing fired it said "required > 0.500, this report
    /// 0.000" beside "n/a (nothing fired)", a placeholder read as a failure the gate's unmet list does not have (qa41d F2).
    /// </summary>
    [Theory]
    [InlineData("nothing fired", "nothing fired")]
    [InlineData("no positives", "no positive cases")]
    [InlineData("no negatives", "no negative cases")]
    public void Render_Gated_APositiveShareTheGateCannotJudge_IsNotApplicable(string set, string reason)
    {
        List<ScoredCase> cases = set switch
        {
            "nothing fired" => [.. Enumerable.Range(0, 10).Select(i => CaseLists.Of(i % 2 == 0, 0.1, fired: false, id: $"c{i}"))],
            "no positives" => [.. Enumerable.Range(0, 10).Select(i => CaseLists.Of(false, i < 3 ? 0.9 : 0.1, fired: i < 3, id: $"c{i}"))],
            _ => [.. Enumerable.Range(0, 10).Select(i => CaseLists.Of(true, i < 7 ? 0.9 : 0.1, fired: i < 7, id: $"c{i}"))],
        };
        var report = GateEvaluator.Apply(ReportFixtures.Build(cases), new GateCriteria { MinCases = 5, MinPrecision = 0.1, MinRecall = 0.1 }, ReportFixtures.Hash);

        var lines = ReportText.Render(report).Split('\n');

        Assert.Contains($"  precision lower bound above positive share: required > the positive share, this report n/a ({reason})", lines);
        Assert.DoesNotContain(report.Unmet, u => u.Contains("positive share", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_FailedGate_ListsEachUnmetCriterion()
    {
        var report = GateEvaluator.Apply(ReportFixtures.Build(ReportFixtures.SmallCaseList()), new GateCriteria(), ReportFixtures.Hash);

        var lines = ReportText.Render(report).Split('\n');

        Assert.Contains("gate: FAILED", lines);
        Assert.Contains("  - scored cases 9 < minimum 200 (10 cases, 1 errors)", lines);
    }

    [Fact]
    public void Render_CommaDecimalCulture_StillWritesInvariantNumbers()
    {
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NumberDecimalSeparator = ",";
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = culture;
        try
        {
            var report = ReportFixtures.Build(ReportFixtures.SmallCaseList());

            Assert.DoesNotContain("0,75", ReportText.Render(report), StringComparison.Ordinal);
            Assert.DoesNotContain("0,75", HtmlReport.Render(report), StringComparison.Ordinal);
            Assert.DoesNotContain("0,75", SandboxReportJson.Serialize(report), StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Render_ControlCharactersInCaseFileNames_AreNotSentToTheTerminal()
    {
        var report = ReportFixtures.Build(
        [
            CaseLists.Of(true, 0.9, segment: "\u001b]0;pwned\u0007two-year", id: "a"),
            CaseLists.Of(true, 0, fired: false, error: true, id: "b\u001b[2J\r\nc"),
        ]);

        var text = ReportText.Render(report);

        Assert.DoesNotContain(text, c => c != '\n' && char.IsControl(c));
        Assert.Contains("\uFFFD]0;pwned\uFFFDtwo-year", text, StringComparison.Ordinal);
        Assert.Contains("b\uFFFD[2J  c", text, StringComparison.Ordinal);
    }
}
