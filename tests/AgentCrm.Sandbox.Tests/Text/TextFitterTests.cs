using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Text;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Fitting.Text;
using AgentCrm.Sandbox.Tests.Cases;
using Xunit.Abstractions;

namespace AgentCrm.Sandbox.Tests.Text;

/// <summary>CPU-heavy fits share a collection with the other fits, so they never run at the same time (the machine has two cores).</summary>
[Collection(FitsCollection.Name)]
public sealed class TextFitterTests(ITestOutputHelper output)
{
    private static readonly TextFitOptions Quick = new() { L2Strengths = [0.3], PositiveWeights = [1], MaxWords = 3000, MaxChars = 3000 };

    [Fact]
    public void TenderFit_Twice_GivesTheSameModelThresholdAndFigures()
    {
        var a = TextFitter.Fit(SampleData.Tenders, new FitOptions(), Quick, TextFitTargets.For(TenderDetectionKind.KindName)!);
        var b = TextFitter.Fit(SampleData.Tenders, new FitOptions(), Quick, TextFitTargets.For(TenderDetectionKind.KindName)!);

        Assert.Equal(a.Manifest.Parameters["model"].GetRawText(), b.Manifest.Parameters["model"].GetRawText());
        Assert.Equal(a.Manifest.Threshold, b.Manifest.Threshold);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(a.Baseline, b.Baseline);
    }

    [Fact]
    public void TenderFit_ReportsEachCandidateAndTheRefit_EndingAtTheTotal()
    {
        var steps = new List<(int Done, int Total)>();
        // Two L2 strengths × the featurizer with and without its cues, then the refit: five steps.
        TextFitter.Fit(SampleData.Tenders, new FitOptions { Progress = new Fitting.RenewalRiskFitterTests.Recorder(steps) }, Quick with { L2Strengths = [0.3, 1] },
            TextFitTargets.For(TenderDetectionKind.KindName)!);

        Assert.Equal([(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)], steps);
    }

    [Fact]
    public void ComplianceFit_Twice_GivesTheSameModelEnsembleAndFigures()
    {
        var documents = SampleData.Claudette.Cases.Select(c => c.Group).Distinct().Take(12).ToHashSet();
        var set = SampleData.Claudette with { Cases = SampleData.Claudette.Cases.Where(c => documents.Contains(c.Group)).ToList() };
        var a = TextFitter.Fit(set, new FitOptions(), Quick, TextFitTargets.For(ComplianceCheckKind.KindName)!);
        var b = TextFitter.Fit(set, new FitOptions(), Quick, TextFitTargets.For(ComplianceCheckKind.KindName)!);

        Assert.Equal(a.Manifest.Parameters["model"].GetRawText(), b.Manifest.Parameters["model"].GetRawText());
        Assert.Equal(a.Manifest.Parameters["ensemble"].GetRawText(), b.Manifest.Parameters["ensemble"].GetRawText());
        Assert.Equal(a.Manifest.Threshold, b.Manifest.Threshold);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(a.PerLabel, b.PerLabel);
    }

    /// <summary>
    /// The default tender fit on the stratified 30%: better than the plain word baseline of the same run. The issue's
    /// F1 ≥ 0.85 is not reached (0.81 here); the floors stop regressions.
    /// </summary>
    [Fact]
    public void TenderFit_Default_BeatsThePlainBaseline_AndPassesTheGateOnTheHeldOutPart()
    {
        var r = TextFitter.Fit(SampleData.Tenders, new FitOptions(), new TextFitOptions(), TextFitTargets.For(TenderDetectionKind.KindName)!);
        Report("tenders", r);

        Assert.Equal((2800, 1200, 173), (r.TrainCases, r.TestCases, r.Test.Positives));
        Assert.True(r.Test.F1 > r.Baseline.F1 + 0.02, $"fitted F1 {r.Test.F1} should beat the baseline's {r.Baseline.F1}");
        Assert.True(r.Test.RocAuc > r.Baseline.RocAuc, $"fitted AUC {r.Test.RocAuc} should beat the baseline's {r.Baseline.RocAuc}");
        Assert.InRange(r.Test.F1, 0.79, 1);
        // Every L2 × positive weight, with and without the GSIN lexicon cues.
        Assert.Equal(2 * new TextFitOptions().L2Strengths.Count * new TextFitOptions().PositiveWeights.Count, r.Candidates.Count);
        Assert.Contains(r.Candidates, c => c.Features.Contains("lexicon gsin-ict", StringComparison.Ordinal));
        Assert.Equal(r.Candidates.Max(c => c.F1), r.Validation.F1, 6);
        var model = TextModel.FromJson(r.Manifest.Parameters["model"]);
        Assert.Equal(["match"], model.Classes.Select(c => c.Name));
        Assert.DoesNotContain(model.Vocabulary.Terms, t => t.Contains("n7030", StringComparison.Ordinal));
        Assert.Equal("tender-detection", r.Manifest.Id);
        Assert.Equal("1.1.0", r.Manifest.Version);
        Assert.Contains(SampleData.Tenders.Hash, r.Manifest.Description, StringComparison.Ordinal);
    }

