using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

public sealed class ThresholdSweepTests
{
    // Positives 0.9, 0.6; negatives 0.6, 0.2. Firing at score ≥ t:
    //   t ≤ 0.20        all fire           P 1/2  R 1    F1 2/3
    //   0.21 ≤ t ≤ 0.60 0.9, 0.6, 0.6 fire P 2/3  R 1    F1 0.8
    //   0.61 ≤ t ≤ 0.90 0.9 fires          P 1    R 1/2  F1 2/3
    //   t ≥ 0.91        nothing fires      P 0    R 0    F1 0
    private static readonly List<ScoredCase> Example = CaseLists.Scored([0.9, 0.6], [0.6, 0.2]);

    [Fact]
    public void Run_SmallExample_HandComputedPointsOnStepGrid()
    {
        var sweep = ThresholdSweep.Run(Example);

        Assert.Equal(101, sweep.Count);
        Assert.Equal(Enumerable.Range(0, 101).Select(i => i / 100.0), sweep.Select(p => p.Threshold));
        AssertPoint(sweep[0], 0.5, 1, 2.0 / 3);
        AssertPoint(sweep[20], 0.5, 1, 2.0 / 3);
        AssertPoint(sweep[21], 2.0 / 3, 1, 0.8);
        AssertPoint(sweep[60], 2.0 / 3, 1, 0.8);
        AssertPoint(sweep[61], 1, 0.5, 2.0 / 3);
        AssertPoint(sweep[90], 1, 0.5, 2.0 / 3);
        // Nothing fires: precision is undefined (null), recall 0.
        AssertPoint(sweep[91], null, 0, 0);
        AssertPoint(sweep[100], null, 0, 0);
    }

    [Fact]
    public void BestF1Threshold_TiedBest_TakesHigherThreshold()
    {
        Assert.Equal(0.6, ThresholdSweep.BestF1Threshold(ThresholdSweep.Run(Example)));
    }

    [Fact]
    public void BestF1Threshold_NoPositives_IsNull()
    {
        Assert.Null(ThresholdSweep.BestF1Threshold(ThresholdSweep.Run(CaseLists.Scored([], [0.3, 0.7]))));
    }

    /// <summary>README: with no positive case recall and F1 are null "the same … in the sweep"; F1 read 0 at every threshold.</summary>
    [Fact]
    public void Run_NoPositives_F1IsNullAtEveryThreshold()
    {
        var sweep = ThresholdSweep.Run(CaseLists.Scored([], [0.3, 0.7]));

        Assert.All(sweep, p => Assert.Null(p.Recall));
        Assert.All(sweep, p => Assert.Null(p.F1));
        Assert.Null(ThresholdSweep.BestF1Threshold(sweep));
    }

    [Fact]
    public void Run_ErrorCases_AreIgnored()
    {
        List<ScoredCase> cases = [.. Example, CaseLists.Of(false, 0.95, error: true)];

        Assert.Equal(ThresholdSweep.Run(Example), ThresholdSweep.Run(cases));
    }

    private static void AssertPoint(SweepPoint point, double? precision, double? recall, double? f1)
    {
        Assert.Equal(precision is null, point.Precision is null);
        Assert.Equal(precision ?? 0, point.Precision ?? 0, 12);
        Assert.Equal(recall is null, point.Recall is null);
        Assert.Equal(recall ?? 0, point.Recall ?? 0, 12);
        Assert.Equal(f1 is null, point.F1 is null);
        Assert.Equal(f1 ?? 0, point.F1 ?? 0, 12);
    }
}
