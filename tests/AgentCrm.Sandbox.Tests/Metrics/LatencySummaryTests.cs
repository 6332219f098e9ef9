using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

public sealed class LatencySummaryTests
{
    [Fact]
    public void From_OneToTwenty_NearestRankPercentiles()
    {
        // n = 20: p50 → rank ⌈10⌉ = 10, p95 → ⌈19⌉ = 19, p99 → ⌈19.8⌉ = 20. Order of input must not matter.
        var cases = Enumerable.Range(1, 20).Reverse().Select(ms => CaseLists.Of(true, 0.5, latencyMs: ms)).ToList();

        Assert.Equal(new LatencySummary(10, 19, 20), LatencySummary.From(cases));
    }

    [Fact]
    public void From_ErrorsAndNonFiniteLatency_TimeoutsCountNaNIgnored()
    {
        List<ScoredCase> cases = [CaseLists.Of(true, 0.5, latencyMs: 2), CaseLists.Of(true, 0.5, latencyMs: 5000, error: true), CaseLists.Of(true, 0.5, latencyMs: double.NaN)];

        Assert.Equal(new LatencySummary(2, 5000, 5000), LatencySummary.From(cases));
    }

    [Fact]
    public void From_NoCases_IsNull()
    {
        Assert.Null(LatencySummary.From([]));
    }
}
