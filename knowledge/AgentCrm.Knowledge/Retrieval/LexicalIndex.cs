using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// The lexical side of hybrid search: BM25 over each unit's heading path and text, and BM25 over section headings
/// alone (a title field: a heading names its section's topic better than any one sentence of it). It holds the units the
/// catalog holds, so it also says which of the vector store's records may be cited.
/// </summary>
internal sealed class LexicalIndex
{
    private readonly KnowledgeRecord[] _units;
    private readonly Bm25Index _content;
    private readonly Bm25Index _headings;
    private readonly (string DocumentId, string Section)[] _sections;
    private readonly Dictionary<(string, string), int> _firstUnit = [];
    private readonly Dictionary<string, KnowledgeRecord> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _chunks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<List<string>> _words;

    public LexicalIndex(IReadOnlyList<KnowledgeRecord> units)
        : this(units, [.. units.Select(u => Tokenizer.Words(KnowledgeSearch.EmbeddingText(u)))])
    {
    }

    /// <summary>An index whose content side reuses <paramref name="words"/>: each unit's embedding text, already tokenised.</summary>
    public LexicalIndex(IReadOnlyList<KnowledgeRecord> units, IReadOnlyList<List<string>> words)
    {
        _units = [.. units];
        _content = new Bm25Index(words);
        _words = words;
        for (var i = 0; i < _units.Length; i++)
        {
            _index[_units[i].Id] = i;
            _firstUnit.TryAdd((_units[i].DocumentId, _units[i].Section), i);
            _byId[_units[i].Id] = _units[i];
            if (_units[i].Kind == UnitBuilder.ChunkKind)
            {
                (_chunks.TryGetValue(_units[i].DocumentId, out var list) ? list : _chunks[_units[i].DocumentId] = []).Add(i);
            }
        }

        _sections = [.. _firstUnit.Keys];
        // The text before a document's first heading is filed under the document's title, which names the whole document:
        // indexed as that section's heading, it ranked the introduction first for any query on the document's topic.
        _headings = new Bm25Index([.. _sections.Select(s => _units[_firstUnit[s]] is var first && first.Section == first.Title ? "" : LastHeading(s.Section))]);
    }

    /// <summary>
    /// The catalog's unit a vector store record stands for: same id, document and content (kind, section, text, source
    /// chunk), meeting the filter on the catalog's metadata; null for a record of a document, or of a version of one, that
    /// the catalog does not hold (an ingest that failed after Qdrant took some points, a replace not committed yet).
    /// </summary>
    public KnowledgeRecord? Citable(KnowledgeRecord stored, SearchFilter? filter) =>
        _byId.TryGetValue(stored.Id, out var unit)
        && unit.DocumentId == stored.DocumentId && unit.Kind == stored.Kind && unit.Section == stored.Section
        && unit.Text == stored.Text && unit.SourceChunkId == stored.SourceChunkId && filter.Matches(unit)
            ? unit
            : null;

    /// <summary>Whether the catalog holds a unit the filter accepts (a vector store that returns none of them has lost them).</summary>
    public bool Holds(SearchFilter? filter) => _units.Any(filter.Matches);

    public List<KnowledgeRecord> SearchUnits(string query, int k, SearchFilter? filter) =>
        [.. _content.Search(query, k, i => filter.Matches(_units[i])).Select(i => _units[i])];

    /// <summary>Best-matching sections by heading, each as (document, section, the section's first unit).</summary>
    public List<((string DocumentId, string Section) Key, KnowledgeRecord FirstUnit)> SearchHeadings(string query, int k, SearchFilter? filter) =>
        [.. _headings.Search(query, k, i => filter.Matches(_units[_firstUnit[_sections[i]]])).Select(i => (_sections[i], _units[_firstUnit[_sections[i]]]))];

    /// <summary>
    /// The chunks a distilled unit was distilled from, in reading order: those of its section and of every section under
    /// it (a heading's unit distils its whole subtree).
    /// </summary>
    public List<KnowledgeRecord> ChunksUnder(KnowledgeRecord distilled)
    {
        var subtree = distilled.Section + Section.PathSeparator;
        return _chunks.TryGetValue(distilled.DocumentId, out var chunks)
            ? [.. chunks.Select(i => _units[i]).Where(c => c.Section == distilled.Section || c.Section.StartsWith(subtree, StringComparison.Ordinal))]
            : [];
    }

    /// <summary>The one of <paramref name="chunks"/> whose text BM25 ranks first for the query; null when none shares a word with it.</summary>
    public KnowledgeRecord? BestMatch(string query, IReadOnlyList<KnowledgeRecord> chunks)
    {
        var ids = chunks.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        return _content.Search(query, 1, i => ids.Contains(_units[i].Id)) is [var best] ? _units[best] : null;
    }

    /// <summary>
    /// Whether the unit's indexed words (heading path and text, stemmed, stop words left out) include one of
    /// <paramref name="queryWords"/>.
    /// </summary>
    public bool SharesWord(KnowledgeRecord unit, IReadOnlySet<string> queryWords) =>
        _index.TryGetValue(unit.Id, out var i) && _words[i].Exists(queryWords.Contains);

    /// <summary>
    /// The chunk of <paramref name="chunk"/>'s section whose own text (its heading left out: the section's chunks all carry
    /// it) holds the most of <paramref name="queryWords"/>; <paramref name="chunk"/> itself unless another holds strictly
    /// more. A section's last chunk can be a few words after a long section, embedded mostly as the heading it carries:
    /// found by the heading, it must not be cited instead of the passage that holds what was asked.
    /// </summary>
    public KnowledgeRecord ContentChunk(KnowledgeRecord chunk, IReadOnlySet<string> queryWords)
    {
        if (!_chunks.TryGetValue(chunk.DocumentId, out var chunks))
        {
            return chunk;
        }

        var best = chunk;
        var most = -1;
        foreach (var i in chunks)
        {
            if (_units[i].Section != chunk.Section)
            {
                continue;
            }

            var shared = Text.Tokenizer.Words(_units[i].Text).Where(queryWords.Contains).Distinct(StringComparer.Ordinal).Count();
            if (shared > most || (shared == most && _units[i].Id == chunk.Id))
            {
                (best, most) = (_units[i], shared);
            }
        }

        return best;
    }

    /// <summary>The catalog's unit with this id, or null.</summary>
    public KnowledgeRecord? Unit(string id) => _byId.GetValueOrDefault(id);

    internal static string LastHeading(string section)
    {
        var separator = section.LastIndexOf(Section.PathSeparator, StringComparison.Ordinal);
        return separator < 0 ? section : section[(separator + Section.PathSeparator.Length)..];
    }
}
