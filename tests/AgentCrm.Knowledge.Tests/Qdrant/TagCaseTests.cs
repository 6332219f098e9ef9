using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// Tags ignore case, as document ids and scenarios do (qa34a: <c>tags=Zoo</c> stored, a search for <c>zoo</c> found nothing,
/// and <c>zoo,Zoo</c> were two tags): stored and searched lower-cased, on both stores; a library an earlier build stored
/// with capitals is lower-cased when the service is made ready, in the catalog and in Qdrant's payload (its filter matches
/// exact values).
/// </summary>
public sealed class TagCaseTests : FakeQdrantTestBase
{
    private const string Zoo = "# Zoo care\n\nZebras need quarterly hoof trimming by a farrier.";
    private const string Alpha = "# Alpha\n\nAlpha renewals need a CFO sign-off before the contract ends.";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tags_AreStoredAndSearchedLowerCased(bool qdrant)
    {
        var data = Own(new TestData());
        var service = Start(data, qdrant);
        await service.IngestAsync(Zoo, DocumentType.Markdown, "zoo", tags: ["Zoo", "zoo", "Animals"]);
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha", tags: ["renewal"]);

        Assert.Equal(["zoo", "animals"], service.ListDocuments().Single(d => d.Id == "zoo").Tags);
        foreach (var tag in new[] { "zoo", "Zoo", "ZOO", "animals" })
            Assert.Equal(["zoo"], (await service.SearchAsync("hoof trimming", 5, new SearchFilter(Tags: [tag]))).Select(h => h.DocumentId).Distinct());
    }

    [Fact]
    public async Task ALibraryStoredWithCapitalTags_IsLowerCasedWhenMadeReady_InTheCatalogAndInQdrant()
    {
        var data = Own(new TestData());
        using (var first = Start(data, qdrant: true, own: false))
        {
            await first.IngestAsync(Zoo, DocumentType.Markdown, "zoo", tags: ["zoo"]);
            await first.IngestAsync(Alpha, DocumentType.Markdown, "alpha", tags: ["renewal"]);
        }

        // What an earlier build wrote for tags=Zoo: the capital in the catalog and in every point's payload.
        await Store().UpdateDocumentMetadataAsync("zoo", new DocumentMetadata("Zoo care", ["Zoo"], null, "en"));
        using (var catalog = new SqliteConnection($"Data Source={Path.Combine(data.Directory, KnowledgeOptions.CatalogFileName)};Pooling=false"))
        {
            catalog.Open();
            using var command = catalog.CreateCommand();
            command.CommandText = """UPDATE documents SET tags = '["Zoo"]' WHERE id = 'zoo'; UPDATE units SET tags = '["Zoo"]' WHERE document_id = 'zoo';""";
            Assert.True(command.ExecuteNonQuery() > 1);
        }

        var service = Start(data, qdrant: true);
        var hits = await service.SearchAsync("hoof trimming", 5, new SearchFilter(Tags: ["zoo"]));

        Assert.Equal(["zoo"], hits.Select(h => h.DocumentId).Distinct());
        Assert.Equal(["zoo"], service.ListDocuments().Single(d => d.Id == "zoo").Tags);
        var stored = await Store().SearchAsync(new float[new KnowledgeOptions().Dimension].Select((_, i) => i == 0 ? 1f : 0f).ToArray(), 50,
            new SearchFilter(Tags: ["zoo"]));
        Assert.Contains(stored, h => h.Record.DocumentId == "zoo" && h.Record.Kind == UnitBuilder.ChunkKind);
        Assert.DoesNotContain(stored, h => h.Record.Tags.Contains("Zoo"));
    }

    private KnowledgeService Start(TestData data, bool qdrant, bool own = true)
    {
        var options = new KnowledgeOptions { DataDirectory = data.Directory };
        IKnowledgeStore store = qdrant ? Store() : new EmbeddedKnowledgeStore(data.StorePath);
        var service = new KnowledgeService(store, new LocalEmbeddingGenerator(options.Dimension), Microsoft.Extensions.Options.Options.Create(options));
        return own ? Own(service) : service;
    }
}
