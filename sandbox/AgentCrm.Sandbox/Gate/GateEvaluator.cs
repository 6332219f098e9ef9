using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Sandbox.Gate;

/// <summary>
/// The promotion gate: a report for exactly this content hash, on at least the minimum number of scored
/// cases, whose precision and recall reach their minimums on the lower bound of the 95% Wilson interval
/// (a small lucky sample cannot pass on its point estimate), whose precision lower bound is above the
/// positive share of the scored cases (the precision of firing on every case: an agent that knows nothing
/// must not pass because positives are common; checked whenever minPrecision is above 0), with at most the manifest's share of errored cases, and,
/// when the manifest sets one, a ROC-AUC of at least its minimum. A case set with no positive (or no negative) case
/// cannot measure recall (or false alarms): the unmet list says so in those words rather than judging placeholder zeros.
/// </summary>
public static class GateEvaluator
{
    public static GateResult Evaluate(SandboxReport? report, GateCriteria gate, string expectedContentHash)
    {
        ArgumentNullException.ThrowIfNull(gate);
        if (report is null)
        {
            return Fail($"no report for content hash {expectedContentHash}");
        }

        // A report on other content says nothing about this version, so its numbers are not judged.
        if (!string.Equals(report.ContentHash, expectedContentHash, StringComparison.Ordinal))
        {
            return Fail($"no report for content hash {expectedContentHash} (the report is for {report.ContentHash})");
        }

        var unmet = new List<string>();
        // Errored and consent-blocked cases produced no decision, so they are no evidence for the minimum.
        if (report.Scored < gate.MinCases)
        {
            unmet.Add(report.Errors == 0 && report.BlockedByConsent == 0
                ? Invariant($"cases {report.Scored} < minimum {gate.MinCases}")
                : Invariant($"scored cases {report.Scored} < minimum {gate.MinCases} ({report.Cases} cases, {report.Errors} errors{(report.BlockedByConsent > 0 ? $", {report.BlockedByConsent} blocked by consent" : "")})"));
        }

        // With no scored case nothing the gate asks can be measured: said so once, with why, instead of judging the
        // placeholder zeros as "precision lower bound 0.000 < minimum …".
        var m = report.Confusion;
        if (m.Total == 0)
        {
            if (gate.MinPrecision > 0 || gate.MinRecall > 0 || gate.MinRocAuc is not null)
            {
                unmet.Add(Invariant($"no case was scored ({report.Cases} cases: {report.Errors} errors{(report.BlockedByConsent > 0 ? $", {report.BlockedByConsent} blocked by consent" : "")}): {(gate.MinRocAuc is null ? "precision and recall" : "precision, recall and ROC-AUC")} cannot be measured"));
            }

            AddErrorRate(unmet, report, gate);
            return new GateResult(unmet.Count == 0, unmet);
        }

        // A case set without positives (or without negatives) cannot measure what the gate asks: said so plainly, once,
        // instead of a recall "lower bound 0.000" and a "positive share 0.000" that read like measurements.
        var noPositives = m.Total > 0 && m.Positives == 0;
        var noNegatives = m.Total > 0 && m.Negatives == 0;
        if (noPositives && (gate.MinRecall > 0 || gate.MinPrecision > 0 || gate.MinRocAuc is not null))
        {
            unmet.Add(Invariant($"the {m.Total} scored cases have no positive case (every label is negative): recall{(gate.MinRocAuc is null ? "" : " and ROC-AUC")} cannot be measured; add cases whose outcome was positive"));
        }

        if (noNegatives && (gate.MinPrecision > 0 || gate.MinRocAuc is not null))
        {
            unmet.Add(Invariant($"the {m.Total} scored cases have no negative case (every label is positive): false alarms (specificity{(gate.MinRocAuc is null ? "" : ", ROC-AUC")}) cannot be measured; add cases whose outcome was negative"));
        }

        if (gate.MinPrecision > 0 && m.Total > 0 && m.PrecisionUndefined is not null)
        {
            unmet.Add(Invariant($"precision cannot be measured: the version fired on none of the {m.Total} scored cases (minimum {gate.MinPrecision:0.000})"));
        }
        else
        {
            AddIfBelow(unmet, "precision", report.PrecisionInterval.Lower, gate.MinPrecision);
        }

        if (!noPositives)
        {
            AddIfBelow(unmet, "recall", report.RecallInterval.Lower, gate.MinRecall);
        }

        // Firing on every scored case has precision = the positive share; a precision not surely above it shows no skill.
        // Part of asking for precision: a gate with minPrecision 0 asks nothing of precision, this included. Not judged
        // when nothing fired (said above) or the set lacks positives or negatives (said above).
        if (gate.MinPrecision > 0 && m.Total > 0 && !noPositives && !noNegatives && m.PrecisionUndefined is null)
        {
            var positiveShare = (double)(m.TruePositives + m.FalseNegatives) / m.Total;
            if (!(report.PrecisionInterval.Lower > positiveShare))
            {
                var (bound, share) = Format(report.PrecisionInterval.Lower, positiveShare);
                unmet.Add($"precision lower bound {bound} is not above the positive share {share}: firing on every case would do as well");
            }
        }

        AddErrorRate(unmet, report, gate);

        if (gate.MinRocAuc is { } minRocAuc)
        {
            if (report.RocAuc is not { } auc)
            {
                if (!noPositives && !noNegatives)
                {
                    unmet.Add(Invariant($"ROC-AUC undefined (the scored cases need positives and negatives) < minimum {minRocAuc:0.000}"));
                }
            }
            else if (auc < minRocAuc)
            {
                var (value, min) = Format(auc, minRocAuc);
                unmet.Add($"ROC-AUC {value} < minimum {min}");
            }
        }

        return new GateResult(unmet.Count == 0, unmet);
    }

