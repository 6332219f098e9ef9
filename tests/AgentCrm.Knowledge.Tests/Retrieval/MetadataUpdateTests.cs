using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>Same content, other metadata: applied to the document and its units, without embedding anything again.</summary>
public sealed class MetadataUpdateTests
{
    private const string Faq = "# Security FAQ\n\n## Passwords\n\nPasswords are stored as salted hashes.\n";

    [Fact]
    public async Task Ingest_SameContentNewMetadata_UpdatesWithoutEmbedding_AndSurvivesARestart()
    {
        using var data = new TestData();
        var embedder = new CountingEmbedder(new LocalEmbeddingGenerator(new KnowledgeOptions().Dimension));
        using (var service = Open(data, embedder))
        {
            await service.IngestAsync(Faq, DocumentType.Markdown, "faq", tags: ["security", "faq"]);
            var embedded = embedder.Texts;

            var result = await service.IngestAsync(Faq, DocumentType.Markdown, "faq", title: "Security questions", tags: ["other"], scenario: "renewal-risk");

            Assert.Equal(IngestStatus.MetadataUpdated, result.Status);
            Assert.Equal(["title", "tags", "scenario"], result.Changed);
            Assert.Equal(embedded, embedder.Texts);
        }

        using var reopened = Open(data, embedder);
        var document = reopened.ListDocuments().Single();
        Assert.Equal(("Security questions", "renewal-risk"), (document.Title, document.Scenario));
        Assert.Equal(["other"], document.Tags);
        var hit = Assert.Single(await reopened.SearchAsync("salted password hashes", 5, new SearchFilter(Tags: ["other"], Scenario: "renewal-risk")));
        Assert.Equal("Security questions", hit.Title);
        Assert.Empty(await reopened.SearchAsync("salted password hashes", 5, new SearchFilter(Tags: ["security"])));
        Assert.Equal(IngestStatus.Unchanged, (await reopened.IngestAsync(Faq, DocumentType.Markdown, "faq", title: "Security questions", tags: ["other"], scenario: "renewal-risk")).Status);
    }

    /// <summary>
    /// qa44b F2: a new title left the text before the first heading filed under the old one: listed and cited under it,
    /// found by its words, taken as a heading. It is re-filed (and embedded again); a change whose record fails is undone.
    /// </summary>
    [Fact]
    public async Task Ingest_SameContentNewTitle_RefilesTheOpeningTextUnderIt_AndAnUndoneOnePutsItBack()
    {
        const string Memo = "The quokka escalation procedure applies when a customer reports three outages in one week.\n\n## Calls\n\nCall the account owner within two hours.\n";
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(Memo, DocumentType.Markdown, "quokka", title: "Draft zebra memo");

        await Assert.ThrowsAsync<IOException>(() => service.IngestAsync(Memo, DocumentType.Markdown, "quokka", title: "Outage escalation", record: _ => throw new IOException("disk full")));
        Assert.Equal(["Draft zebra memo", "Calls"], service.GetDocument("quokka")!.Sections.Select(s => s.Heading));
        Assert.Equal("Draft zebra memo", Assert.Single(await service.SearchAsync("zebra memo", 5)).Section);

        var result = await service.IngestAsync(Memo, DocumentType.Markdown, "quokka", title: "Outage escalation");

        Assert.Equal(IngestStatus.MetadataUpdated, result.Status);
        Assert.Equal(["title"], result.Changed);
        Assert.Equal(["Outage escalation", "Calls"], service.GetDocument("quokka")!.Sections.Select(s => s.Heading));
        Assert.DoesNotContain(service.GetDistilledUnits("quokka"), u => u.Section == "Draft zebra memo");
        Assert.Empty(await service.SearchAsync("zebra", 5));
        var hit = (await service.SearchAsync("quokka outages in one week", 1)).Single();
        Assert.Equal(("Outage escalation", "Outage escalation"), (hit.Title, hit.Section));
    }

    [Fact]
    public async Task Ingest_SameTextAsAnotherType_IsReplaced_NotUnchanged()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(Faq, DocumentType.Markdown, "faq");

        var result = await service.IngestAsync(Faq, DocumentType.Text, "faq");

        Assert.Equal(IngestStatus.Replaced, result.Status);
        Assert.Equal("text", service.ListDocuments().Single().Type);
    }

    [Theory]
    [InlineData("Line\nbreak", null, null, "title must be one line")]
    [InlineData(null, "a/b", null, "tag 'a/b' is invalid")]
    [InlineData(null, null, "../../etc", "scenario '../../etc' is invalid")]
    public async Task Ingest_InvalidMetadata_IsRefused_NothingStored(string? title, string? tag, string? scenario, string expected)
    {
        using var data = new TestData();
        using var service = data.CreateService();

        var ex = await Assert.ThrowsAsync<KnowledgeInputException>(() => service.IngestAsync(Faq, DocumentType.Markdown, "faq", title, tag is null ? null : [tag], scenario));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Empty(service.ListDocuments());
    }

    private static KnowledgeService Open(TestData data, IEmbeddingGenerator<string, Embedding<float>> embedder) =>
        new(new EmbeddedKnowledgeStore(data.StorePath), embedder, Microsoft.Extensions.Options.Options.Create(new KnowledgeOptions { DataDirectory = data.Directory }));

    /// <summary>Counts the texts embedded (queries included); not the local embedder's type, so the service embeds through it.</summary>
    private sealed class CountingEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner) : IEmbeddingGenerator<string, Embedding<float>>
    {
        private int _texts;

        public int Texts => Volatile.Read(ref _texts);

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            Interlocked.Add(ref _texts, list.Count);
            return await inner.GenerateAsync(list, options, cancellationToken);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose() => inner.Dispose();
    }
}
