using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// Hybrid retrieval by reciprocal rank fusion (k = 60) of three rankings: the vector store's nearest units, BM25 over
/// unit texts, and BM25 over section headings (credited to every unit of the section). The lexical side runs over the
/// service's own copy of the unit texts, so it works with any store. One hit per section, and every hit a chunk: a
/// distilled unit found is cited as a chunk it was distilled from; of a section's chunks, the one whose text holds the most
/// of the query's words; and, with the local embedder, never a passage that shares no word with the query.
/// </summary>
public sealed class KnowledgeSearch(IKnowledgeStore store, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    public const int RrfK = 60;
    private const int MinCandidates = 50;
    private const int SnippetLength = 320;

    /// <summary>A hit's similarity (cosine, as shown: rounded to 4 places) must be above this: at 0 it shares nothing with the query.</summary>
    public const double MinSimilarity = 0;

    /// <summary>
    /// Whether a hit must share a word (stem) with the query: with the local embedder, whose character n-grams make a
    /// made-up word look like any large document. A learned embedder (Knowledge:Embeddings:Endpoint) matches meaning
    /// across different words ("intruders stole records" → a data breach), which this floor would throw away.
    /// </summary>
    private readonly bool _sharedWordRequired = embedder is LocalEmbeddingGenerator;

    private volatile LexicalIndex _lexical = new([]);
    private Dictionary<string, (string Text, List<string> Words)> _words = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>
    /// Counts the changes to what a search can find (see <see cref="KnowledgeService.SearchVersion"/>): raised after each
    /// change is in place, so a search that reads it and then searches finds that version or a later one, never an earlier.
    /// </summary>
    internal long Version => Interlocked.Read(ref _version);

    /// <summary>Something a search reads changed (the IDF the query is embedded under, the vector store's records) and is in place.</summary>
    internal void Changed() => Interlocked.Increment(ref _version);

    /// <summary>
    /// The text a unit is embedded and BM25-indexed as: its heading path, its own heading once more (a field boost: a
    /// section's heading names its topic better than any sentence of it), then its text.
    /// </summary>
    public static string EmbeddingText(KnowledgeRecord unit) =>
        $"{unit.Section}\n{LexicalIndex.LastHeading(unit.Section)}\n{unit.Text}";

    /// <summary>
    /// Rebuilds the lexical index over <paramref name="units"/>. A unit's words come from <paramref name="fresh"/> (scanned
    /// while it was embedded), else from the previous index when its text is unchanged, else from a new scan: an ingest
    /// tokenises each text once, and units of other documents are not tokenised again.
    /// </summary>
    internal void Reindex(IReadOnlyList<KnowledgeRecord> units, IReadOnlyDictionary<string, List<string>>? fresh = null)
    {
        var previous = _words;
        var words = new Dictionary<string, (string Text, List<string> Words)>(units.Count, StringComparer.Ordinal);
        var lists = new List<string>[units.Count];
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            var text = EmbeddingText(unit);
            lists[i] = fresh is not null && fresh.TryGetValue(unit.Id, out var scanned) ? scanned
                : previous.TryGetValue(unit.Id, out var known) && known.Text == text ? known.Words
                : Text.Tokenizer.Words(text);
            words[unit.Id] = (text, lists[i]);
        }

        _lexical = new LexicalIndex(units, lists);
        _words = words;
        Changed();
    }

    // documents: only hits of the documents it accepts count (e.g. what a brief may cite); the others are passed over before
    // their similarity is computed, so asking for k hits in scope costs about what k hits cost.
    public Task<IReadOnlyList<KnowledgeHit>> SearchAsync(string query, int k, SearchFilter? filter = null, double? minScore = null, Func<string, bool>? documents = null, CancellationToken cancellationToken = default) =>
        SearchAsync(query, k, filter, minScore, documents, checkStore: false, cancellationToken);

    // checkStore: throw KnowledgeStoreLostException when the vector store returns nothing while the catalog holds units the
    // filter accepts. The store is asked for its nearest points without a threshold, so it returns some whenever it holds
    // any of them, and none means it lost them (Qdrant emptied while the server ran).
    internal async Task<IReadOnlyList<KnowledgeHit>> SearchAsync(string query, int k, SearchFilter? filter, double? minScore, Func<string, bool>? documents, bool checkStore, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query) || k <= 0)
        {
            return [];
        }

        var lexical = _lexical;
        var candidates = Math.Max(MinCandidates, k * 5);
        query = Text.QueryExpansion.Expand(query);
        var queryWords = Text.Tokenizer.Words(query).ToHashSet(StringComparer.Ordinal);
        var queryVector = (await embedder.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray();
        // No score threshold here: minScore bounds the fused hits' cosine below, and the vector side's similarities spare
        // re-embedding the lexical side's candidates; an unthresholded answer also tells an emptied store (checkStore).
        var vectorHits = await store.SearchAsync(queryVector, candidates, filter, cancellationToken: cancellationToken);
        if (checkStore && vectorHits.Count == 0 && lexical.Holds(filter))
        {
            throw new KnowledgeStoreLostException("The vector store returned no records although the catalog holds some the search accepts.");
        }

        // Only what the catalog holds is cited, as the catalog holds it: a record of a document or version it does not hold
        // is passed over (ranks count the citable ones), and one record stored twice counts once.
        var fused = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var hit in vectorHits)
        {
            if (lexical.Citable(hit.Record, filter) is { } unit && !fused.ContainsKey(unit.Id))
            {
                Add(fused, unit, fused.Count, hit.Score);
            }
        }

        var units = lexical.SearchUnits(query, candidates, filter);
        for (var rank = 0; rank < units.Count; rank++)
        {
            Add(fused, units[rank], rank, null);
        }

        var headings = lexical.SearchHeadings(query, candidates, filter);
        var headingRank = new Dictionary<(string, string), int>();
        for (var rank = 0; rank < headings.Count; rank++)
        {
            headingRank[headings[rank].Key] = rank;
            if (!fused.Values.Any(c => c.Unit.DocumentId == headings[rank].Key.DocumentId && c.Unit.Section == headings[rank].Key.Section))
            {
                fused[headings[rank].FirstUnit.Id] = new Candidate(headings[rank].FirstUnit, 0, null);
            }
        }

        foreach (var candidate in fused.Values)
        {
            if (headingRank.TryGetValue((candidate.Unit.DocumentId, candidate.Unit.Section), out var rank))
            {
                candidate.Rrf += Contribution(rank);
            }
        }

        var best = 3.0 / (RrfK + 1);
        var hits = new List<KnowledgeHit>();
        var sections = new HashSet<(string, string)>();
        foreach (var candidate in fused.Values.OrderByDescending(f => f.Rrf).ThenBy(f => f.Unit.Id, StringComparer.Ordinal))
        {
            if (documents is not null && !documents(candidate.Unit.DocumentId))
            {
                continue;
            }

            // A distilled unit is found by its summary but cited as a passage of the document: the chunk under it that
            // ranks best, quoted as it stands, with its own section (a summary stitches sentences of several chunks).
            var (passage, similarity) = candidate.Unit.Kind == UnitBuilder.DistilledKind
                ? Resolve(candidate.Unit, fused, lexical, query)
                : (candidate.Unit, candidate.Similarity);
            if (passage is null)
            {
                continue;
            }

            // Of the section's chunks, the one whose text holds the most of the query's words is cited (see ContentChunk).
            if (lexical.ContentChunk(passage, queryWords) is var content && content.Id != passage.Id)
            {
                (passage, similarity) = (content, fused.TryGetValue(content.Id, out var found) ? found.Similarity : null);
            }

            // A passage that shares no word (stem) with the query is not a hit, however similar its character n-grams: a
            // made-up word (q=xyzzy) found passages at similarity 0.18. The query's expansions count as its words. Only with
            // the local embedder (see _sharedWordRequired).
            if (_sharedWordRequired && !lexical.SharesWord(passage, queryWords))
            {
                continue;
            }

            // One hit per section: several chunks of one long section are one citation, and would crowd out others; and a
            // passage found both by itself and by a summary of it is cited once.
            if (!sections.Add((passage.DocumentId, passage.Section)))
            {
                continue;
            }

            var cosine = similarity ?? await SimilarityAsync(queryVector, passage, cancellationToken);
            if (minScore is { } min && cosine < min)
            {
                continue;
            }

            // A passage whose similarity shows as 0 (or below) shares nothing with the query: it was ranked only because
            // something had to be, and its fused score (0.33 for q=xyzzy) looked like a real hit's.
            if (Math.Round(cosine, 4) <= MinSimilarity)
            {
                continue;
            }

            hits.Add(ToHit(passage, candidate.Unit.Kind, candidate.Rrf / best, cosine));
            if (hits.Count == k)
            {
                break;
            }
        }

        return hits;
    }

    /// <summary>
    /// The chunk a distilled hit is cited as, with its cosine when known: of the chunks it was distilled from, the one the
    /// fused rankings put first; when none of them is a candidate, the one BM25 ranks first among them; failing that, the
    /// chunk of its first key sentence. Null when the catalog holds none of them.
    /// </summary>
    private static (KnowledgeRecord? Passage, double? Similarity) Resolve(KnowledgeRecord distilled, Dictionary<string, Candidate> fused, LexicalIndex lexical, string query)
    {
        var chunks = lexical.ChunksUnder(distilled);
        Candidate? best = null;
        foreach (var chunk in chunks)
        {
            // Reading order breaks ties, as the unit id does among candidates.
            if (fused.TryGetValue(chunk.Id, out var candidate) && (best is null || candidate.Rrf > best.Rrf))
            {
                best = candidate;
            }
        }

        return best is not null ? (best.Unit, best.Similarity)
            : (lexical.BestMatch(query, chunks) ?? (distilled.SourceChunkId is { } source ? lexical.Unit(source) : null), null);
    }

    private static double Contribution(int rank) => 1.0 / (RrfK + rank + 1);

    private static void Add(Dictionary<string, Candidate> fused, KnowledgeRecord unit, int rank, double? similarity)
    {
        if (!fused.TryGetValue(unit.Id, out var candidate))
        {
            fused[unit.Id] = candidate = new Candidate(unit, 0, similarity);
        }

        candidate.Rrf += Contribution(rank);
    }

    private async Task<double> SimilarityAsync(float[] queryVector, KnowledgeRecord unit, CancellationToken cancellationToken)
    {
        var vector = (await embedder.GenerateAsync([EmbeddingText(unit)], cancellationToken: cancellationToken))[0].Vector.Span;
        return System.Numerics.Tensors.TensorPrimitives.Dot(vector, queryVector);
    }

    private static KnowledgeHit ToHit(KnowledgeRecord passage, string kind, double score, double similarity) =>
        new(passage.DocumentId, passage.Title, passage.Section, passage.Id, kind, Math.Round(score, 4), Math.Round(similarity, 4), Snippet(passage.Text));

    private static string Snippet(string text)
    {
        if (text.Length <= SnippetLength)
        {
            return text;
        }

        var cut = text.LastIndexOf(' ', SnippetLength);
        return string.Concat(text.AsSpan(0, cut > SnippetLength / 2 ? cut : SnippetLength), "…");
    }

    private sealed class Candidate(KnowledgeRecord unit, double rrf, double? similarity)
    {
        public KnowledgeRecord Unit { get; } = unit;

        public double Rrf { get; set; } = rrf;

        public double? Similarity { get; } = similarity;
    }
}
