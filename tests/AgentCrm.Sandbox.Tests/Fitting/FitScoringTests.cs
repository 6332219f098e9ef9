using AgentCrm.Sandbox.Fitting;

namespace AgentCrm.Sandbox.Tests.Fitting;

public sealed class FitScoringTests
{
    [Fact]
    public void RocAuc_CountsTiesAsHalf()
    {
        Assert.Equal(1.0, FitScoring.RocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.5, FitScoring.RocAuc([0.5, 0.5], [false, true]));
        // Pairs (pos, neg): (0.8, 0.1) win, (0.8, 0.8) tie, (0.4, 0.1) win, (0.4, 0.8) loss → 2.5 / 4.
        Assert.Equal(0.625, FitScoring.RocAuc([0.8, 0.4, 0.1, 0.8], [true, true, false, false]));
    }

    [Fact]
    public void BestF1Threshold_PicksTheScoreThatMaximisesF1()
    {
        double[] scores = [0.9, 0.8, 0.7, 0.6, 0.2];
        bool[] labels = [true, false, true, true, false];
        // score ≥ 0.6 gives tp 3, fp 1, fn 0: F1 6/7, the best.
        Assert.Equal(0.6, FitScoring.BestF1Threshold(scores, labels));
        var m = FitScoring.Measure(scores, labels, 0.6);
        Assert.Equal(6.0 / 7, m.F1, 12);
        Assert.Equal(0.75, m.Precision);
        Assert.Equal(1.0, m.Recall);
        Assert.Equal(0.8, m.Accuracy, 12);
    }

    [Fact]
    public void HoldOut_IsStratifiedDisjointAndRepeatable()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => i % 4 == 0).ToArray();
        var (train, test) = StratifiedSplit.HoldOut(labels, 0.3, 7);

        Assert.Equal(300, test.Length);
        Assert.Equal(75, test.Count(i => labels[i]));
        Assert.Empty(train.Intersect(test));
        Assert.Equal(1000, train.Length + test.Length);
        Assert.Equal(test, StratifiedSplit.HoldOut(labels, 0.3, 7).Test);
        Assert.NotEqual(test, StratifiedSplit.HoldOut(labels, 0.3, 8).Test);

        var folds = StratifiedSplit.Folds(labels, 5, 7);
        Assert.All(Enumerable.Range(0, 5), f => Assert.Equal(50, Enumerable.Range(0, 1000).Count(i => folds[i] == f && labels[i])));
    }
}
