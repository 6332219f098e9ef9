using System.Text.RegularExpressions;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Metrics;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class HtmlReportTests
{
    [Fact]
    public void Render_Report_HasThreeInlineSvgChartsAndNoExternalAssets()
    {
        var html = HtmlReport.Render(ReportFixtures.Build(ReportFixtures.SmallCaseList()));

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(html, "<svg "));
        Assert.Contains("<title>ROC (AUC 0.850)</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>Precision-recall (AP ", html, StringComparison.Ordinal);
        Assert.Contains("<title>Calibration (reliability)</title>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_Report_HasSummaryConfusionAndSegmentTables()
    {
        var html = HtmlReport.Render(ReportFixtures.Build(ReportFixtures.SmallCaseList()));

        Assert.Contains("<h2>Summary</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<td>TP 3</td><td>FN 1</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>FP 1</td><td>TN 4</td>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>month-to-month</td><td>5</td><td>1</td>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><th>precision</th><td>0.750 [", html, StringComparison.Ordinal);
        Assert.Contains("Gate: not evaluated", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MaliciousStrings_AreEscaped()
    {
        List<Sandbox.Metrics.ScoredCase> cases = [.. ReportFixtures.SmallCaseList(), CaseLists.Of(true, 0.9, segment: "<img onerror=x>")];
        var report = ReportFixtures.Build(cases, agentId: "<script>alert('x')</script>") with { Unmet = ["a & <b>"] };

        var html = HtmlReport.Render(report);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img onerror=x&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<li>a &amp; &lt;b&gt;</li>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UndefinedCurves_StillDrawsThreeChartsWithNotes()
    {
        var html = HtmlReport.Render(ReportFixtures.Build([]));

        Assert.Equal(3, Regex.Count(html, "<svg "));
        Assert.Contains("undefined: needs positives and negatives", html, StringComparison.Ordinal);
        Assert.Contains("<title>ROC (AUC n/a)</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FittedThreshold_ShowsTheManifestValueUnrounded()
    {
        // A fitted manifest's threshold such as 0.2987 (tender-detection@1.0.0) read 0.299: not the threshold the agent fires at.
        var html = HtmlReport.Render(ReportFixtures.Build(ReportFixtures.SmallCaseList()) with { Threshold = 0.2987 });

        Assert.Contains("<tr><th>threshold</th><td>0.2987</td></tr>", html, StringComparison.Ordinal);
    }
}
