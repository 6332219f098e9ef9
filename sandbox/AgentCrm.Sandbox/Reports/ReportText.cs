using System.Globalization;
using System.Text;
using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

/// <summary>The report as a plain-text table for the CLI's human output.</summary>
public static class ReportText
{
    public static string Render(SandboxReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        Line(text, $"{report.AgentId}@{report.Version}  {report.ContentHash}");
        Line(text, $"case set {report.CaseSet}  {report.CaseSetHash}");
        Line(text, $"cases {report.Cases}  scored {report.Scored}  errors {report.Errors}  blocked by consent {report.BlockedByConsent}  threshold {Threshold(report.Threshold)}");
        text.Append('\n');
        Line(text, $"{"metric",-18} {"value",7}  95% interval");
        Metric(text, "precision", report.PrecisionInterval, report.Confusion.PrecisionUndefined);
        Metric(text, "recall", report.RecallInterval, report.Confusion.RecallUndefined);
        Metric(text, "f1", report.F1Interval, report.Confusion.RecallUndefined);
        Metric(text, "accuracy", report.AccuracyInterval, report.Confusion.AccuracyUndefined);
        Line(text, $"{"roc-auc",-18} {Number(report.RocAuc),7}");
        Line(text, $"{"pr-auc",-18} {Number(report.PrAuc),7}");
        Line(text, $"{"brier",-18} {Number(report.Brier),7}");
        Line(text, $"{"best-f1 threshold",-18} {Number(report.BestF1Threshold),7}{(BestF1Undefined(report) is { } why ? $"  undefined: {why}" : "")}");
        Line(text, $"{"latency ms",-18} {(report.LatencyMs is { } l ? string.Create(CultureInfo.InvariantCulture, $"p50 {l.P50:0.###}  p95 {l.P95:0.###}  p99 {l.P99:0.###}") : "n/a")}");
        text.Append('\n');
        var m = report.Confusion;
        Line(text, $"{"",-18} {"fired",9} {"not fired",9}");
        Line(text, $"{"actual positive",-18} {"TP " + m.TruePositives,9} {"FN " + m.FalseNegatives,9}");
        Line(text, $"{"actual negative",-18} {"FP " + m.FalsePositives,9} {"TN " + m.TrueNegatives,9}");
        if (report.PerSegment.Count > 0)
        {
            text.Append('\n');
            Line(text, $"{"segment",-18} {"cases",6} {"errors",6} {"precision",9} {"recall",9} {"f1",9}");
            foreach (var (name, s) in report.PerSegment)
            {
                Line(text, $"{SegmentLabel(name),-18} {s.Cases,6} {s.Errors,6} {Number(s.Precision),9} {Number(s.Recall),9} {Number(s.F1),9}");
            }
        }

        if (report.ErroredCases.Count > 0)
        {
            text.Append('\n');
            Line(text, $"errored cases ({(report.ErroredCases.Count < report.Errors ? $"the first {report.ErroredCases.Count} of {report.Errors}" : "all")}):");
            foreach (var e in report.ErroredCases)
            {
                Line(text, $"  {e.CaseId}: {e.Reason}");
            }
        }

        text.Append('\n');
        Line(text, $"gate: {GateOutcome(report).Text}");
        foreach (var unmet in report.Unmet)
        {
            Line(text, $"  - {unmet}");
        }

        foreach (var (criterion, required, actual) in Criteria(report))
        {
            Line(text, $"  {criterion}: required {required}, this report {actual}");
        }

        foreach (var warning in report.Warnings)
        {
            Line(text, $"warning: {warning}");
        }

        return text.ToString();
    }

    // A failing gate always names at least one unmet criterion, so "not passed, nothing unmet" means not gated.
    internal static (string Css, string Text) GateOutcome(SandboxReport report) =>
        report.Passed ? ("passed", "passed")
        : report.Unmet.Count > 0 ? ("failed", "FAILED")
        : ("pending", "not evaluated");

    /// <summary>
    /// Each criterion of the gate the report was judged by, what it requires and this report's number, so a reviewer
    /// sees what a passing report passed (the unmet ones are listed in the gate's words above). Empty when not gated.
    /// </summary>
    internal static IReadOnlyList<(string Criterion, string Required, string Actual)> Criteria(SandboxReport report)
    {
        if (report.Criteria is not { } gate)
        {
            return [];
        }

        var m = report.Confusion;
        var ran = report.Cases - report.BlockedByConsent;
        var rows = new List<(string, string, string)>
        {
            ("scored cases", $">= {gate.MinCases.ToString(CultureInfo.InvariantCulture)}", report.Scored.ToString(CultureInfo.InvariantCulture)),
            m.PrecisionUndefined is { } noPrecision
                ? ("precision lower bound", $">= {Number(gate.MinPrecision)}", $"n/a ({noPrecision})")
                : Pair("precision lower bound", ">=", report.PrecisionInterval.Lower, gate.MinPrecision),
        };
        if (gate.MinPrecision > 0)
        {
            // Judged only where the gate judges it (GateEvaluator): not on placeholder numbers when nothing fired or the set
            // lacks positives or negatives (qa41d F2: "required > 0.500, this report 0.000" beside "n/a (nothing fired)").
            var notJudged = m.RecallUndefined ?? (m.Negatives == 0 ? "no negative cases" : m.PrecisionUndefined);
            rows.Add(notJudged is not null
                ? ("precision lower bound above positive share", "> the positive share", $"n/a ({notJudged})")
                : Pair("precision lower bound above positive share", ">", report.PrecisionInterval.Lower, (double)(m.TruePositives + m.FalseNegatives) / m.Total));
        }

        rows.Add(m.RecallUndefined is { } noRecall
            ? ("recall lower bound", $">= {Number(gate.MinRecall)}", $"n/a ({noRecall})")
            : Pair("recall lower bound", ">=", report.RecallInterval.Lower, gate.MinRecall));
        var (errorRate, maxErrorRate) = Gate.GateEvaluator.FormatPercent(ran == 0 ? 0 : (double)report.Errors / ran, gate.EffectiveMaxErrorRate);
        rows.Add(("errored cases", $"<= {maxErrorRate}", ran == 0 ? "n/a" : errorRate));
        if (gate.MinRocAuc is { } minRocAuc)
        {
            rows.Add(report.RocAuc is { } auc ? Pair("ROC-AUC", ">=", auc, minRocAuc) : ("ROC-AUC", $">= {Number(minRocAuc)}", "n/a"));
        }

        return rows;

        // The gate's own formatting: 0.4996 against 0.5 must not read "0.500" against "0.500".
        static (string, string, string) Pair(string criterion, string relation, double actual, double required)
        {
            var (a, r) = Gate.GateEvaluator.Format(actual, required);
            return (criterion, $"{relation} {r}", a);
        }
    }

    /// <summary>Why the report has no best-F1 threshold (F1 is undefined or 0 at every threshold of the sweep); null when it has one.</summary>
    internal static string? BestF1Undefined(SandboxReport report) =>
        report.BestF1Threshold is not null ? null
        : report.Confusion.RecallUndefined is { } noRecall ? noRecall
        : "F1 is 0 at every threshold";

    /// <summary>A <see cref="SandboxReport.PerSegment"/> key as the reports show it: the blank segment as "(blank)".</summary>
    internal static string SegmentLabel(string key) => key == SandboxReport.NoSegment ? SandboxReport.NoSegmentLabel : key;

    internal static string Number(double? value) =>
        value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    // The threshold is the manifest's setting, not a measurement: rounded to three decimals a fitted 0.2987 read 0.299.
    internal static string Threshold(double value) => value.ToString("0.000#######", CultureInfo.InvariantCulture);

    internal static string WithInterval(Estimate estimate) =>
        $"{Number(estimate.Value)} [{Number(estimate.Lower)}, {Number(estimate.Upper)}]";

    internal static string Latency(LatencySummary? latency) =>
        latency is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{latency.P50:0.###} / {latency.P95:0.###} / {latency.P99:0.###}");

    private static void Metric(StringBuilder text, string name, Estimate estimate, string? undefined = null) =>
        Line(text, undefined is null ? (FormattableString)$"{name,-18} {Number(estimate.Value),7}  [{Number(estimate.Lower)}, {Number(estimate.Upper)}]" : $"{name,-18} {"n/a",7}  undefined: {undefined}");

    /// <summary>The estimate with its interval, or "undefined: why" when it cannot be measured.</summary>
    internal static string WithInterval(Estimate estimate, string? undefined) => undefined is null ? WithInterval(estimate) : $"undefined: {undefined}";

    private static void Line(StringBuilder text, FormattableString line) =>
        text.Append(Printable(line.ToString(CultureInfo.InvariantCulture))).Append('\n');

    /// <summary>
    /// <paramref name="text"/> safe to print on a terminal: names come from case files (segments, case ids, error reasons),
    /// and a control character in one (ESC starts a terminal escape sequence) is shown as U+FFFD; a line break or tab as a space.
    /// </summary>
    public static string Printable(string text) =>
        string.Concat(text.Select(c => c is '\n' or '\r' or '\t' ? ' ' : char.IsControl(c) ? '\uFFFD' : c));
}