    /// <summary>On the first 20 documents (to keep the test short); the shipped model is fitted on all 40.</summary>
    [Fact]
    public void ComplianceFit_SplitsByDocument_FitsACategoryClassPerLabel_AndReportsThemOnHeldOutDocuments()
    {
        var documents = SampleData.Claudette.Cases.Select(c => c.Group).Distinct().Take(20).ToHashSet();
        var set = SampleData.Claudette with { Cases = SampleData.Claudette.Cases.Where(c => documents.Contains(c.Group)).ToList() };
        var (_, held) = AgentCrm.Sandbox.Splits.HoldOutCases.Split(set, new FitOptions());
        var r = TextFitter.Fit(set, new FitOptions(), Quick, TextFitTargets.For(ComplianceCheckKind.KindName)!);
        Report("claudette, 20 documents", r);

        Assert.Equal(6, held.Select(i => set.Cases[i].Group).Distinct().Count());
        Assert.Equal((set.Cases.Count - held.Length, held.Length, held.Count(i => set.Cases[i].Label)), (r.TrainCases, r.TestCases, r.Test.Positives));
        var model = TextModel.FromJson(r.Manifest.Parameters["model"]);
        Assert.Equal(1 + r.PerLabel.Count, model.Classes.Count);
        Assert.Equal("unfair", model.Classes[0].Name);
        Assert.InRange(r.PerLabel.Count, 5, 9);
        Assert.Equal(held.Count(i => set.Cases[i].Labels["limitation-of-liability"]), r.PerLabel.Single(l => l.Label == "limitation-of-liability").Positives);
        Assert.True(r.Manifest.Parameters.ContainsKey("ensemble"));
        Assert.True(r.Test.F1 > r.Baseline.F1, $"fitted F1 {r.Test.F1} should beat the baseline's {r.Baseline.F1}");
        Assert.InRange(r.Test.F1, 0.6, 1);
        new ComplianceCheckKind().Create(r.Manifest);
    }

    [Fact]
    public void SparseLogistic_ReachesTheOptimum_GradientVanishes()
    {
        var rows = new SparseVector[]
        {
            new([0], [1.0]), new([0, 1], [0.6, 0.8]), new([1], [1.0]), new([1, 2], [0.8, 0.6]), new([2], [1.0]), new([0, 2], [0.6, 0.8]),
        };
        bool[] labels = [true, true, false, false, false, true];
        const double lambda = 0.5;

        var (b, w) = SparseLogistic.Fit(rows, labels, 3, lambda, positiveWeight: 2, tolerance: 1e-10);

        var gradient = new double[4];
        for (var r = 0; r < rows.Length; r++)
        {
            var p = 1 / (1 + Math.Exp(-(b + rows[r].Dot(w))));
            var d = (labels[r] ? 2 : 1) * (p - (labels[r] ? 1 : 0));
            for (var i = 0; i < rows[r].Indices.Length; i++)
                gradient[rows[r].Indices[i]] += d * rows[r].Values[i];
            gradient[3] += d;
        }
        for (var j = 0; j < 3; j++)
            Assert.Equal(0, gradient[j] + lambda * w[j], 6);
        Assert.Equal(0, gradient[3], 6);
        Assert.True(w[0] > 0 && w[1] < 0);
    }

    private void Report(string name, FitResult r)
    {
        output.WriteLine($"{name}: {r.Features}, L2 {r.L2}, {r.TrainCases} train / {r.TestCases} test, model {r.Manifest.Parameters["model"].GetRawText().Length:N0} chars");
        foreach (var c in r.Candidates)
            output.WriteLine($"  candidate {c}");
        output.WriteLine($"  validation (out of fold): {r.Validation}");
        output.WriteLine($"  fitted   (held out): {r.Test}");
        output.WriteLine($"  baseline (held out): {r.Baseline}");
        foreach (var l in r.PerLabel)
            output.WriteLine($"  {l}");
    }
}

[CollectionDefinition(Name)]
public sealed class FitsCollection
{
    public const string Name = "CPU-heavy fits";
}
