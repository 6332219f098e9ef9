using AgentCrm.Agents.Models;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Tests.Cases;
using Xunit.Abstractions;

namespace AgentCrm.Sandbox.Tests.Fitting;

public sealed class TreeFittingTests(ITestOutputHelper output)
{
    private static readonly FitOptions TreesOnly = new()
    {
        FeatureCandidates = [],
        TreeCandidates = [new TreeOptions { Name = "trees-d5", Depth = 5, LearningRate = 0.1, MaxTrees = 40 }],
    };

    [Fact]
    public void Fit_TreesTwice_GivesIdenticalManifest()
    {
        var a = RenewalRiskFitter.Fit(SampleData.Telco, TreesOnly);
        var b = RenewalRiskFitter.Fit(SampleData.Telco, TreesOnly);

        Assert.Equal(TreeModel.TypeName, a.ModelType);
        Assert.Equal(a.Manifest.Parameters["model"].GetRawText(), b.Manifest.Parameters["model"].GetRawText());
        Assert.Equal(a.Manifest.Threshold, b.Manifest.Threshold);
        Assert.Equal(a.Test, b.Test);
        var size = a.Manifest.Parameters["model"].GetRawText().Length;
        output.WriteLine($"telco trees-only: {a.Trees} trees, {size:N0} chars; validation {a.Validation}; test {a.Test}");
        // A depth-5 tree takes at most 63 nodes; this bounds the default settings' 400 trees well under 2 MB.
        Assert.InRange(size / Math.Max(1, a.Trees), 1, 4000);
    }

    [Fact]
    public void Fit_Trees_ContributionsSumToLogitMinusBaseScore_AndTheAgentScoresTheModel()
    {
        var r = RenewalRiskFitter.Fit(SampleData.Iranian, TreesOnly);
        var model = Assert.IsType<TreeModel>(RenewalRiskFitter.ModelOf(r.Manifest));
        var agent = new RenewalRiskKind().Create(r.Manifest);

        Assert.Equal(model.Fields, r.Manifest.Reads);
        foreach (var c in SampleData.Iranian.Cases.Take(300))
        {
            var e = model.Evaluate(c.Snapshot);
            Assert.Equal(e.Logit - model.BaseScore, e.Contributions.Sum(x => x.Contribution), 9);
            Assert.Equal(e.Logit, model.Logit(c.Snapshot), 9);
            var result = agent.Assess(c.Snapshot);
            Assert.Equal(Math.Round(LinearModel.Sigmoid(e.Logit), 4), result.Score);
            // Reasons are the fields raising risk by at least 0.005 (less would show as +0.00).
            Assert.Equal(e.Contributions.Where(x => Math.Round(x.Contribution, 4) >= 0.005).Select(x => x.Field).Order(StringComparer.Ordinal),
                result.Reasons.Select(x => x.Field).Order(StringComparer.Ordinal));
        }
    }
}
