using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

public sealed class RankingMetricsTests
{
    [Fact]
    public void RocAuc_AllScoresEqual_IsOneHalf()
    {
        Assert.Equal(0.5, RankingMetrics.RocAuc(CaseLists.Scored([0.5, 0.5], [0.5, 0.5, 0.5])));
    }

    [Fact]
    public void RocAuc_TiesBetweenClasses_CountHalf()
    {
        // Positives 0.9, 0.6, 0.4; negatives 0.6, 0.4, 0.4, 0.1. Pairs (12): 0.9 beats all 4 → 4;
        // 0.6 ties one, beats three → 3.5; 0.4 loses to 0.6, ties two, beats 0.1 → 2. AUC = 9.5 / 12.
        // Ranks agree: 0.1 → 1; 0.4 ×3 → 3; 0.6 ×2 → 5.5; 0.9 → 7. U = (3 + 5.5 + 7) − 3·4/2 = 9.5.
        var auc = RankingMetrics.RocAuc(CaseLists.Scored([0.9, 0.6, 0.4], [0.6, 0.4, 0.4, 0.1]));

        Assert.NotNull(auc);
        Assert.Equal(9.5 / 12, auc.Value, 12);
    }

    [Fact]
    public void RocAuc_PerfectAndReversedRanking_IsOneAndZero()
    {
        Assert.Equal(1.0, RankingMetrics.RocAuc(CaseLists.Scored([0.9, 0.8], [0.2, 0.1])));
        Assert.Equal(0.0, RankingMetrics.RocAuc(CaseLists.Scored([0.2, 0.1], [0.9, 0.8])));
    }

    [Fact]
    public void RocAuc_OneClassOnly_IsNull()
    {
        Assert.Null(RankingMetrics.RocAuc(CaseLists.Scored([0.9, 0.1], [])));
        Assert.Null(RankingMetrics.RocAuc(CaseLists.Scored([], [0.9, 0.1])));
        Assert.Null(RankingMetrics.RocAuc([]));
    }

    [Fact]
    public void RocAuc_ErrorCases_AreIgnored()
    {
        List<ScoredCase> cases = [.. CaseLists.Scored([0.9], [0.1]), CaseLists.Of(false, 0.99, error: true), CaseLists.Of(false, double.PositiveInfinity)];

        Assert.Equal(1.0, RankingMetrics.RocAuc(cases));
    }

    [Fact]
    public void AveragePrecision_WorkedExampleWithTie_MatchesSklearnDefinition()
    {
        // labels [1,0,1,0,1,0,1], scores [.9,.8,.7,.7,.6,.3,.2]; sklearn's average_precision_score:
        // threshold  TP FP  P     R     ΔR·P
        //   0.9       1  0  1     0.25  0.25
        //   0.8       1  1  0.5   0.25  0
        //   0.7       2  2  0.5   0.5   0.125   (the tied 0.7s enter together)
        //   0.6       3  2  0.6   0.75  0.15
        //   0.3       3  3  0.5   0.75  0
        //   0.2       4  3  4/7   1     1/7
        // AP = 0.525 + 1/7 = 0.667857…
        var ap = RankingMetrics.AveragePrecision(CaseLists.Scored([0.9, 0.7, 0.6, 0.2], [0.8, 0.7, 0.3]));

        Assert.NotNull(ap);
        Assert.Equal(0.525 + (1.0 / 7), ap.Value, 12);
    }

    [Fact]
    public void AveragePrecision_NoPositives_IsNull()
    {
        Assert.Null(RankingMetrics.AveragePrecision(CaseLists.Scored([], [0.4, 0.3])));
    }

    [Fact]
    public void AveragePrecision_NoNegatives_IsOne()
    {
        Assert.Equal(1.0, RankingMetrics.AveragePrecision(CaseLists.Scored([0.4, 0.3, 0.3], [])));
    }

    [Fact]
    public void RocCurve_SmallExample_OnePointPerDistinctScoreFromOrigin()
    {
        var curve = RankingMetrics.RocCurve(CaseLists.Scored([0.8, 0.4], [0.4]));

        Assert.Equal([new RocPoint(null, 0, 0), new RocPoint(0.8, 0, 0.5), new RocPoint(0.4, 1, 1)], curve);
    }

    [Fact]
    public void RocCurve_OneClassOnly_IsEmpty()
    {
        Assert.Empty(RankingMetrics.RocCurve(CaseLists.Scored([0.8, 0.4], [])));
    }

    [Fact]
    public void PrecisionRecallCurve_SmallExample_HighestThresholdFirst()
    {
        var curve = RankingMetrics.PrecisionRecallCurve(CaseLists.Scored([0.8, 0.4], [0.4]));

        Assert.Equal([new PrecisionRecallPoint(0.8, 0.5, 1), new PrecisionRecallPoint(0.4, 1, 2.0 / 3)], curve);
    }
}
