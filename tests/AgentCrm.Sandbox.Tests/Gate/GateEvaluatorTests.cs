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

        Assert.Equal(
            ["scored cases 190 < minimum 200 (210 cases, 20 errors)",
             "errors 20 of 210 cases (9.524%) > maximum 1.0% (gate.maxErrorRate); the report lists the first errored cases and why"],
            result.Unmet);
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

    /// <summary>The report's JSON named only the limits the manifest set: the default error-rate limit it was judged by was missing (qa27b).</summary>
    [Fact]
    public void Apply_ManifestWithoutAnErrorLimit_NamesTheDefaultItWasJudgedBy()
    {
        var gated = GateEvaluator.Apply(Report(), new GateCriteria(), Hash);

        Assert.Equal(GateCriteria.DefaultMaxErrorRate, gated.Criteria!.MaxErrorRate);
        Assert.Null(gated.Criteria.MinRocAuc);
        Assert.Equal(0.05, GateEvaluator.Apply(Report(), new GateCriteria { MaxErrorRate = 0.05 }, Hash).Criteria!.MaxErrorRate);
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
    public void Evaluate_FiringOnEveryCase_WhenPositivesAreCommon_FailsOnThePositiveShare()
    {
        // 600 positives, 400 negatives, fired on all: precision 0.6, Wilson lower bound 0.569 ≥ 0.5, recall 1.0.
        var result = GateEvaluator.Evaluate(Report(tp: 600, fp: 400, fn: 0, tn: 0), new GateCriteria(), Hash);

        Assert.False(result.Passed);
        Assert.Equal(["precision lower bound 0.569 is not above the positive share 0.600: firing on every case would do as well"], result.Unmet);
        // A gate that asks nothing of precision (minPrecision 0) does not ask this either.
        Assert.True(GateEvaluator.Evaluate(Report(tp: 600, fp: 400, fn: 0, tn: 0), new GateCriteria { MinPrecision = 0 }, Hash).Passed);
    }

    [Fact]
    public void Evaluate_RandomDecisions_AbovePrecisionMinimumOnlyByBaseRate_Fail()
    {
        // Fires on a random 80% of cases where 70% are positive: precision ≈ the positive share.
        var result = GateEvaluator.Evaluate(Report(tp: 560, fp: 240, fn: 140, tn: 60), new GateCriteria(), Hash);

        Assert.Equal(["precision lower bound 0.667 is not above the positive share 0.700: firing on every case would do as well"], result.Unmet);
    }

    [Fact]
    public void Evaluate_PrecisionLowerBoundClearlyAboveThePositiveShare_Passes()
    {
        // Positive share 140/400 = 0.35; precision lower bound 0.531.
        Assert.True(GateEvaluator.Evaluate(Report(), new GateCriteria(), Hash).Passed);
    }

    [Fact]
    public void Evaluate_ErrorRateAboveTheDefaultMaximum_Fails_AtOrBelow_Passes()
    {
        // 4 errors of 404 cases: 0.99% ≤ 1%; 5 of 405: 1.23% > 1%.
        Assert.True(GateEvaluator.Evaluate(Report(errors: 4), new GateCriteria(), Hash).Passed);

        var result = GateEvaluator.Evaluate(Report(errors: 5), new GateCriteria(), Hash);

        Assert.Equal(["errors 5 of 405 cases (1.235%) > maximum 1.0% (gate.maxErrorRate); the report lists the first errored cases and why"], result.Unmet);
        Assert.True(GateEvaluator.Evaluate(Report(errors: 5), new GateCriteria { MaxErrorRate = 0.05 }, Hash).Passed);
        Assert.False(GateEvaluator.Evaluate(Report(errors: 1), new GateCriteria { MaxErrorRate = 0 }, Hash).Passed);
    }

    /// <summary>2 of 202 is 0.990099%: at three decimals (as the rate format had) it read "(0.99%) > maximum 0.99%".</summary>
    [Fact]
    public void Evaluate_ErrorRateJustAboveTheMaximum_ShowsDigitsThatDiffer()
    {
        var report = SandboxReport.Build(CaseLists.WithCounts(100, 0, 0, 100, errors: 2), "renewal-risk", "2.0.0", Hash, "telco", "sha256:cases", 0.5, DateTimeOffset.UnixEpoch);

        var applied = GateEvaluator.Apply(report, new GateCriteria { MinCases = 10, MaxErrorRate = 0.0099 }, Hash);

        Assert.Equal(["errors 2 of 202 cases (0.9901%) > maximum 0.99% (gate.maxErrorRate); the report lists the first errored cases and why"], applied.Unmet);
        Assert.Contains("  errored cases: required <= 0.99%, this report 0.9901%", ReportText.Render(applied), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_MinRocAuc_CheckedOnlyWhenSet()
    {
        // Fired cases score 0.9, the others 0.1: ROC-AUC = (0.857 + 0.692) / 2 ≈ 0.774.
        var report = Report();
        Assert.True(GateEvaluator.Evaluate(report, new GateCriteria(), Hash).Passed);
        Assert.True(GateEvaluator.Evaluate(report, new GateCriteria { MinRocAuc = 0.7 }, Hash).Passed);

        var result = GateEvaluator.Evaluate(report, new GateCriteria { MinRocAuc = 0.8 }, Hash);

        Assert.Equal([$"ROC-AUC {report.RocAuc!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} < minimum 0.800"], result.Unmet);
    }

    [Fact]
    public void Format_BoundRoundsToMinimum_ShowsMoreDigits()
    {
        Assert.Equal(("0.4996", "0.500"), GateEvaluator.Format(0.4996, 0.5));
        Assert.Equal(("0.412", "0.500"), GateEvaluator.Format(0.41234, 0.5));
    }

    [Fact]
    public void Format_EqualValues_ReadAtThreeDecimals()
    {
        // A set of one negative case: "precision lower bound 0 is not above the positive share 0" beside "0.000" elsewhere.
        Assert.Equal(("0.000", "0.000"), GateEvaluator.Format(0, 0));
        Assert.Equal(("0.250", "0.250"), GateEvaluator.Format(0.25, 0.25));
    }
}
