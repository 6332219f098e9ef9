using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Customers;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge;

/// <summary>
/// What a brief cites, among the documents of the agent's scenario (<see cref="CitationScope"/>) and at or above
/// Knowledge:MinScore (cosine similarity): for each of the assessment's top three reasons, the passage that best matches
/// that reason; slots left (reasons that share a passage, or none above the minimum) go to the reasons' next-best
/// passages, then to a search with the agent's knowledgeQuery plus those reasons. Each passage and section is cited once,
/// best score first. No such hit means no citation, rather than citing noise.
/// </summary>
public sealed partial class BriefCitations(KnowledgeService knowledge, IOptions<KnowledgeOptions> options, ILogger<BriefCitations> logger)
{
    public const int MaxCitations = 3;

    /// <summary>A knowledge store that is down fails every brief: its stack trace once per interval, with the count since.</summary>
    private readonly LogThrottle _failureLog = new(TimeSpan.FromSeconds(10));

    private readonly CitationSearchCache _cache = new();

    public async Task<IReadOnlyList<Citation>> FindAsync(AgentManifest manifest, Assessment assessment, TurnMetrics counts, CancellationToken cancellationToken)
    {
        // Reasons are searched one by one: in one query with the knowledgeQuery, its words (the agent's whole topic) outweighed
        // a short reason such as "NPS 3", and the passage that matched the topic (a playbook's introduction) was cited by nearly
        // every brief while the section on the brief's own reason was not.
        var reasons = assessment.Reasons.Take(MaxCitations).Select(r => r.Explanation).Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        var fallback = string.Join(". ", new[] { manifest.KnowledgeQuery }.Concat(reasons).Where(s => !string.IsNullOrWhiteSpace(s)));
        if (fallback.Length == 0)
            return [];
        try
        {
            // The version is read before anything is searched: what is kept under it was found at it or later, never earlier.
            var version = knowledge.SearchVersion;
            var scope = _cache.ScopeFor(version, manifest.Scenario,
                () => new CitationSearchCache.Scope(manifest.Scenario, CitationScope.DocumentsFor(manifest.Scenario, knowledge.ListDocuments())));
            if (scope.Documents.Count == 0)
                return [];
            var cited = new List<KnowledgeHit>(MaxCitations);
            var spare = new List<KnowledgeHit>();
            foreach (var reason in reasons)
            {
                var fresh = (await SearchAsync(version, reason, MaxCitations, scope, cancellationToken)).Where(h => !Cites(cited, h)).ToList();
                if (fresh.Count == 0)
                    continue;
                cited.Add(fresh[0]);
                spare.AddRange(fresh.Skip(1));
            }
            foreach (var hit in spare.OrderByDescending(h => h.Similarity))
                if (cited.Count < MaxCitations && !Cites(cited, hit))
                    cited.Add(hit);
            if (cited.Count < MaxCitations)
                foreach (var hit in await SearchAsync(version, fallback, MaxCitations + cited.Count, scope, cancellationToken))
                    if (cited.Count < MaxCitations && !Cites(cited, hit))
                        cited.Add(hit);
            // Shown best first by the score each citation shows (the order found followed the reasons, not the scores).
            return [.. cited.OrderByDescending(h => h.Similarity).Select(h => new Citation(h.DocumentId, h.Title, h.Section, h.ChunkId, Math.Round(h.Similarity, 4), h.Snippet))];
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

    // Out-of-scope hits are passed over inside the search, before their similarity is computed: reading 50 hits and keeping
    // those in scope cost a quarter of the runtime's CPU at the bench's rate of briefs.
    // Briefs give the same few reasons again and again: a search's hits are kept for the knowledge version it was asked at.
    private async ValueTask<KnowledgeHit[]> SearchAsync(long version, string query, int k, CitationSearchCache.Scope scope, CancellationToken cancellationToken)
    {
        var key = new CitationSearchCache.Key(query, k, options.Value.MinScore, scope);
        if (_cache.TryGet(version, key, out var kept))
            return kept;
        var hits = (await knowledge.SearchAsync(query, k, minScore: key.MinScore, documents: scope.Documents.Contains, cancellationToken: cancellationToken)).ToArray();
        _cache.Add(version, key, hits);
        return hits;
    }

    /// <summary>Citation searches answered from the cache, and those that searched, since the start.</summary>
    public (long Hits, long Misses) CacheCounts => (_cache.Hits, _cache.Misses);

    /// <summary>A passage, or another passage of its section, is cited already (a search gives one hit per section too).</summary>
    private static bool Cites(List<KnowledgeHit> cited, KnowledgeHit hit) =>
        cited.Any(c => c.DocumentId == hit.DocumentId && (c.ChunkId == hit.ChunkId || c.Section == hit.Section));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Knowledge search for a {AgentId}@{Version} brief failed; the brief carries no citation ({Unlogged} more briefs without citations for this since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogSearchFailed(Exception ex, string agentId, string version, int unlogged, double interval);
}