    /// <summary>The report with <see cref="SandboxReport.Passed"/>, <see cref="SandboxReport.Unmet"/> and the <see cref="SandboxReport.Criteria"/> it was judged by filled (every limit applied, defaults included).</summary>
    public static SandboxReport Apply(SandboxReport report, GateCriteria gate, string expectedContentHash)
    {
        var result = Evaluate(report, gate, expectedContentHash);
        // The error-rate limit it was judged by, also when the manifest left it to its default (a JSON reader saw none).
        return report with { Passed = result.Passed, Unmet = result.Unmet, Criteria = gate with { MaxErrorRate = gate.EffectiveMaxErrorRate } };
    }

    // The agent ran on every case consent did not block; an error there is a case it could not decide.
    private static void AddErrorRate(List<string> unmet, SandboxReport report, GateCriteria gate)
    {
        var ran = report.Cases - report.BlockedByConsent;
        if (ran > 0 && report.Errors > 0)
        {
            var rate = (double)report.Errors / ran;
            var max = gate.EffectiveMaxErrorRate;
            if (rate > max)
            {
                var (shown, maximum) = FormatPercent(rate, max);
                unmet.Add(Invariant($"errors {report.Errors} of {ran} cases ({shown}) > maximum {maximum} (gate.maxErrorRate); the report lists the first errored cases and why"));
            }
        }
    }

    private static void AddIfBelow(List<string> unmet, string metric, double lowerBound, double minimum)
    {
        if (lowerBound < minimum)
        {
            var (bound, min) = Format(lowerBound, minimum);
            unmet.Add($"{metric} lower bound {bound} < minimum {min}");
        }
    }

    // Three decimals read best, but 0.4996 < 0.5 must not print as "0.500 < minimum 0.500"; equal values have no digit to show.
    internal static (string Bound, string Minimum) Format(double bound, double minimum)
    {
        if (bound == minimum)
        {
            var same = bound.ToString("0.000", CultureInfo.InvariantCulture);
            return (same, same);
        }

        foreach (var format in new[] { "0.000", "0.000###" })
        {
            var (b, m) = (bound.ToString(format, CultureInfo.InvariantCulture), minimum.ToString(format, CultureInfo.InvariantCulture));
            if (b != m)
            {
                return (b, m);
            }
        }

        return (bound.ToString("R", CultureInfo.InvariantCulture), minimum.ToString("R", CultureInfo.InvariantCulture));
    }

    // Percentages as "5.013%" and "1.0%", with more digits only where those would read alike (2 of 202 = 0.990099% against 0.99%).
    internal static (string Rate, string Maximum) FormatPercent(double rate, double maximum)
    {
        for (var digits = 3; digits <= 12; digits++)
        {
            var format = "0.0" + new string('#', digits - 1) + "%";
            var (r, m) = (rate.ToString(format, CultureInfo.InvariantCulture), maximum.ToString(format, CultureInfo.InvariantCulture));
            if (r != m || rate == maximum)
            {
                return (r, m);
            }
        }

        return ((rate * 100).ToString("R", CultureInfo.InvariantCulture) + "%", (maximum * 100).ToString("R", CultureInfo.InvariantCulture) + "%");
    }

    private static GateResult Fail(string reason) => new(false, [reason]);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
