namespace AgentCrm.Sandbox.Metrics;

/// <summary>
/// Metrics of how well the scores rank positives above negatives, independent of the threshold.
/// Error cases are left out. Where a metric is undefined the result is null or empty, never NaN.
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// ROC-AUC as the Mann–Whitney U statistic over average ranks: the probability that a random positive
    /// scores above a random negative, a tie counting one half. Null without positives or without negatives.
    /// </summary>
    public static double? RocAuc(IEnumerable<ScoredCase> cases)
    {
        var groups = ScoreGroup.Descending(cases);
        var positives = groups.Sum(g => g.Positives);
        var negatives = groups.Sum(g => g.Negatives);
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        // Ranks ascend with the score; a tied group shares the mean of the ranks it spans.
        double positiveRankSum = 0;
        long ranked = 0;
        for (var i = groups.Count - 1; i >= 0; i--)
        {
            var size = groups[i].Positives + groups[i].Negatives;
            var averageRank = ranked + ((size + 1) / 2.0);
            positiveRankSum += groups[i].Positives * averageRank;
            ranked += size;
        }

        var u = positiveRankSum - (positives * (positives + 1.0) / 2.0);
        return u / ((double)positives * negatives);
    }

    /// <summary>
    /// PR-AUC as average precision (scikit-learn's definition): Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score
    /// thresholds from the highest down, tied scores entering together, R₀ = 0. Null without positives;
    /// without negatives every precision is 1, so it is 1.
    /// </summary>
    public static double? AveragePrecision(IEnumerable<ScoredCase> cases)
    {
        var curve = PrecisionRecallCurve(cases);
        if (curve.Count == 0)
        {
            return null;
        }

        double sum = 0, previousRecall = 0;
        foreach (var point in curve)
        {
            sum += (point.Recall - previousRecall) * point.Precision;
            previousRecall = point.Recall;
        }

        return sum;
    }

    /// <summary>The ROC curve from (0, 0) to (1, 1), one point per distinct score; empty when AUC is undefined.</summary>
    public static IReadOnlyList<RocPoint> RocCurve(IEnumerable<ScoredCase> cases)
    {
        var groups = ScoreGroup.Descending(cases);
        var positives = groups.Sum(g => g.Positives);
        var negatives = groups.Sum(g => g.Negatives);
        if (positives == 0 || negatives == 0)
        {
            return [];
        }

        var points = new List<RocPoint>(groups.Count + 1) { new(null, 0, 0) };
        int tp = 0, fp = 0;
        foreach (var g in groups)
        {
            tp += g.Positives;
            fp += g.Negatives;
            points.Add(new RocPoint(g.Score, (double)fp / negatives, (double)tp / positives));
        }

        return points;
    }

    /// <summary>Precision and recall at each distinct score, highest score first; empty without positives.</summary>
    public static IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve(IEnumerable<ScoredCase> cases)
    {
        var groups = ScoreGroup.Descending(cases);
        var positives = groups.Sum(g => g.Positives);
        if (positives == 0)
        {
            return [];
        }

        var points = new List<PrecisionRecallPoint>(groups.Count);
        int tp = 0, fired = 0;
        foreach (var g in groups)
        {
            tp += g.Positives;
            fired += g.Positives + g.Negatives;
            points.Add(new PrecisionRecallPoint(g.Score, (double)tp / positives, (double)tp / fired));
        }

        return points;
    }
}
