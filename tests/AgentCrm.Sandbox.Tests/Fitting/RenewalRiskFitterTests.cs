using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Tests.Cases;
using Xunit.Abstractions;

namespace AgentCrm.Sandbox.Tests.Fitting;

/// <summary>One default fit per shipped data set, shared by the tests that read it.</summary>
public sealed class ShippedFits
{
    private readonly Lazy<FitResult> _telco = new(() => RenewalRiskFitter.Fit(SampleData.Telco, new FitOptions()));
    private readonly Lazy<FitResult> _iranian = new(() => RenewalRiskFitter.Fit(SampleData.Iranian, new FitOptions()));

    public FitResult Telco => _telco.Value;

    public FitResult Iranian => _iranian.Value;
}

[Collection(Text.FitsCollection.Name)]
public sealed class RenewalRiskFitterTests(ShippedFits fits, ITestOutputHelper output) : IClassFixture<ShippedFits>
{
    [Fact]
    public void Fit_Twice_GivesIdenticalWeightsAndThreshold()
    {
        var options = new FitOptions { FeatureCandidates = [FeatureOptions.Engineered], L2Strengths = [3, 30], TreeCandidates = [] };
        var a = RenewalRiskFitter.Fit(SampleData.Telco, options);
        var b = RenewalRiskFitter.Fit(SampleData.Telco, options);

        Assert.Equal(a.Manifest.Parameters["model"].GetRawText(), b.Manifest.Parameters["model"].GetRawText());
        Assert.Equal(a.Manifest.Threshold, b.Manifest.Threshold);
        Assert.Equal(((LinearModel)RenewalRiskFitter.ModelOf(a.Manifest)).Weights(), ((LinearModel)RenewalRiskFitter.ModelOf(b.Manifest)).Weights());
        Assert.Equal(a.Test, b.Test);
    }

    [Fact]
    public void Fit_ReportsEachStepItPlanned_InOrder_EndingAtTheTotal()
    {
        var steps = new List<(int Done, int Total)>();
        // Two logistic candidates (one feature set × two L2 strengths), no trees, and the refit: three steps.
        RenewalRiskFitter.Fit(SampleData.Telco, new FitOptions
        {
            FeatureCandidates = [FeatureOptions.Engineered], L2Strengths = [3, 30], TreeCandidates = [], Progress = new Recorder(steps),
        });

        Assert.Equal([(1, 3), (2, 3), (3, 3)], steps);
    }

