using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

/// <summary>Short ways to write hand-checked case lists.</summary>
internal static class CaseLists
{
    /// <summary>A scored case; <paramref name="fired"/> defaults to score ≥ 0.5.</summary>
    public static ScoredCase Of(bool label, double score, bool? fired = null, string? segment = null, double latencyMs = 1, bool error = false, string id = "c") =>
        new(id, label, score, fired ?? score >= 0.5, segment, latencyMs, error);

    /// <summary>Cases with exactly these confusion counts (positives score 0.9 when fired, 0.1 otherwise).</summary>
    public static List<ScoredCase> WithCounts(int tp, int fp, int fn, int tn, int errors = 0) =>
        [
            .. Enumerable.Repeat(Of(true, 0.9), tp),
            .. Enumerable.Repeat(Of(false, 0.9), fp),
            .. Enumerable.Repeat(Of(true, 0.1), fn),
            .. Enumerable.Repeat(Of(false, 0.1), tn),
            .. Enumerable.Repeat(Of(true, 0.9, error: true), errors),
        ];

    /// <summary>Positives and negatives with the given scores.</summary>
    public static List<ScoredCase> Scored(double[] positives, double[] negatives) =>
        [.. positives.Select(s => Of(true, s)), .. negatives.Select(s => Of(false, s))];
}
