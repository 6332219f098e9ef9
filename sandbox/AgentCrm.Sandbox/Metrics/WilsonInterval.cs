namespace AgentCrm.Sandbox.Metrics;

/// <summary>The Wilson score interval of a binomial proportion k/n.</summary>
public static class WilsonInterval
{
    /// <summary>The two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.959964;

    /// <summary>
    /// The proportion <paramref name="successes"/>/<paramref name="trials"/> with its Wilson interval.
    /// With no trials nothing is known: value 0 and the whole interval (0, 1), never NaN.
    /// </summary>
    public static Estimate Of(int successes, int trials, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(z);
        if (trials == 0)
        {
            return new Estimate(0, 0, 1);
        }

        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var center = (p + (z2 / (2 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / denominator;
        // Analytically the bound is exactly 0 at k = 0 and exactly 1 at k = n; rounding would leave ±1e-17.
        var lower = successes == 0 ? 0 : Math.Max(0, center - half);
        var upper = successes == trials ? 1 : Math.Min(1, center + half);
        return new Estimate(p, lower, upper);
    }
}