    /// <summary>Records on the reporting thread, in order (System.Progress would post to the pool).</summary>
    internal sealed class Recorder(List<(int Done, int Total)> into) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value)
        {
            lock (into)
                into.Add(value);
        }
    }

    /// <summary>
    /// The telco figures on the 30% held out by the fixed seed. The issue's targets (AUC ≥ 0.86,
    /// F1 ≥ 0.66) are not reached on this split: see the fit report; the floors here stop regressions.
    /// Gradient-boosted trees and logistic + trees blends are tried too, but lose to the engineered logistic model in cross-validation.
    /// </summary>
    [Fact]
    public void Fit_TelcoHeldOut30Percent_BeatsThePlainBaseline()
    {
        var r = fits.Telco;
        Report("telco", r);

        Assert.Equal(3500, r.TrainCases);
        Assert.Equal(1500, r.TestCases);
        Assert.Equal(398, r.Test.Positives);
        Assert.True(r.Test.RocAuc > r.Baseline.RocAuc, $"fitted AUC {r.Test.RocAuc} should beat the baseline's {r.Baseline.RocAuc}");
        Assert.True(r.Test.LogLoss < r.Baseline.LogLoss, $"fitted log-loss {r.Test.LogLoss} should beat the baseline's {r.Baseline.LogLoss}");
        Assert.InRange(r.Test.RocAuc, 0.835, 1);
        Assert.InRange(r.Test.F1, 0.62, 1);
        Assert.InRange(r.Baseline.RocAuc, 0.82, 0.84);
    }

    /// <summary>
    /// Cross-validation picks a blend of the engineered logistic model and gradient-boosted trees here
    /// (lower out-of-fold log-loss than either alone); it reaches the issue's aim (F1 ≥ 0.80) on the 30%.
    /// </summary>
    [Fact]
    public void Fit_IranianHeldOut30Percent_BeatsThePlainBaseline()
    {
        var r = fits.Iranian;
        Report("iranian", r);

        Assert.Equal(660, r.TestCases);
        Assert.True(r.Test.RocAuc > r.Baseline.RocAuc + 0.01, $"fitted AUC {r.Test.RocAuc} should clearly beat the baseline's {r.Baseline.RocAuc}");
        Assert.True(r.Test.F1 > r.Baseline.F1, $"fitted F1 {r.Test.F1} should beat the baseline's {r.Baseline.F1}");
        Assert.Equal(EnsembleModel.TypeName, r.ModelType);
        Assert.True(r.Validation.LogLoss < r.Candidates.Where(c => c.Type != EnsembleModel.TypeName).Min(c => c.LogLoss));
        Assert.InRange(r.Test.RocAuc, 0.98, 1);
        Assert.InRange(r.Test.F1, 0.82, 1);
    }

    [Fact]
    public void Fit_Manifest_IsANewRenewalRiskVersionTheKindAccepts()
    {
        var r = fits.Telco;
        var m = r.Manifest;
        var kind = new RenewalRiskKind();

        Assert.Equal("renewal-risk", m.Id);
        Assert.Equal("1.1.0", m.Version);
        Assert.Equal(RenewalRiskKind.KindName, m.Kind);
        Assert.Equal(kind.BuiltIn.Subscribes, m.Subscribes);
        var model = RenewalRiskFitter.ModelOf(m);
        Assert.Equal(model.Fields, m.Reads);
        Assert.Contains("contract.type", m.Reads);
        // The name is never a model field: a fit keeps the optional reads of the version it is built from (the built-in's
        // profile.name), so a customer whose consent withholds identity is assessed by it too.
        Assert.DoesNotContain("profile.name", m.Reads);
        Assert.Equal(kind.BuiltIn.OptionalReads, m.OptionalReads);
        Assert.Equal(["profile.name"], m.OptionalReads);
        Assert.InRange(m.Threshold, 0.05, 0.95);
        Assert.Contains(SampleData.Telco.Hash, m.Description, StringComparison.Ordinal);

        var agent = kind.Create(m);
        var risky = SampleData.Telco.Cases.Select(c => (Case: c, Result: agent.Assess(c.Snapshot))).MaxBy(x => x.Result.Score);
        Assert.True(risky.Result.Fired);
        Assert.Equal(Math.Round(LinearModel.Sigmoid(model.Logit(risky.Case.Snapshot)), 4), risky.Result.Score);
        Assert.NotEmpty(risky.Result.Reasons);
        Assert.Equal(risky.Result.Reasons.OrderByDescending(x => x.Weight).Select(x => x.Field), risky.Result.Reasons.Select(x => x.Field));
        // Worded as a CSM reads the field, without the weight a brief shows beside it.
        Assert.All(risky.Result.Reasons, r => Assert.DoesNotContain("raises risk", r.Explanation, StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_ChoosesOnValidationOnly_AndReportsEveryCandidate()
    {
        var r = fits.Telco;
        var options = new FitOptions();
        Assert.Equal(options.FeatureCandidates.Count * options.L2Strengths.Count + options.TreeCandidates.Count + options.BlendWeights.Count, r.Candidates.Count);
        Assert.Equal(options.TreeCandidates.Count, r.Candidates.Count(c => c.Type == TreeModel.TypeName));
        Assert.Equal(options.BlendWeights.Count, r.Candidates.Count(c => c.Type == EnsembleModel.TypeName));
        Assert.Equal(LinearModel.TypeName, r.ModelType);
        var best = r.Candidates.MinBy(c => c.LogLoss)!;
        Assert.Equal((best.Type, best.Features, best.L2, best.Trees), (r.ModelType, r.Features, r.L2, r.Trees));
        Assert.Equal(r.ModelType, RenewalRiskFitter.ModelOf(r.Manifest).Type);
        Assert.All(r.Candidates.Where(c => c.Type == TreeModel.TypeName), c => Assert.InRange(c.Trees, 1, options.TreeCandidates.Max(t => t.MaxTrees)));
        Assert.Equal(3500, r.Validation.Cases);
        Assert.Equal(r.Manifest.Threshold, r.Validation.Threshold);
    }

    /// <summary>The fitted Iranian blend (logistic + up to 400 trees) stays a manifest the API takes and scores every case; its speed is a benchmark figure (`bench --replay`), not a test.</summary>
    [Fact]
    public void FittedIranianModel_ScoresEveryCase_AndStaysUnder2MbOfJson()
    {
        var r = fits.Iranian;
        var agent = new RenewalRiskKind().Create(r.Manifest);
        var scores = SampleData.Iranian.Cases.Select(c => agent.Assess(c.Snapshot).Score).ToArray();
        Assert.All(scores, s => Assert.InRange(s, 0.0, 1.0));
        Assert.True(scores.Distinct().Count() > 100, "a fitted model should separate customers, not give a handful of scores");
        Assert.True(r.Manifest.Parameters["model"].GetRawText().Length < 2_000_000, "the fitted model should stay under 2 MB of JSON");
    }

    private void Report(string name, FitResult r)
    {
        output.WriteLine($"{name}: {r.ModelType} {r.Features}, L2 {r.L2}, {r.Trees} trees, {r.TrainCases} train / {r.TestCases} test, manifest model {r.Manifest.Parameters["model"].GetRawText().Length:N0} chars");
        foreach (var c in r.Candidates)
            output.WriteLine($"  candidate {c}");
        output.WriteLine($"  validation (out of fold, 70%): {r.Validation}");
        output.WriteLine($"  fitted   (30%): {r.Test}");
        output.WriteLine($"  baseline (30%): {r.Baseline}");
    }
}
