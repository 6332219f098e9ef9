using AgentCrm.Agents;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Tender;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Gate;
using AgentCrm.Sandbox.Replay;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Splits;
using AgentCrm.Sandbox.Tests.Cases;
using Xunit.Abstractions;

namespace AgentCrm.Sandbox.Tests.Text;

/// <summary>
/// The shipped compliance-check and tender-detection versions replayed through the sandbox on the part of
/// their case set the fit held out (whole documents for CLAUDETTE): the report is deterministic and passes
/// the gate (≥ 200 cases, lower bounds of precision and recall ≥ 0.5).
/// </summary>
[Collection(FitsCollection.Name)]
public sealed class BuiltInTextAgentsReplayTests(ITestOutputHelper output)
{
    [Fact]
    public void ComplianceCheck_BuiltIn_PassesItsGate_OnHeldOutDocuments()
    {
        var report = ReplayTwiceAndCompare(new ComplianceCheckKind(), HoldOutCases.Of(SampleData.Claudette, new FitOptions()));

        Assert.Equal(3209, report.Cases);
        Assert.Equal(0, report.Errors);
        Assert.True(report.Passed, string.Join("; ", report.Unmet));
        Assert.InRange(report.F1!.Value, 0.70, 1);
        Assert.InRange(report.RocAuc!.Value, 0.93, 1);
    }

    [Fact]
    public void TenderDetection_BuiltIn_PassesItsGate_OnTheHeldOut30Percent()
    {
        var report = ReplayTwiceAndCompare(new TenderDetectionKind(), HoldOutCases.Of(SampleData.Tenders, new FitOptions()));

        Assert.Equal(1200, report.Cases);
        Assert.Equal(0, report.Errors);
        Assert.True(report.Passed, string.Join("; ", report.Unmet));
        Assert.InRange(report.F1!.Value, 0.79, 1);
        Assert.InRange(report.RocAuc!.Value, 0.94, 1);
    }

    private SandboxReport ReplayTwiceAndCompare(IAgentKind kind, CaseSet cases)
    {
        var manifest = kind.BuiltIn!;
        var agent = kind.Create(manifest);
        var options = new ReplayOptions { PerCaseTimeout = TimeSpan.FromSeconds(30) };
        SandboxReport Run() => GateEvaluator.Apply(
            SandboxReport.Build(ReplayEngine.Replay(agent, cases.Cases, options), manifest.Id, manifest.Version, "sha256:test", cases.Name, cases.Hash, manifest.Threshold, DateTimeOffset.UnixEpoch),
            manifest.Gate, "sha256:test");

        var first = Run();
        var second = Run();
        Assert.Equal(first.Confusion, second.Confusion);
        Assert.Equal(first.RocAuc, second.RocAuc);
        Assert.Equal(first.Sweep, second.Sweep);
        output.WriteLine($"{manifest.Id}@{manifest.Version} on {cases.Name}: {first.Cases} cases, precision {first.PrecisionInterval}, recall {first.RecallInterval}, F1 {first.F1:0.000}, ROC-AUC {first.RocAuc:0.000}, passed {first.Passed}");
        return first;
    }
}
