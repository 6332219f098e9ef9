using AgentCrm.Agents;
using AgentCrm.Sandbox.Gate;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Metrics;

namespace AgentCrm.Sandbox.Tests.Gate;

public sealed class GateEvaluatorTests
{
    private const string Hash = "sha256:aaaa";

    // TP 120, FP 80, FN 20, TN 180: precision 0.6 on 200, Wilson [0.531, 0.665];
    // recall 120/140 = 0.857, Wilson [0.790, 0.906].
    private static SandboxReport Report(int tp = 120, int fp = 80, int fn = 20, int tn = 180, int errors = 0, string hash = Hash) =>
        SandboxReport.Build(CaseLists.WithCounts(tp, fp, fn, tn, errors), "renewal-risk", "2.0.0", hash, "telco", "sha256:cases", 0.5, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Evaluate_NoReport_FailsNamingTheHash()
    {
        var result = GateEvaluator.Evaluate(null, new GateCriteria(), Hash);

        Assert.False(result.Passed);
        Assert.Equal(["no report for content hash sha256:aaaa"], result.Unmet);
    }

    [Fact]
    public void Evaluate_ReportForOtherHash_FailsWithoutJudgingItsNumbers()
    {
        var result = GateEvaluator.Evaluate(Report(hash: "sha256:bbbb"), new GateCriteria(), Hash);

        Assert.False(result.Passed);
        Assert.Equal(["no report for content hash sha256:aaaa (the report is for sha256:bbbb)"], result.Unmet);
    }

    [Fact]
    public void Evaluate_TooFewCases_Fails()
    {
        // 150 cases, precision 70/90 and recall 70/80: lower bounds well above 0.5.
        var result = GateEvaluator.Evaluate(Report(tp: 70, fp: 20, fn: 10, tn: 50), new GateCriteria(), Hash);

        Assert.False(result.Passed);
        Assert.Equal(["cases 150 < minimum 200"], result.Unmet);
    }

    [Fact]
    public void Evaluate_ErrorsTakeScoredCasesBelowMinimum_Fails()
    {
        var result = GateEvaluator.Evaluate(Report(tp: 60, fp: 40, fn: 10, tn: 80, errors: 20), new GateCriteria(), Hash);

        Assert.Equal(["scored cases 190 < minimum 200 (210 cases, 20 errors)"], result.Unmet);
    }

    [Fact]
    public void Evaluate_PrecisionPointAboveButLowerBoundBelowMinimum_Fails()
    {
        var result = GateEvaluator.Evaluate(Report(), new GateCriteria { MinPrecision = 0.55 }, Hash);

        Assert.False(result.Passed);
        Assert.Equal(["precision lower bound 0.531 < minimum 0.550"], result.Unmet);
    }

    [Fact]
    public void Evaluate_RecallLowerBoundBelowMinimum_Fails()
    {
        var result = GateEvaluator.Evaluate(Report(), new GateCriteria { MinRecall = 0.8 }, Hash);

        Assert.Equal(["recall lower bound 0.790 < minimum 0.800"], result.Unmet);
    }

    [Fact]
    public void Evaluate_SeveralCriteriaUnmet_ListsEach()
    {
        var result = GateEvaluator.Evaluate(Report(), new GateCriteria { MinCases = 500, MinPrecision = 0.7, MinRecall = 0.95 }, Hash);

        Assert.Equal(
            ["cases 400 < minimum 500", "precision lower bound 0.531 < minimum 0.700", "recall lower bound 0.790 < minimum 0.950"],
            result.Unmet);
    }

    [Fact]
    public void Evaluate_AllCriteriaMet_Passes()
    {
        var result = GateEvaluator.Evaluate(Report(), new GateCriteria(), Hash);

        Assert.True(result.Passed);
        Assert.Empty(result.Unmet);
    }

    [Fact]
    public void Apply_FailingReport_FillsPassedAndUnmet()
    {
        var gated = GateEvaluator.Apply(Report(), new GateCriteria { MinPrecision = 0.55 }, Hash);

        Assert.False(gated.Passed);
        Assert.Equal(["precision lower bound 0.531 < minimum 0.550"], gated.Unmet);
        Assert.True(GateEvaluator.Apply(Report(), new GateCriteria(), Hash).Passed);
    }

    [Fact]
    public void Format_BoundRoundsToMinimum_ShowsMoreDigits()
    {
        Assert.Equal(("0.4996", "0.500"), GateEvaluator.Format(0.4996, 0.5));
        Assert.Equal(("0.412", "0.500"), GateEvaluator.Format(0.41234, 0.5));
    }
}
