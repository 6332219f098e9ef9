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
/// Knowledge:MinScore (cosine similarity): one passage per reason, the one a search for that reason alone ranks first (its
/// words without what it quotes, <see cref="CitationQuery"/>), for the reasons that raised the score, strongest first, until
/// three passages are cited; a search with the agent's knowledgeQuery plus the reasons only when no reason found a passage.
/// A brief whose reasons are all notes (weight 0: "not checked: the document reads as German") is about what they say,
/// not about the agent's topic: its notes are searched as reasons are, and the knowledgeQuery never (it cited the
/// playbook's "Cap on liability" for a document nothing in which was judged).
/// Each passage and section is cited once, best score first. No such hit means no citation, rather than citing noise; a search
/// that fails (the knowledge store or the embeddings endpoint down) means no citation too, but the brief says so
/// (<see cref="FoundCitations.Failed"/>): "nothing matched" would be false.
/// </summary>
public sealed partial class BriefCitations(KnowledgeService knowledge, IOptions<KnowledgeOptions> options, ILogger<BriefCitations> logger)
{
    public const int MaxCitations = 3;

    /// <summary>How many reasons, strongest first, are searched at most to find <see cref="MaxCitations"/> passages.</summary>
    public const int MaxReasonsSearched = 6;

    /// <summary>A knowledge store that is down fails every brief: its stack trace once per interval, with the count since.</summary>
    private readonly LogThrottle _failureLog = new(TimeSpan.FromSeconds(10));

    private readonly CitationSearchCache _cache = new();

    public async Task<FoundCitations> FindAsync(AgentManifest manifest, Assessment assessment, TurnMetrics counts, CancellationToken cancellationToken)
    {
        // Reasons are searched one by one: in one query with the knowledgeQuery, its words (the agent's whole topic) outweighed
        // a short reason such as "NPS 3", and the passage that matched the topic (a playbook's introduction) was cited by nearly
        // every brief while the section on the brief's own reason was not. A reason that lowered the score or only notes
        // something (weight 0: "the notice is a contract award") is not what the brief asks the CSM to act on.
        var notesOnly = assessment.Reasons.Count > 0 && assessment.Reasons.All(r => r.Weight <= 0);
        var reasons = assessment.Reasons.Where(r => notesOnly || r.Weight > 0).Take(MaxReasonsSearched).Select(CitationQuery.Of).Where(s => s.Length > 0).ToList();
        var fallback = notesOnly ? "" : string.Join(". ", new[] { manifest.KnowledgeQuery }.Concat(reasons.Take(MaxCitations)).Where(s => !string.IsNullOrWhiteSpace(s)));
        if (fallback.Length == 0 && reasons.Count == 0)
            return FoundCitations.None;
        try
        {
            // The version is read before anything is searched: what is kept under it was found at it or later, never earlier.
            var version = knowledge.SearchVersion;
            var scope = _cache.ScopeFor(version, manifest.Scenario,
                () => new CitationSearchCache.Scope(manifest.Scenario, CitationScope.DocumentsFor(manifest.Scenario, knowledge.ListDocuments())));
            if (scope.Documents.Count == 0)
                return FoundCitations.None;
            // Only the passage a search ranks first: the next ones, used to fill three slots, were noise as often as not —
            // a section sharing a number with the reason ("6. New customers", which reads "90 days", for "1 failed payment in 90
            // days"), or one sharing its topic's words (the business-contract cap rules for a consumer limitation of liability),
            // ranked as close to the first as a second passage on the reason itself would. Slots left go to the next reasons.
            var cited = new List<KnowledgeHit>(MaxCitations);
            foreach (var reason in reasons)
            {
                if (cited.Count == MaxCitations)
                    break;
                if (await FirstAsync(version, reason, scope, cancellationToken) is { } hit && !Cites(cited, hit))
                    cited.Add(hit);
            }
            // The knowledgeQuery (the agent's topic) only for a brief none of whose reasons found a passage: as a filler it cited
            // a playbook's introduction beside the sections on the brief's own reasons.
            if (cited.Count == 0 && fallback.Length > 0 && await FirstAsync(version, fallback, scope, cancellationToken) is { } topical)
                cited.Add(topical);
            // Shown best first by the score each citation shows (the order found followed the reasons, not the scores).
            return new([.. cited.OrderByDescending(h => h.Similarity).Select(h => new Citation(h.DocumentId, h.Title, h.Section, h.ChunkId, Math.Round(h.Similarity, 4), h.Snippet))], Failed: false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A knowledge outage must not stop briefs: the brief cites nothing and says the knowledge could not be searched
            // (it said that nothing matched, which told the CSM there was nothing to read).
            counts.CitationFailed(manifest.Id, manifest.Version);
            if (_failureLog.ShouldLog("search", out var unlogged))
                LogSearchFailed(ex, manifest.Id, manifest.Version, unlogged, _failureLog.Interval.TotalSeconds);
            return FoundCitations.SearchFailed;
        }
    }

    // Out-of-scope hits are passed over inside the search, before their similarity is computed: reading 50 hits and keeping
    // those in scope cost a quarter of the runtime's CPU at the bench's rate of briefs.
    // Briefs give the same few reasons again and again: a search's hits are kept for the knowledge version it was asked at.
    private async ValueTask<KnowledgeHit?> FirstAsync(long version, string query, CitationSearchCache.Scope scope, CancellationToken cancellationToken) =>
        (await SearchAsync(version, query, 1, scope, cancellationToken)).FirstOrDefault();

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

/// <summary>What a brief cites; <see cref="Failed"/> when the knowledge could not be searched (then <see cref="Cited"/> is empty).</summary>
public sealed record FoundCitations(IReadOnlyList<Citation> Cited, bool Failed)
{
    public static readonly FoundCitations None = new([], Failed: false);
    public static readonly FoundCitations SearchFailed = new([], Failed: true);
}
