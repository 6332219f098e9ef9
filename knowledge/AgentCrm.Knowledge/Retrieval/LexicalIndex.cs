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

    public LexicalIndex(IReadOnlyList<KnowledgeRecord> units)
        : this(units, [.. units.Select(u => Tokenizer.Words(KnowledgeSearch.EmbeddingText(u)))])
    {
    }

    /// <summary>An index whose content side reuses <paramref name="words"/>: each unit's embedding text, already tokenised.</summary>
    public LexicalIndex(IReadOnlyList<KnowledgeRecord> units, IReadOnlyList<List<string>> words)
    {
        _units = [.. units];
        _content = new Bm25Index(words);
        for (var i = 0; i < _units.Length; i++)
        {
            _firstUnit.TryAdd((_units[i].DocumentId, _units[i].Section), i);
            _byId[_units[i].Id] = _units[i];
        }

        _sections = [.. _firstUnit.Keys];
        _headings = new Bm25Index([.. _sections.Select(s => LastHeading(s.Section))]);
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

    internal static string LastHeading(string section)
    {
        var separator = section.LastIndexOf(Ingest.Section.PathSeparator, StringComparison.Ordinal);
        return separator < 0 ? section : section[(separator + Ingest.Section.PathSeparator.Length)..];
    }
}
