using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

public sealed class CalibrationTests
{
    [Fact]
    public void BrierScore_SmallExample_IsMeanSquaredError()
    {
        // (0.9−1)² + (0.2−0)² + (0.6−0)² + (0.3−1)² = 0.01 + 0.04 + 0.36 + 0.49 = 0.9; / 4 = 0.225.
        List<ScoredCase> cases = [CaseLists.Of(true, 0.9), CaseLists.Of(false, 0.2), CaseLists.Of(false, 0.6), CaseLists.Of(true, 0.3), CaseLists.Of(true, 0.0, error: true)];

        Assert.Equal(0.225, Calibration.BrierScore(cases)!.Value, 12);
    }

    [Fact]
    public void BrierScore_NoScoredCases_IsNull()
    {
        Assert.Null(Calibration.BrierScore([CaseLists.Of(true, 0.5, error: true)]));
    }

    [Fact]
    public void Table_SmallExample_TenEqualWidthBins()
    {
        List<ScoredCase> cases =
        [
            CaseLists.Of(false, 0.05), CaseLists.Of(false, 0.0),
            CaseLists.Of(true, 0.15), CaseLists.Of(false, 0.12),
            CaseLists.Of(true, 0.5), CaseLists.Of(false, 0.55),
            CaseLists.Of(true, 0.95), CaseLists.Of(true, 1.0),
        ];

        var bins = Calibration.Table(cases);

        Assert.Equal(10, bins.Count);
        Assert.Equal(new CalibrationBin(0.0, 0.1, 2, 0.025, 0.0), bins[0] with { MeanPredicted = Math.Round(bins[0].MeanPredicted!.Value, 12) });
        Assert.Equal(2, bins[1].Count);
        Assert.Equal(0.135, bins[1].MeanPredicted!.Value, 12);
        Assert.Equal(0.5, bins[1].ObservedRate);
        Assert.Equal(0.525, bins[5].MeanPredicted!.Value, 12);
        Assert.Equal(0.5, bins[5].ObservedRate);
        Assert.Equal(0.975, bins[9].MeanPredicted!.Value, 12);
        Assert.Equal(1.0, bins[9].ObservedRate);
        Assert.Equal(new CalibrationBin(0.3, 0.4, 0, null, null), bins[3]);
        Assert.Equal(cases.Count, bins.Sum(b => b.Count));
    }

    [Fact]
    public void Table_ScoreOnBinEdge_GoesToUpperBin()
    {
        var bins = Calibration.Table([CaseLists.Of(true, 0.3), CaseLists.Of(true, 0.7), CaseLists.Of(true, 0.9)]);

        Assert.Equal(1, bins[3].Count);
        Assert.Equal(1, bins[7].Count);
        Assert.Equal(1, bins[9].Count);
    }

    [Fact]
    public void Table_ScoresOutsideUnitInterval_FallInEndBins()
    {
        var bins = Calibration.Table([CaseLists.Of(false, -0.2), CaseLists.Of(true, 1.3)]);

        Assert.Equal(1, bins[0].Count);
        Assert.Equal(1, bins[9].Count);
    }
}
