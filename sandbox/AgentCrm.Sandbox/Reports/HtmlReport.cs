using System.Globalization;
using System.Net;
using System.Text;
using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

/// <summary>
/// The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external assets), safe to
/// mail or archive. Every string taken from the report is HTML-encoded.
/// </summary>
public static class HtmlReport
{
    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
        table{border-collapse:collapse;margin:.5rem 0 1.5rem}
        th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
        th:first-child,td:first-child{text-align:left}
        .passed{color:#1a7f37}.failed{color:#cf222e}.pending{color:#9a6700}
        .charts{display:flex;flex-wrap:wrap;gap:1rem}
        """;

    public static string Render(SandboxReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var title = $"Sandbox report: {report.AgentId}@{report.Version} on {report.CaseSet}";
        var html = new StringBuilder();
        html.Append($"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{E(title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n");
        html.Append($"<h1>{E(title)}</h1>\n");
        AppendGate(html, report);
        AppendSummary(html, report);
        AppendConfusion(html, report.Confusion);
        AppendCharts(html, report);
        AppendSegments(html, report);
        AppendErrors(html, report);
        AppendCalibration(html, report.Calibration);
        html.Append($"<footer>Created {E(report.CreatedAt.ToString("O", CultureInfo.InvariantCulture))}</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendGate(StringBuilder html, SandboxReport report)
    {
        var (css, text) = ReportText.GateOutcome(report);
        html.Append($"<p class=\"{css}\"><strong>Gate: {E(text)}</strong></p>\n");
        if (report.Unmet.Count > 0)
        {
            html.Append("<ul>").AppendJoin("", report.Unmet.Select(u => $"<li>{E(u)}</li>")).Append("</ul>\n");
        }

        if (report.Warnings.Count > 0)
        {
            html.Append("<p><strong>Warnings</strong></p>\n<ul>").AppendJoin("", report.Warnings.Select(w => $"<li>{E(w)}</li>")).Append("</ul>\n");
        }

        var criteria = ReportText.Criteria(report);
        if (criteria.Count > 0)
        {
            html.Append("<table>\n<tr><th>gate criterion</th><th>required</th><th>this report</th></tr>\n");
            foreach (var (criterion, required, actual) in criteria)
            {
                html.Append($"<tr><td>{E(criterion)}</td><td>{E(required)}</td><td>{E(actual)}</td></tr>\n");
            }

            html.Append("</table>\n");
        }
    }

    private static void AppendSummary(StringBuilder html, SandboxReport report)
    {
        html.Append("<h2>Summary</h2>\n<table>\n");
        Row(html, "agent", $"{report.AgentId}@{report.Version}");
        Row(html, "content hash", report.ContentHash);
        Row(html, "case set", $"{report.CaseSet} ({report.CaseSetHash})");
        Row(html, "threshold", ReportText.Threshold(report.Threshold));
        Row(html, "cases / scored / errors / blocked by consent", Inv($"{report.Cases} / {report.Scored} / {report.Errors} / {report.BlockedByConsent}"));
        Row(html, "precision", ReportText.WithInterval(report.PrecisionInterval, report.Confusion.PrecisionUndefined));
        Row(html, "recall", ReportText.WithInterval(report.RecallInterval, report.Confusion.RecallUndefined));
        Row(html, "F1", ReportText.WithInterval(report.F1Interval, report.Confusion.RecallUndefined));
        Row(html, "accuracy", ReportText.WithInterval(report.AccuracyInterval, report.Confusion.AccuracyUndefined));
        Row(html, "ROC-AUC", ReportText.Number(report.RocAuc));
        Row(html, "PR-AUC (average precision)", ReportText.Number(report.PrAuc));
        Row(html, "Brier score", ReportText.Number(report.Brier));
        Row(html, "best-F1 threshold", ReportText.BestF1Undefined(report) is { } why ? $"undefined: {why}" : ReportText.Number(report.BestF1Threshold));
        Row(html, "assess latency p50 / p95 / p99 (ms)", ReportText.Latency(report.LatencyMs));
        html.Append("</table>\n");
    }

    private static void AppendConfusion(StringBuilder html, ConfusionMatrix m)
    {
        html.Append("<h2>Confusion matrix</h2>\n<table>\n<tr><th></th><th>fired</th><th>not fired</th></tr>\n");
        html.Append(Inv($"<tr><td>actual positive</td><td>TP {m.TruePositives}</td><td>FN {m.FalseNegatives}</td></tr>\n"));
        html.Append(Inv($"<tr><td>actual negative</td><td>FP {m.FalsePositives}</td><td>TN {m.TrueNegatives}</td></tr>\n</table>\n"));
    }

    private static void AppendCharts(StringBuilder html, SandboxReport report)
    {
        var roc = report.RocCurve.Select(p => (p.FalsePositiveRate, p.TruePositiveRate)).ToList();
        // The PR curve starts at recall 0 with the precision of the first threshold, as scikit-learn draws it.
        var pr = report.PrCurve.Select(p => (p.Recall, p.Precision)).ToList();
        if (pr.Count > 0)
        {
            pr.Insert(0, (0, pr[0].Precision));
        }

        var prevalence = report.Scored == 0 ? 0 : (double)(report.Confusion.TruePositives + report.Confusion.FalseNegatives) / report.Scored;
        var calibration = report.Calibration
            .Where(b => b.MeanPredicted is not null && b.ObservedRate is not null)
            .Select(b => (b.MeanPredicted!.Value, b.ObservedRate!.Value)).ToList();
        (double, double)[] diagonal = [(0, 0), (1, 1)];

        html.Append("<h2>Charts</h2>\n<div class=\"charts\">\n");
        html.Append(SvgChart.Render($"ROC (AUC {ReportText.Number(report.RocAuc)})", "false positive rate", "true positive rate", roc, diagonal, markers: false, "undefined: needs positives and negatives")).Append('\n');
        html.Append(SvgChart.Render($"Precision-recall (AP {ReportText.Number(report.PrAuc)})", "recall", "precision", pr, pr.Count == 0 ? [] : [(0, prevalence), (1, prevalence)], markers: false, "undefined: needs positives")).Append('\n');
        html.Append(SvgChart.Render("Calibration (reliability)", "mean predicted", "observed rate", calibration, diagonal, markers: true, "no scored cases")).Append('\n');
        html.Append("</div>\n");
    }

    private static void AppendSegments(StringBuilder html, SandboxReport report)
    {
        html.Append("<h2>Per segment</h2>\n");
        if (report.PerSegment.Count == 0)
        {
            html.Append("<p>No case has a segment.</p>\n");
            return;
        }

        html.Append("<table>\n<tr><th>segment</th><th>cases</th><th>errors</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th><th>precision</th><th>recall</th><th>F1</th></tr>\n");
        foreach (var (name, s) in report.PerSegment)
        {
            var m = s.Confusion;
            html.Append(name == SandboxReport.NoSegment ? $"<tr><td><em>{E(SandboxReport.NoSegmentLabel)}</em></td>" : $"<tr><td>{E(name)}</td>").Append(Inv($"<td>{s.Cases}</td><td>{s.Errors}</td><td>{m.TruePositives}</td><td>{m.FalsePositives}</td><td>{m.FalseNegatives}</td><td>{m.TrueNegatives}</td>"));
            html.Append($"<td>{E(ReportText.WithInterval(s.PrecisionInterval, s.Confusion.PrecisionUndefined))}</td><td>{E(ReportText.WithInterval(s.RecallInterval, s.Confusion.RecallUndefined))}</td><td>{E(ReportText.WithInterval(s.F1Interval, s.Confusion.RecallUndefined))}</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void AppendErrors(StringBuilder html, SandboxReport report)
    {
        if (report.ErroredCases.Count == 0)
        {
            return;
        }

        var which = report.ErroredCases.Count < report.Errors ? Inv($"the first {report.ErroredCases.Count} of {report.Errors}") : "all";
        html.Append($"<h2>Errored cases ({E(which)})</h2>\n<table>\n<tr><th>case</th><th>reason</th></tr>\n");
        foreach (var e in report.ErroredCases)
        {
            html.Append($"<tr><td>{E(e.CaseId)}</td><td style=\"text-align:left\">{E(e.Reason)}</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void AppendCalibration(StringBuilder html, IReadOnlyList<CalibrationBin> bins)
    {
        html.Append("<h2>Calibration table</h2>\n<table>\n<tr><th>scores</th><th>cases</th><th>mean predicted</th><th>observed rate</th></tr>\n");
        foreach (var b in bins)
        {
            html.Append(Inv($"<tr><td>{b.Lower:0.0}–{b.Upper:0.0}</td><td>{b.Count}</td><td>{ReportText.Number(b.MeanPredicted)}</td><td>{ReportText.Number(b.ObservedRate)}</td></tr>\n"));
        }

        html.Append("</table>\n");
    }

    private static void Row(StringBuilder html, string name, string value) =>
        html.Append($"<tr><th>{E(name)}</th><td>{E(value)}</td></tr>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
