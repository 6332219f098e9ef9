using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Reports;

/// <summary>
/// What a report warns about without failing the gate: a field the version reads that alone separates the case set's
/// labels (a single-field ROC-AUC of at least <see cref="LeakAuc"/>: most likely a copy of the label, a label leak, that
/// will not be there before the outcome), fields no live event fills (only case mappings supply them), so live they
/// are always missing and the version scores every customer as if they were unknown, and <c>events.daysSinceLast</c>,
/// 0 on every live event's turn.
/// </summary>
public static class ReportWarnings
{
    /// <summary>A single field whose ROC-AUC on the labels reaches this separates them alone.</summary>
    public const double LeakAuc = 0.99;

    /// <summary>Fewest cases of each label a field must have a value in before its separation counts.</summary>
    private const int MinPerLabel = 5;

    /// <summary>
    /// Fewest cases a text value must have to be judged: its positive share is computed on the cases it then ranks, so a value
    /// of one case (a name, an id) has a share of exactly 0 or 1 and a field of such values "separated" the labels perfectly.
    /// However many values a field has: a code column (GSIN, product or reason codes) has hundreds, a few of them frequent.
    /// </summary>
    private const int MinPerValue = 10;

    /// <summary>The fewest customers a text value's cases must come from to be judged (one customer's cutoffs are one name).</summary>
    private const int MinCustomersPerValue = 3;

    /// <summary>
    /// Least share of the cases that have a text field that its values of <see cref="MinPerValue"/> cases must hold for it to be
    /// judged: free text is nearly all unique, and its few repeated lines (boilerplate, labelled alike wherever they appear)
    /// say nothing of the rest (CLAUDETTE's sentences: 4% of them), where a code column has many (canada-tenders' first GSIN
    /// code: 21% of the first 1,000 notices, 38% of all 4,000).
    /// </summary>
    private const double MinJudgedShare = 0.1;

    /// <summary>Most live-missing fields named in the warning.</summary>
    private const int MaxNamed = 8;

