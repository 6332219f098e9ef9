using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// A made-up word shares character n-grams with any large document (q=xyzzy found GDPR passages at similarity 0.18) but no
/// word: it finds nothing, in a search and in a citation's search (a minimum score and a document scope, as briefs search)
/// alike; a query that shares a word, or whose expansion does, still finds its passage.
/// </summary>
public sealed class MadeUpWordTests : IDisposable
{
    private readonly TestData _data = new();

    [Fact]
    public async Task MadeUpWords_FindNothing_RealWordsStillFindTheirPassage()
    {
        using var service = _data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md")), DocumentType.Markdown, "gdpr");
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("renewal-playbook.md")), DocumentType.Markdown, "renewal");

        foreach (var query in new[] { "xyzzy", "qwzx plorb" })
        {
            Assert.Empty(await service.SearchAsync(query, 5));
            Assert.Empty(await service.SearchAsync(query, 3, minScore: 0.15, documents: _ => true));
        }

        Assert.Contains("Article 17", (await service.SearchAsync("xyzzy right to erasure", 1)).Single().Section, StringComparison.Ordinal);
        Assert.Contains("Article 33", (await service.SearchAsync("we got hacked", 1)).Single().Section, StringComparison.Ordinal);
    }

    /// <summary>
    /// A learned embedder matches meaning across different words; the shared-word floor is the local embedder's, so a
    /// question that shares no word with the passage that answers it still finds it.
    /// </summary>
    [Fact]
    public async Task LearnedEmbedder_MatchWithoutASharedWord_IsKept()
    {
        using var service = new KnowledgeService(
            new EmbeddedKnowledgeStore(_data.StorePath),
            new ConceptEmbedder(),
            Microsoft.Extensions.Options.Options.Create(new KnowledgeOptions { DataDirectory = _data.Directory }));
        await service.IngestAsync(
            "# Security\n\n## Breach notification\n\nA personal data breach must be notified to the authority within 72 hours.\n\n" +
            "## Pricing\n\nThe price list is updated every year in January.\n",
            DocumentType.Markdown,
            "security");

        var hit = Assert.Single(await service.SearchAsync("intruders stole customer files", 1));

        Assert.Contains("Breach notification", hit.Section, StringComparison.Ordinal);
    }

    public void Dispose() => _data.Dispose();

    /// <summary>Stands in for a learned embedder: texts about a break-in on one axis, about prices on another, all else on a third.</summary>
    private sealed class ConceptEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(Embed)));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private static Embedding<float> Embed(string text)
        {
            var vector = new float[KnowledgeOptions.DefaultDimension];
            var axis = text.Contains("breach", StringComparison.OrdinalIgnoreCase) || text.Contains("intruder", StringComparison.OrdinalIgnoreCase) ? 0
                : text.Contains("price", StringComparison.OrdinalIgnoreCase) ? 1
                : 2;
            vector[axis] = 1;
            vector[3] = 0.1f;
            return new Embedding<float>(vector);
        }
    }
}
