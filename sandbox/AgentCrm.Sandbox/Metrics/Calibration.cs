namespace AgentCrm.Sandbox.Metrics;

/// <summary>How well the scores read as probabilities. Error cases are left out.</summary>
public static class Calibration
{
    public const int DefaultBins = 10;

    /// <summary>Mean of (score − label)²; null with no scored case.</summary>
    public static double? BrierScore(IEnumerable<ScoredCase> cases)
    {
        double sum = 0;
        var count = 0;
        foreach (var c in cases.Where(c => !c.Unscored))
        {
            var error = c.Score - (c.Label ? 1 : 0);
            sum += error * error;
            count++;
        }

        return count == 0 ? null : sum / count;
    }

    /// <summary>Equal-width bins over [0, 1]; a score outside [0, 1] falls in the nearest end bin.</summary>
    public static IReadOnlyList<CalibrationBin> Table(IEnumerable<ScoredCase> cases, int bins = DefaultBins)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bins);
        var counts = new int[bins];
        var scoreSums = new double[bins];
        var positives = new int[bins];
        foreach (var c in cases.Where(c => !c.Unscored))
        {
            var bin = Math.Clamp((int)Math.Floor(c.Score * bins), 0, bins - 1);
            counts[bin]++;
            scoreSums[bin] += c.Score;
            positives[bin] += c.Label ? 1 : 0;
        }

        return [.. Enumerable.Range(0, bins).Select(i => new CalibrationBin(
            (double)i / bins,
            (double)(i + 1) / bins,
            counts[i],
            counts[i] == 0 ? null : scoreSums[i] / counts[i],
            counts[i] == 0 ? null : (double)positives[i] / counts[i]))];
    }
}
