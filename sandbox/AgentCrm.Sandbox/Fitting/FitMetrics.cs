namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// How a fitted (or baseline) model did on one part of the cases at its threshold. Computed by the
/// fitter's own small helpers; the sandbox report is the authoritative measurement.
/// </summary>
public sealed record FitMetrics(
    int Cases,
    int Positives,
    double Threshold,
    double RocAuc,
    double F1,
    double Precision,
    double Recall,
    double Accuracy,
    double LogLoss)
{
    public override string ToString() =>
        FormattableString.Invariant($"AUC {RocAuc:0.0000}  F1 {F1:0.0000}  precision {Precision:0.0000}  recall {Recall:0.0000}  accuracy {Accuracy:0.0000}  log-loss {LogLoss:0.0000}  (threshold {Threshold:0.0000}, {Cases} cases, {Positives} positive)");
}

/// <summary>Private metric helpers for choosing and reporting a fit.</summary>
internal static class FitScoring
{
    /// <summary>ROC-AUC by ranks (ties count one half).</summary>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        long positives = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
                j++;
            var midRank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
                if (labels[order[k]])
                {
                    rankSum += midRank;
                    positives++;
                }
            i = j + 1;
        }
        long negatives = scores.Count - positives;
        return positives == 0 || negatives == 0 ? 0.5 : (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    /// <summary>The threshold t (one of the scores) whose rule score ≥ t gives the highest F1; ties go to the higher threshold.</summary>
    public static double BestF1Threshold(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var totalPositives = labels.Count(l => l);
        int tp = 0, fp = 0;
        double best = -1, bestThreshold = 1;
        var i = 0;
        while (i < order.Length)
        {
            var t = scores[order[i]];
            while (i < order.Length && scores[order[i]] == t)
            {
                if (labels[order[i]]) tp++; else fp++;
                i++;
            }
            var f1 = F1(tp, fp, totalPositives - tp);
            if (f1 > best)
            {
                best = f1;
                bestThreshold = t;
            }
        }
        return bestThreshold;
    }

    public static FitMetrics Measure(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, double threshold)
    {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        double logLoss = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var fired = scores[i] >= threshold;
            if (labels[i]) { if (fired) tp++; else fn++; }
            else if (fired) fp++; else tn++;
            var p = Math.Clamp(scores[i], 1e-6, 1 - 1e-6);
            logLoss -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
        var recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        return new FitMetrics(scores.Count, tp + fn, threshold, RocAuc(scores, labels), F1(tp, fp, fn), precision, recall,
            scores.Count == 0 ? 0 : (double)(tp + tn) / scores.Count, scores.Count == 0 ? 0 : logLoss / scores.Count);
    }

    private static double F1(int tp, int fp, int fn) => tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
}
