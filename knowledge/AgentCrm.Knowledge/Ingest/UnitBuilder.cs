using AgentCrm.Knowledge.Distill;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>Turns a parsed document into chunk and distilled units (records without vectors yet).</summary>
internal static class UnitBuilder
{
    public const string ChunkKind = "chunk";
    public const string DistilledKind = "distilled";

    /// <summary>
    /// The document's units (chunks first, then distilled units) and each distilled unit's detail by record id. Without a
    /// chat model, sections are distilled in parallel (up to <paramref name="parallelism"/> threads) with each chunk split
    /// into sentences once; units are numbered in document order either way, so the result does not depend on it.
    /// </summary>
    public static async Task<(List<KnowledgeRecord> Units, Dictionary<string, DistilledUnit> Details)> BuildAsync(
        string documentId, string title, ParsedDocument document, IReadOnlyList<string> tags, string? scenario, string language,
        ChunkingOptions chunking, Distiller distiller, CancellationToken cancellationToken, int parallelism = 1)
    {
        var chunks = new List<KnowledgeRecord>();
        var bySection = new List<(Section Section, List<(string Id, string Text)> Chunks)>();
        var jobs = new List<(string Path, List<(string Id, string Text)> Chunks, bool OwnSection)>();
        foreach (var section in document.Sections)
        {
            // The opening text (before any heading but the title's H1) is filed under the title: a new title re-files it.
            var path = section.Headings.Count == 0 ? title : section.Path;
            var sectionChunks = new List<(string Id, string Text)>();
            foreach (var text in Chunker.Split(section, chunking))
            {
                var id = $"{documentId}#c{chunks.Count:D4}";
                chunks.Add(new KnowledgeRecord(id, documentId, title, path, ChunkKind, text, tags, scenario, language, []));
                sectionChunks.Add((id, text));
            }

            bySection.Add((section, sectionChunks));
            jobs.Add((path, sectionChunks, true));
        }

        // A heading with sub-sections also gets a unit distilled from its whole subtree, so a question about
        // "Article 28" or a guide chapter can land on the heading itself, not only on one of its parts.
        jobs.AddRange(Subtrees(bySection).Select(s => (s.Path, s.Chunks, false)));

        var results = new DistilledUnit?[jobs.Count];
        if (distiller.UsesModel)
        {
            for (var i = 0; i < jobs.Count; i++)
            {
                results[i] = await distiller.DistillAsync(jobs[i].Path, jobs[i].Chunks, cancellationToken);
            }
        }
        else
        {
            var sentences = new IReadOnlyList<string>[chunks.Count];
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken };
            Parallel.For(0, chunks.Count, options, i => sentences[i] = SentenceSplitter.Split(chunks[i].Text));
            var ordinal = chunks.Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
            Parallel.For(0, jobs.Count, options, i =>
                results[i] = Distiller.Extract(jobs[i].Path, [.. jobs[i].Chunks.Select(c => (c.Id, sentences[ordinal[c.Id]]))]));
        }

        var distilled = new List<KnowledgeRecord>();
        var details = new Dictionary<string, DistilledUnit>(StringComparer.Ordinal);
        for (var i = 0; i < jobs.Count; i++)
        {
            var (path, sectionChunks, ownSection) = jobs[i];
            // A section's own unit is kept only when it is shorter than the section it distils.
            if (results[i] is { } unit && (!ownSection || sectionChunks.Sum(c => c.Text.Length) > unit.ToText().Length))
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
