namespace AgentCrm.Sandbox.Metrics;

/// <summary>All scored cases sharing one score: ties are always handled as a group.</summary>
internal readonly record struct ScoreGroup(double Score, int Positives, int Negatives)
{
    /// <summary>The scored (non-error) cases grouped by distinct score, highest score first.</summary>
    public static List<ScoreGroup> Descending(IEnumerable<ScoredCase> cases) =>
        [.. cases
            .Where(c => !c.Unscored)
            .GroupBy(c => c.Score)
            .Select(g => new ScoreGroup(g.Key, g.Count(c => c.Label), g.Count(c => !c.Label)))
            .OrderByDescending(g => g.Score)];
}
