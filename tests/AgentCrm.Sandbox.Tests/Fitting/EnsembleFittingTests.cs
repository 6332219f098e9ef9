using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Tests.Cases;
using Xunit.Abstractions;

namespace AgentCrm.Sandbox.Tests.Fitting;

/// <summary>Blends of the best logistic and the best trees candidate, chosen by the same cross-validation.</summary>
public sealed class EnsembleFittingTests(ITestOutputHelper output)
{
    private static readonly FitOptions Small = new()
    {
        FeatureCandidates = [FeatureOptions.Engineered],
        L2Strengths = [0.3, 3],
        TreeCandidates = [new TreeOptions { Name = "trees-d4", Depth = 4, LearningRate = 0.1, MaxTrees = 80 }],
        BlendWeights = [0.25, 0.5],
    };

    [Fact]
    public void Fit_Iranian_BlendWinsTheCrossValidation_AndTheAgentScoresTheBlend()
    {
        var r = RenewalRiskFitter.Fit(SampleData.Iranian, Small);
        foreach (var c in r.Candidates)
            output.WriteLine($"candidate {c}");
        output.WriteLine($"test {r.Test}");

        var blends = r.Candidates.Where(c => c.Type == EnsembleModel.TypeName).ToList();
        Assert.Equal(2, blends.Count);
        var bestLinear = r.Candidates.Where(c => c.Type == LinearModel.TypeName).MinBy(c => c.LogLoss)!;
        var bestTrees = r.Candidates.Where(c => c.Type == TreeModel.TypeName).MinBy(c => c.LogLoss)!;
        Assert.All(blends, b => Assert.Contains($"{bestLinear.Features} (L2 {bestLinear.L2})", b.Features, StringComparison.Ordinal));
        Assert.All(blends, b => Assert.Equal(bestTrees.Trees, b.Trees));
        Assert.Equal(EnsembleModel.TypeName, r.ModelType);
        Assert.True(r.Validation.LogLoss < Math.Min(bestLinear.LogLoss, bestTrees.LogLoss));

        var model = Assert.IsType<EnsembleModel>(RenewalRiskFitter.ModelOf(r.Manifest));
        Assert.Collection(model.Members,
            m => Assert.IsType<LinearModel>(m.Model),
            m => Assert.IsType<TreeModel>(m.Model));
        Assert.Equal(1, model.Members.Sum(m => m.Weight), 9);
        Assert.Contains(model.Members[0].Weight, Small.BlendWeights);
        Assert.Equal(model.Fields, r.Manifest.Reads);

        var agent = new RenewalRiskKind().Create(r.Manifest);
        foreach (var c in SampleData.Iranian.Cases.Take(200))
        {
            var e = model.Evaluate(c.Snapshot);
            Assert.Equal(e.Logit - model.Bias, e.Contributions.Sum(x => x.Contribution), 9);
            Assert.Equal(Math.Round(LinearModel.Sigmoid(e.Logit), 4), agent.Assess(c.Snapshot).Score);
        }
        Assert.True(r.Test.F1 > r.Baseline.F1, $"blend F1 {r.Test.F1} should beat the baseline's {r.Baseline.F1}");
    }

    [Fact]
    public void Fit_BlendTwice_GivesIdenticalManifest()
    {
        var a = RenewalRiskFitter.Fit(SampleData.Iranian, Small);
        var b = RenewalRiskFitter.Fit(SampleData.Iranian, Small);

        Assert.Equal(a.Manifest.Parameters["model"].GetRawText(), b.Manifest.Parameters["model"].GetRawText());
        Assert.Equal(a.Manifest.Threshold, b.Manifest.Threshold);
        Assert.Equal(a.Test, b.Test);
    }

    [Fact]
    public void Fit_WithoutBlendWeights_TriesNoBlend()
    {
        var r = RenewalRiskFitter.Fit(SampleData.Iranian, Small with { BlendWeights = [] });
        Assert.DoesNotContain(r.Candidates, c => c.Type == EnsembleModel.TypeName);
        Assert.NotEqual(EnsembleModel.TypeName, r.ModelType);
    }
}
