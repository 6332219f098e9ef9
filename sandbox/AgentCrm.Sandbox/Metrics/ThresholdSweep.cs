namespace AgentCrm.Sandbox.Metrics;

/// <summary>
/// Re-decides every scored case at thresholds 0.00, 0.01, …, 1.00 (a case fires when its score ≥ the
/// threshold, as the manifest's threshold does). The grid is fixed at step 0.01 only, so sweeps of two
/// versions line up point by point; distinct score values are not added.
/// </summary>
public static class ThresholdSweep
{
    public const int Steps = 100;

    public static IReadOnlyList<SweepPoint> Run(IEnumerable<ScoredCase> cases)
    {
        var scored = cases.Where(c => !c.Unscored).ToList();
        var positives = scored.Count(c => c.Label);
        var negatives = scored.Count - positives;
        var points = new List<SweepPoint>(Steps + 1);
        for (var step = 0; step <= Steps; step++)
        {
            // Divide instead of accumulating 0.01 so 0.29 is the double nearest 0.29, not 0.29000000000000004.
            var threshold = step / (double)Steps;
            int tp = 0, fp = 0;
            foreach (var c in scored.Where(c => c.Score >= threshold))
            {
                _ = c.Label ? tp++ : fp++;
            }

            var matrix = new ConfusionMatrix(tp, fp, positives - tp, negatives - fp);
            var (precision, recall) = (matrix.Precision.Value, matrix.Recall.Value);
            var recallDefined = matrix.RecallUndefined is null;
            points.Add(new SweepPoint(threshold, matrix.PrecisionUndefined is null ? precision : null, recallDefined ? recall : null,
                recallDefined ? ConfusionMatrix.HarmonicMean(precision, recall) : null));
        }

        return points;
    }

    /// <summary>
    /// The threshold with the highest F1, the higher threshold on a tie; null when F1 is 0 or null (undefined: no positive
    /// case) everywhere.
    /// </summary>
    public static double? BestF1Threshold(IEnumerable<SweepPoint> sweep)
    {
        (double Threshold, double F1)? best = null;
        foreach (var point in sweep)
        {
            if (point.F1 is { } f1 && f1 > 0 && (best is null || f1 > best.Value.F1 || (f1 == best.Value.F1 && point.Threshold > best.Value.Threshold)))
            {
                best = (point.Threshold, f1);
            }
        }

        return best?.Threshold;
    }
}
