using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

public sealed class ConfusionMatrixTests
{
    [Fact]
    public void From_MixedCases_CountsEachCellAndSkipsErrors()
    {
        List<ScoredCase> cases =
        [
            CaseLists.Of(true, 0.9, fired: true), CaseLists.Of(true, 0.8, fired: true), CaseLists.Of(true, 0.7, fired: true),
            CaseLists.Of(false, 0.6, fired: true),
            CaseLists.Of(true, 0.4, fired: false), CaseLists.Of(true, 0.3, fired: false),
            CaseLists.Of(false, 0.3, fired: false), CaseLists.Of(false, 0.2, fired: false), CaseLists.Of(false, 0.1, fired: false), CaseLists.Of(false, 0.0, fired: false),
            CaseLists.Of(true, 0.9, fired: true, error: true),
            CaseLists.Of(true, double.NaN, fired: true),
        ];

        var m = ConfusionMatrix.From(cases);

        Assert.Equal(new ConfusionMatrix(3, 1, 2, 4), m);
        Assert.Equal(10, m.Total);
        // Precision 3/4, recall 3/5, F1 = 2·3 / (2·3 + 1 + 2) = 6/9, accuracy 7/10.
        Assert.Equal(0.75, m.Precision.Value, 12);
        Assert.Equal(0.6, m.Recall.Value, 12);
        Assert.Equal(6.0 / 9.0, m.F1.Value, 12);
        Assert.Equal(0.7, m.Accuracy.Value, 12);
        // Wilson 3/4: [0.301, 0.954].
        Assert.Equal(0.301, m.Precision.Lower, 3);
        Assert.Equal(0.954, m.Precision.Upper, 3);
        Assert.Equal(WilsonInterval.Of(3, 5), m.Recall);
        Assert.Equal(WilsonInterval.Of(7, 10), m.Accuracy);
    }

    [Fact]
    public void F1_Bounds_AreF1OfPrecisionAndRecallBounds()
    {
        var m = new ConfusionMatrix(3, 1, 2, 4);
        var (p, r) = (m.Precision, m.Recall);

        Assert.Equal(2 * p.Lower * r.Lower / (p.Lower + r.Lower), m.F1.Lower, 12);
        Assert.Equal(2 * p.Upper * r.Upper / (p.Upper + r.Upper), m.F1.Upper, 12);
        Assert.InRange(m.F1.Value, m.F1.Lower, m.F1.Upper);
    }

    [Fact]
    public void From_NoPredictedPositives_PrecisionIsZeroOnUnitInterval()
    {
        var m = ConfusionMatrix.From([CaseLists.Of(true, 0.1), CaseLists.Of(true, 0.2), CaseLists.Of(false, 0.1), CaseLists.Of(false, 0.2), CaseLists.Of(false, 0.3)]);

        Assert.Equal(new ConfusionMatrix(0, 0, 2, 3), m);
        Assert.Equal(new Estimate(0, 0, 1), m.Precision);
        Assert.Equal(0, m.Recall.Value);
        Assert.Equal(0, m.F1.Value);
        Assert.Equal(0, m.F1.Lower);
        Assert.Equal(0.6, m.Accuracy.Value, 12);
    }

    [Fact]
    public void From_NoActualPositives_RecallIsZeroOnUnitIntervalAndF1Zero()
    {
        var m = ConfusionMatrix.From([CaseLists.Of(false, 0.9), CaseLists.Of(false, 0.8), CaseLists.Of(false, 0.1), CaseLists.Of(false, 0.2), CaseLists.Of(false, 0.3)]);

        Assert.Equal(new ConfusionMatrix(0, 2, 0, 3), m);
        Assert.Equal(new Estimate(0, 0, 1), m.Recall);
        Assert.Equal(0, m.Precision.Value);
        Assert.Equal(WilsonInterval.Of(0, 2).Upper, m.Precision.Upper);
        Assert.Equal(0, m.F1.Value);
        // Not measured (a report gives f1 null): its range is the whole [0, 1], as recall's (qa41d F1: it was 0 to 0.606).
        Assert.Equal(new Estimate(0, 0, 1), m.F1);
    }

    [Fact]
    public void From_AllPositivesAllFired_EverythingIsOne()
    {
        var m = ConfusionMatrix.From(CaseLists.WithCounts(tp: 4, fp: 0, fn: 0, tn: 0));

        Assert.Equal(new ConfusionMatrix(4, 0, 0, 0), m);
        Assert.Equal(1, m.Precision.Value);
        Assert.Equal(1, m.Recall.Value);
        Assert.Equal(1, m.F1.Value);
        Assert.Equal(1, m.Accuracy.Value);
        Assert.Equal(WilsonInterval.Of(4, 4).Lower, m.Precision.Lower);
        Assert.Equal(1, m.F1.Upper);
    }

    [Fact]
    public void From_NoCases_AllZeroWithUnitIntervals()
    {
        var m = ConfusionMatrix.From([]);

        Assert.Equal(ConfusionMatrix.Empty, m);
        Assert.Equal(new Estimate(0, 0, 1), m.Accuracy);
        Assert.Equal(new Estimate(0, 0, 1), m.Precision);
        Assert.Equal(new Estimate(0, 0, 1), m.Recall);
        Assert.Equal(0, m.F1.Value);
    }
}
