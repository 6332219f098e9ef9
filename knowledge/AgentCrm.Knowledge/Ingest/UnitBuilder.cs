using AgentCrm.Knowledge.Distill;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>Turns a parsed document into chunk and distilled units (records without vectors yet).</summary>
internal static class UnitBuilder
{
    public const string ChunkKind = "chunk";
    public const string DistilledKind = "distilled";

    /// <summary>The document's units (chunks first, then distilled units) and each distilled unit's detail by record id.</summary>
    public static async Task<(List<KnowledgeRecord> Units, Dictionary<string, DistilledUnit> Details)> BuildAsync(
        string documentId, string title, ParsedDocument document, IReadOnlyList<string> tags, string? scenario, string language,
        ChunkingOptions chunking, Distiller distiller, CancellationToken cancellationToken)
    {
        var chunks = new List<KnowledgeRecord>();
        var distilled = new List<KnowledgeRecord>();
        var details = new Dictionary<string, DistilledUnit>(StringComparer.Ordinal);
        var bySection = new List<(Section Section, List<(string Id, string Text)> Chunks)>();
        foreach (var section in document.Sections)
        {
            var path = section.Headings.Count == 0 ? title : section.Path;
            var sectionChunks = new List<(string Id, string Text)>();
            foreach (var text in Chunker.Split(section, chunking))
            {
                var id = $"{documentId}#c{chunks.Count:D4}";
                chunks.Add(new KnowledgeRecord(id, documentId, title, path, ChunkKind, text, tags, scenario, language, []));
                sectionChunks.Add((id, text));
            }

            bySection.Add((section, sectionChunks));
            var unit = await distiller.DistillAsync(path, sectionChunks, cancellationToken);
            if (unit is not null && sectionChunks.Sum(c => c.Text.Length) > unit.ToText().Length)
            {
                distilled.Add(Distilled(documentId, title, path, unit, distilled.Count, tags, scenario, language));
                details[distilled[^1].Id] = unit;
            }
        }

        // A heading with sub-sections also gets a unit distilled from its whole subtree, so a question about
        // "Article 28" or a guide chapter can land on the heading itself, not only on one of its parts.
        foreach (var (path, subtree) in Subtrees(bySection))
        {
            var unit = await distiller.DistillAsync(path, subtree, cancellationToken);
            if (unit is not null)
            {
                distilled.Add(Distilled(documentId, title, path, unit, distilled.Count, tags, scenario, language));
                details[distilled[^1].Id] = unit;
            }
        }

        chunks.AddRange(distilled);
        return (chunks, details);
    }

    private static KnowledgeRecord Distilled(string documentId, string title, string path, DistilledUnit unit, int ordinal, IReadOnlyList<string> tags, string? scenario, string language) =>
        new($"{documentId}#d{ordinal:D4}", documentId, title, path, DistilledKind, unit.ToText(), tags, scenario, language, [], unit.SourceChunkId);

    private static IEnumerable<(string Path, List<(string Id, string Text)> Chunks)> Subtrees(List<(Section Section, List<(string Id, string Text)> Chunks)> sections)
    {
        var prefixes = new Dictionary<string, (int Sections, List<(string Id, string Text)> Chunks)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (section, chunks) in sections)
        {
            for (var depth = 1; depth < section.Headings.Count; depth++)
            {
                var prefix = string.Join(Section.PathSeparator, section.Headings.Take(depth));
                if (!prefixes.TryGetValue(prefix, out var entry))
                {
                    order.Add(prefix);
                    entry = (0, []);
                }

                entry.Chunks.AddRange(chunks);
                prefixes[prefix] = (entry.Sections + 1, entry.Chunks);
            }
        }

        // A heading whose subtree is a single section would only repeat that section's unit.
        return order.Where(p => prefixes[p].Sections > 1).Select(p => (p, prefixes[p].Chunks));
    }
}
