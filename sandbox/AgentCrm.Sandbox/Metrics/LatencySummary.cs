namespace AgentCrm.Sandbox.Metrics;

/// <summary>Assess latency percentiles in milliseconds by the nearest-rank method (an observed value, never interpolated).</summary>
public sealed record LatencySummary(double P50, double P95, double P99)
{
    /// <summary>Over every case the agent ran on, errors included (a timeout is the slowest answer; consent-blocked cases never ran); null when there is no finite latency.</summary>
    public static LatencySummary? From(IEnumerable<ScoredCase> cases)
    {
        var sorted = cases.Where(c => !c.Blocked).Select(c => c.LatencyMs).Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0
            ? null
            : new LatencySummary(NearestRank(sorted, 50), NearestRank(sorted, 95), NearestRank(sorted, 99));
    }

    /// <summary>The value of rank ⌈p·n/100⌉ (1-based) in ascending <paramref name="sorted"/> values.</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, int percentile)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percentile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        // Integer arithmetic: 0.95 * 20 in doubles is not exactly 19.
        var rank = (int)(((long)percentile * sorted.Count + 99) / 100);
        return sorted[rank - 1];
    }
}