    public static IReadOnlyList<string> For(AgentManifest manifest, IReadOnlyList<Case> cases)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(cases);
        var fields = manifest.Reads.Concat(manifest.OptionalReads).Distinct(StringComparer.Ordinal).ToList();
        var warnings = new List<string>();
        // A timeline set has no mapping: its fields come from the events up to each cutoff.
        var remedy = cases.Count > 0 && cases.All(c => c.Timeline is not null)
            ? "Check the events that set it up to each cutoff (an event written once the outcome was known, e.g. after the customer left, dated before the cutoff), and leave it out of the version's reads unless it is known ahead of the outcome."
            : "Remove it from the mapping unless it is known ahead of the outcome.";
        foreach (var field in fields)
        {
            if (SingleFieldAuc(field, cases) is { } judged && judged.Auc >= LeakAuc)
            {
                // A text judged on its frequent values only says so: the user sees what the figure stands on.
                var on = judged.Cases < judged.Of ? $", judged on the {judged.Cases} of its {judged.Of} cases whose value has at least {MinPerValue} cases" : "";
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"probable label leak: {field} alone separates the case set's labels (single-field ROC-AUC {judged.Auc:0.000}{on}); a field that copies the outcome is not known before it, so the figures overstate the version. {remedy}"));
            }
        }

        var liveMissing = fields.Where(f => !SnapshotBuilder.Derives(f)).ToList();
        if (liveMissing.Count > 0)
        {
            var named = string.Join(", ", liveMissing.Take(MaxNamed)) + (liveMissing.Count > MaxNamed ? $" and {liveMissing.Count - MaxNamed} more" : "");
            warnings.Add($"reads {(liveMissing.Count == 1 ? "a field" : $"{liveMissing.Count} fields")} no live event fills ({named}): only case mappings supply {(liveMissing.Count == 1 ? "it" : "them")}, so live {(liveMissing.Count == 1 ? "it is" : "they are")} always missing and the version scores customers as if {(liveMissing.Count == 1 ? "it were" : "they were")} unknown.");
        }

        // Live, a turn judges the customer as of the event that starts it (and the sandbox replays timelines so): the days
        // since the latest event are then 0, and count only at a renewal re-score, which runs the versions subscribed to contract.
        if (fields.Contains(DaysSinceLast, StringComparer.Ordinal))
        {
            var rescored = manifest.Subscribes.Contains("contract", StringComparer.Ordinal);
            warnings.Add($"reads {DaysSinceLast}, which is 0 on every event's turn: live, a turn judges the customer as of the event that starts it, so the days since the latest event count only "
                + (rescored ? "at the renewal re-scores (90, 60 and 30 days before a contract's end)" : "at the renewal re-scores, which run versions subscribed to contract, not this one")
                + "; a condition on a quiet spell does not fire when an event arrives.");
        }

        return warnings;
    }

    private const string DaysSinceLast = "events.daysSinceLast";

    /// <summary>
    /// How well <paramref name="field"/> alone ranks the labels, either way round (0.5 to 1), over the cases that have it:
    /// a number by its value, a text by its value's positive share, over the cases of values with at least
    /// <see cref="MinPerValue"/> cases, with how many cases it was judged on of the <c>Of</c> that have the field. Null when
    /// too few cases of a label are judged, or a text's values of <see cref="MinPerValue"/> cases hold less than
    /// <see cref="MinJudgedShare"/> of its cases.
    /// </summary>
    internal static (double Auc, int Cases, int Of)? SingleFieldAuc(string field, IReadOnlyList<Case> cases)
    {
        var present = cases.Where(c => c.Snapshot.Fields.ContainsKey(field)).ToList();
        if (!Enough(present))
            return null;
        var judged = present;
        double[] values;
        if (present.All(c => c.Snapshot.Fields[field].Number is not null))
            values = [.. present.Select(c => c.Snapshot.Fields[field].Number!.Value)];
        else
        {
            // A value of MinPerValue cases from MinCustomersPerValue customers: a timeline set's weekly cutoffs give one
            // customer's name a dozen cases of one label (rev44b M2), while a status that copies the label for 8 customers is
            // still judged (rev44d L2).
            var frequent = present.GroupBy(c => CategoryKey(c.Snapshot.Fields[field]), StringComparer.Ordinal)
                .Where(g => g.Count() >= MinPerValue && g.Select(c => c.Snapshot.CustomerId).Distinct(StringComparer.Ordinal).Count() >= MinCustomersPerValue).ToList();
            judged = [.. frequent.SelectMany(g => g)];
            if (judged.Count < present.Count * MinJudgedShare || !Enough(judged))
                return null;
            // A value's customers in two halves, each half's cases ranked by the share of positives in the other's: with their
            // own labels in, many small values of rare positives ranked their own positives first, a field saying nothing
            // scoring 0.99 (rev44b M3); a value that copies the label has the same share in both halves.
            var shares = new List<double>(judged.Count);
            foreach (var value in frequent)
            {
                var half = value.Select(c => c.Snapshot.CustomerId).Distinct(StringComparer.Ordinal).Select((customer, i) => (customer, i % 2))
                    .ToDictionary(p => p.customer, p => p.Item2, StringComparer.Ordinal);
                var positives = new int[2];
                var counts = new int[2];
                foreach (var c in value)
                {
                    counts[half[c.Snapshot.CustomerId]]++;
                    positives[half[c.Snapshot.CustomerId]] += c.Label ? 1 : 0;
                }
                shares.AddRange(value.Select(c => 1 - half[c.Snapshot.CustomerId] is var other ? (double)positives[other] / counts[other] : 0));
            }
            values = [.. shares];
        }

        var auc = Auc(values, [.. judged.Select(c => c.Label)]);
        return (Math.Max(auc, 1 - auc), judged.Count, present.Count);
    }

    private static bool Enough(List<Case> judged)
    {
        var positives = judged.Count(c => c.Label);
        return positives >= MinPerLabel && judged.Count - positives >= MinPerLabel;
    }

    private static string CategoryKey(SnapshotField f) => f.Text ?? f.Number?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    /// <summary>The Mann-Whitney ROC-AUC of <paramref name="values"/> for <paramref name="labels"/>, ties counting a half.</summary>
    private static double Auc(double[] values, bool[] labels)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        double positiveRanks = 0;
        var positives = labels.Count(l => l);
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
                end++;
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
                if (labels[order[k]])
                    positiveRanks += rank;
            start = end + 1;
        }

        double negatives = labels.Length - positives;
        return (positiveRanks - positives * (positives + 1) / 2.0) / (positives * negatives);
    }
}
