using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Tests.Metrics;

namespace AgentCrm.Sandbox.Tests.Reports;

internal static class ReportFixtures
{
    public const string Hash = "sha256:1111";
    public static readonly DateTimeOffset CreatedAt = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Ten cases plus one error: month-to-month TP 2, FP 1, FN 1 (+1 error); two-year TP 1, TN 3;
    /// one unsegmented TN. Totals TP 3, FP 1, FN 1, TN 4.
    /// </summary>
    public static List<ScoredCase> SmallCaseList() =>
    [
        CaseLists.Of(true, 0.9, segment: "month-to-month", latencyMs: 1, id: "a"),
        CaseLists.Of(true, 0.8, segment: "month-to-month", latencyMs: 2, id: "b"),
        CaseLists.Of(false, 0.7, segment: "month-to-month", latencyMs: 3, id: "c"),
        CaseLists.Of(true, 0.3, segment: "month-to-month", latencyMs: 4, id: "d"),
        CaseLists.Of(true, 0, fired: false, segment: "month-to-month", latencyMs: 100, error: true, id: "e"),
        CaseLists.Of(true, 0.6, segment: "two-year", latencyMs: 5, id: "f"),
        CaseLists.Of(false, 0.2, segment: "two-year", latencyMs: 6, id: "g"),
        CaseLists.Of(false, 0.1, segment: "two-year", latencyMs: 7, id: "h"),
        CaseLists.Of(false, 0.1, segment: "two-year", latencyMs: 8, id: "i"),
        CaseLists.Of(false, 0.4, latencyMs: 9, id: "j"),
    ];

    public static SandboxReport Build(IReadOnlyList<ScoredCase> cases, string agentId = "renewal-risk", string hash = Hash) =>
        SandboxReport.Build(cases, agentId, "1.2.0", hash, "telco", "sha256:cases", 0.5, CreatedAt);
}
