using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Sandbox.Gate;
using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Reports;

namespace AgentCrm.Sandbox.Tests.Gate;

/// <summary>
/// A case set with no positive (or no negative) case cannot measure recall (or false alarms). The report shows such a rate
/// as undefined (null), not 0 on [0, 1], and the gate says plainly why it cannot pass instead of "recall lower bound 0.000"
/// and "not above the positive share 0.000".
/// </summary>
public sealed class OneSidedCaseSetTests
{
    private static readonly GateCriteria Gate = new() { MinCases = 10, MinPrecision = 0.5, MinRecall = 0.5 };

    private static List<ScoredCase> Cases(Func<int, bool> label) =>
        [.. Enumerable.Range(0, 300).Select(i => new ScoredCase($"c{i}", label(i), i % 2 == 0 ? 0.8 : 0.2, i % 2 == 0, null, 1, false))];

    [Fact]
    public void Gate_OnACaseSetWithNoPositives_SaysRecallCannotBeMeasured_AndReportsItNull()
    {
        var report = GateEvaluator.Apply(ReportFixtures.Build(Cases(_ => false)), Gate, ReportFixtures.Hash);

        Assert.False(report.Passed);
        Assert.Null(report.Recall);
        Assert.Null(report.F1);
        Assert.Contains(report.Unmet, u => u.StartsWith("the 300 scored cases have no positive case", StringComparison.Ordinal) && u.Contains("recall cannot be measured", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Unmet, u => u.Contains("recall lower bound", StringComparison.Ordinal) || u.Contains("positive share", StringComparison.Ordinal));
        var json = JsonDocument.Parse(SandboxReportJson.Serialize(report)).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("recall").ValueKind);
        // Where nothing fires precision is undefined, not 0; with no positives recall is undefined at every threshold.
        var top = json.GetProperty("sweep").EnumerateArray().Last();
        Assert.Equal(JsonValueKind.Null, top.GetProperty("precision").ValueKind);
        Assert.Equal(JsonValueKind.Null, top.GetProperty("recall").ValueKind);
        Assert.Matches(@"(?m)^recall +n/a  undefined: no positive cases$", ReportText.Render(report));
    }

    [Fact]
    public void Gate_OnACaseSetWithNoNegatives_SaysFalseAlarmsCannotBeMeasured()
    {
        var report = GateEvaluator.Apply(ReportFixtures.Build(Cases(_ => true)), Gate with { MinRocAuc = 0.6 }, ReportFixtures.Hash);

        Assert.False(report.Passed);
        Assert.Contains(report.Unmet, u => u.StartsWith("the 300 scored cases have no negative case", StringComparison.Ordinal) && u.Contains("ROC-AUC", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Unmet, u => u.Contains("positive share", StringComparison.Ordinal) || u.StartsWith("ROC-AUC undefined", StringComparison.Ordinal));
        Assert.Equal(1, report.Precision);
    }

    [Fact]
    public void Gate_WhenNothingFired_SaysPrecisionCannotBeMeasured()
    {
        var cases = Enumerable.Range(0, 300).Select(i => new ScoredCase($"c{i}", i % 3 == 0, 0.1, false, null, 1, false)).ToList();

        var report = GateEvaluator.Apply(ReportFixtures.Build(cases), Gate, ReportFixtures.Hash);

        Assert.Null(report.Precision);
        Assert.Equal(0, report.Recall);
        Assert.Contains("precision cannot be measured: the version fired on none of the 300 scored cases (minimum 0.500)", report.Unmet);
        Assert.Contains("recall lower bound 0.000 < minimum 0.500", report.Unmet);
    }

    /// <summary>
    /// Every case errored: accuracy was 0 ("0.000 [0.000, 1.000]" beside precision "undefined: no scored cases") and the gate
    /// judged the placeholder zeros ("precision lower bound 0.000 &lt; minimum 0.300"). Now accuracy is null and the gate says no
    /// case was scored, and why.
    /// </summary>
    [Fact]
    public void Gate_WithNoScoredCase_SaysSo_AndReportsAccuracyNull()
    {
        var cases = Enumerable.Range(0, 202).Select(i => new ScoredCase($"c{i}", i % 2 == 0, 0, false, i % 3 == 0 ? "basic" : null, 1, true)).ToList();

        var report = GateEvaluator.Apply(ReportFixtures.Build(cases), Gate with { MinPrecision = 0.3, MinRocAuc = 0.6 }, ReportFixtures.Hash);

        Assert.False(report.Passed);
        Assert.Null(report.Accuracy);
        Assert.All(report.PerSegment.Values, s => Assert.Null(s.Accuracy));
        Assert.Contains("no case was scored (202 cases: 202 errors): precision, recall and ROC-AUC cannot be measured", report.Unmet);
        Assert.DoesNotContain(report.Unmet, u => u.Contains("lower bound", StringComparison.Ordinal) || u.StartsWith("ROC-AUC", StringComparison.Ordinal));
        var json = JsonDocument.Parse(SandboxReportJson.Serialize(report)).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("accuracy").ValueKind);
        Assert.All(json.GetProperty("perSegment").EnumerateObject(), s => Assert.Equal(JsonValueKind.Null, s.Value.GetProperty("accuracy").ValueKind));
        var text = ReportText.Render(report);
        Assert.Matches(@"(?m)^accuracy +n/a  undefined: no scored cases$", text);
        Assert.Contains("<th>accuracy</th><td>undefined: no scored cases</td>", HtmlReport.Render(report), StringComparison.Ordinal);
    }

    /// <summary>With no positive case the sweep's F1 was 0 at every threshold; it is null like recall, and the best-F1 threshold says why it has none.</summary>
    [Fact]
    public void Sweep_OnACaseSetWithNoPositives_HasNullF1_AndNoBestF1Threshold()
    {
        var report = ReportFixtures.Build(Cases(_ => false));

        var json = JsonDocument.Parse(SandboxReportJson.Serialize(report)).RootElement;
        Assert.All(json.GetProperty("sweep").EnumerateArray(), p => Assert.Equal(JsonValueKind.Null, p.GetProperty("f1").ValueKind));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("bestF1Threshold").ValueKind);
        Assert.Matches(@"(?m)^best-f1 threshold +n/a  undefined: no positive cases$", ReportText.Render(report));
        Assert.Contains("<th>best-F1 threshold</th><td>undefined: no positive cases</td>", HtmlReport.Render(report), StringComparison.Ordinal);
    }
}
