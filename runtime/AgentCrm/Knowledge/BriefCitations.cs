using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Customers;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge;

/// <summary>
/// What a brief cites: the knowledge store is asked with the agent's knowledgeQuery plus the assessment's
/// top reasons; the best three hits at or above Knowledge:MinScore (cosine similarity) among the documents of the
/// agent's scenario (<see cref="CitationScope"/>) are attached. No such hit means no citation, rather than citing noise.
/// </summary>
public sealed partial class BriefCitations(KnowledgeService knowledge, IOptions<KnowledgeOptions> options, ILogger<BriefCitations> logger)
{
    public const int MaxCitations = 3;

    /// <summary>A knowledge store that is down fails every brief: its stack trace once per interval, with the count since.</summary>
    private readonly LogThrottle _failureLog = new(TimeSpan.FromSeconds(10));

    public async Task<IReadOnlyList<Citation>> FindAsync(AgentManifest manifest, Assessment assessment, TurnMetrics counts, CancellationToken cancellationToken)
    {
        var query = string.Join(". ", new[] { manifest.KnowledgeQuery }.Concat(assessment.Reasons.Take(3).Select(r => r.Explanation)).Where(s => !string.IsNullOrWhiteSpace(s)));
        if (query.Length == 0)
            return [];
        try
        {
            var scope = CitationScope.DocumentsFor(manifest.Scenario, knowledge.ListDocuments());
            if (scope.Count == 0)
                return [];
            // Out-of-scope hits are passed over inside the search, before their similarity is computed: reading 50 hits and
            // keeping those in scope cost a quarter of the runtime's CPU at the bench's rate of briefs.
            var hits = await knowledge.SearchAsync(query, MaxCitations, minScore: options.Value.MinScore, documents: scope.Contains, cancellationToken: cancellationToken);
            return hits.Select(h => new Citation(h.DocumentId, h.Title, h.Section, h.ChunkId, Math.Round(h.Similarity, 4), h.Snippet)).ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A knowledge outage must not stop briefs: the brief says it cites nothing.
            counts.CitationFailed(manifest.Id, manifest.Version);
            if (_failureLog.ShouldLog("search", out var unlogged))
                LogSearchFailed(ex, manifest.Id, manifest.Version, unlogged, _failureLog.Interval.TotalSeconds);
            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Knowledge search for a {AgentId}@{Version} brief failed; the brief carries no citation ({Unlogged} more briefs without citations for this since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogSearchFailed(Exception ex, string agentId, string version, int unlogged, double interval);
}
