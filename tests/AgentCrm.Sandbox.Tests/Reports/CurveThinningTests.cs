using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Metrics;

namespace AgentCrm.Sandbox.Tests.Reports;

public sealed class CurveThinningTests
{
    [Fact]
    public void Thin_DensePoints_KeepsEndsAndPointsAStepApart()
    {
        (double X, double Y)[] points = [(0, 0), (0.001, 0.001), (0.004, 0.002), (0.006, 0.002), (0.007, 0.5), (0.008, 0.5), (1, 1)];

        var kept = CurveThinning.Thin(points, p => p);

        Assert.Equal([(0, 0), (0.006, 0.002), (0.007, 0.5), (1, 1)], kept);
    }

    [Fact]
    public void Build_ManyDistinctScores_ReportCurvesThinnedAucFromAllCases()
    {
        // 2,000 distinct scores, alternating labels.
        var cases = Enumerable.Range(0, 2000).Select(i => CaseLists.Of(i % 2 == 0, i / 2000.0)).ToList();

        var report = ReportFixtures.Build(cases);

        Assert.InRange(report.RocCurve.Count, 3, 401);
        Assert.Equal(new RocPoint(null, 0, 0), report.RocCurve[0]);
        Assert.Equal((1.0, 1.0), (report.RocCurve[^1].FalsePositiveRate, report.RocCurve[^1].TruePositiveRate));
        Assert.InRange(report.PrCurve.Count, 2, 401);
        Assert.Equal(RankingMetrics.RocAuc(cases), report.RocAuc);
        Assert.Equal(RankingMetrics.AveragePrecision(cases), report.PrAuc);
    }
}
