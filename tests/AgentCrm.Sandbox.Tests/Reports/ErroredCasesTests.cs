using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class ErroredCasesTests
{
    private static SandboxReport Report(IReadOnlyList<ScoredCase> scored) =>
        SandboxReport.Build(scored, "replay-test", "1.0.0", "sha256:x", "set", "sha256:y", 0.5, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Report_ListsTheFirst20ErroredCases_InCaseOrder_AndSurvivesJson()
    {
        var scored = Enumerable.Range(0, 30).Select(i => new ScoredCase($"e{i}", true, 0, false, null, 1, true) { ErrorReason = $"X: {i}" })
            .Append(new ScoredCase("nan", false, double.NaN, false, null, 1, false))
            .Concat(Enumerable.Range(0, 10).Select(i => new ScoredCase($"ok{i}", i % 2 == 0, 0.9, true, null, 1, false)))
            .ToList();

        var report = Report(scored);

        Assert.Equal(31, report.Errors);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"e{i}"), report.ErroredCases.Select(e => e.CaseId));
        Assert.Equal("X: 0", report.ErroredCases[0].Reason);
        var again = SandboxReportJson.Deserialize(SandboxReportJson.Serialize(report));
        Assert.Equal(report.ErroredCases, again.ErroredCases);
        Assert.Contains("\"erroredCases\"", SandboxReportJson.Serialize(report), StringComparison.Ordinal);
        Assert.Equal("the score is not a finite number (NaN)", Report(scored.Skip(30).ToList()).ErroredCases.Single().Reason);
    }

    [Fact]
    public void ErroredCases_AreRendered_InTheTextAndHtmlReports_Encoded()
    {
        var report = Report([new ScoredCase("<c1>", true, 0, false, null, 1, true) { ErrorReason = "System.FormatException: bad <input>" }, new ScoredCase("c2", false, 0.1, false, null, 1, false)]);

        Assert.Contains("  <c1>: System.FormatException: bad <input>", ReportText.Render(report), StringComparison.Ordinal);
        Assert.Contains("<td>&lt;c1&gt;</td><td style=\"text-align:left\">System.FormatException: bad &lt;input&gt;</td>", HtmlReport.Render(report), StringComparison.Ordinal);
        Assert.DoesNotContain("Errored cases", HtmlReport.Render(Report([new ScoredCase("c2", false, 0.1, false, null, 1, false)])), StringComparison.Ordinal);
    }
}
