using System.Globalization;
using System.Text;
using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

/// <summary>
/// Each replayed case as a CSV row, in case order, so a report can be audited case by case: <c>caseId,label,score,fired,segment,outcome</c>.
/// <c>label</c> and <c>fired</c> are 1 or 0, <c>score</c> the agent's score (round-trip form); <c>outcome</c> is TP, FP, FN or TN
/// for a scored case (they sum to the report's confusion matrix), <c>error</c> or <c>blocked</c> (by consent) for one left out
/// of the metrics, whose score and fired are empty. Fields are quoted as RFC 4180 says when they hold a comma, a quote or a line break.
/// </summary>
public static class CaseOutcomesCsv
{
    public const string Header = "caseId,label,score,fired,segment,outcome";

    public static async Task WriteAsync(TextWriter writer, IReadOnlyList<ScoredCase> cases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(cases);
        await writer.WriteLineAsync(Header.AsMemory(), cancellationToken);
        var line = new StringBuilder();
        foreach (var c in cases)
        {
            line.Clear();
            line.Append(Field(c.CaseId)).Append(',').Append(c.Label ? '1' : '0').Append(',');
            if (!c.Unscored)
                line.Append(c.Score.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(c.Fired ? '1' : '0');
            else
                line.Append(',');
            line.Append(',').Append(Field(c.Segment ?? "")).Append(',').Append(Outcome(c));
            await writer.WriteLineAsync(line, cancellationToken);
        }
    }

    private static string Outcome(ScoredCase c) => c.Blocked ? "blocked" : c.IsError ? "error" : (c.Label, c.Fired) switch
    {
        (true, true) => "TP",
        (false, true) => "FP",
        (true, false) => "FN",
        (false, false) => "TN",
    };

    private static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
