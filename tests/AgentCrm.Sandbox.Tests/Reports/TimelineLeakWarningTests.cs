using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Cases;

namespace AgentCrm.Sandbox.Tests.Reports;

/// <summary>A timeline set has no mapping: the label-leak warning on it points at the events, not at a mapping.</summary>
public sealed class TimelineLeakWarningTests
{
    [Fact]
    public void For_TimelineSet_LeakWarning_NamesTheEventsNotAMapping()
    {
        // An NPS written once the outcome was known, dated before the cutoff: 0 for every customer who left, 10 for the rest.
        var events = string.Join('\n', Enumerable.Range(0, 40).Select(i =>
            $$$"""{"id":"n{{{i}}}","customerId":"c{{{i}}}","type":"nps","occurredAt":"2026-05-01T00:00:00Z","attributes":{"score":{{{(i % 2 == 0 ? 0 : 10)}}}}}"""));
        var labels = "customerId,cutoff,label\n" + string.Join('\n', Enumerable.Range(0, 40).Select(i => $"c{i},2026-06-01,{(i % 2 == 0 ? 1 : 0)}"));
        var set = SampleData.Timeline(events, labels);

        var warning = Assert.Single(ReportWarnings.For(new RenewalRiskKind().BuiltIn with { Reads = ["nps.latest"] }, set.Cases));

        Assert.StartsWith("probable label leak: nps.latest alone separates the case set's labels", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("mapping", warning, StringComparison.Ordinal);
        Assert.Contains("Check the events that set it up to each cutoff", warning, StringComparison.Ordinal);
    }
}
