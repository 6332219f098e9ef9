using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>Two services over one data directory, as a server and the CLI beside it: each takes in what the other wrote.</summary>
public sealed class SharedDataDirectoryTests
{
    [Fact]
    public async Task ReloadIfChanged_TakesInTheOtherServicesWrites_AndOwnWritesKeepThem()
    {
        using var data = new TestData();
        using var server = data.CreateService();
        await server.IngestAsync("# Refunds\n\nRefunds are granted within 30 days of purchase.\n", DocumentType.Markdown, "refunds");
        Assert.False(await server.ReloadIfChangedAsync());

        using (var cli = data.CreateService())
        {
            await cli.IngestAsync("# Zebra care\n\nZebras need quarterly hoof trimming.\n", DocumentType.Markdown, "zebra", tags: ["animals"]);
            await cli.DeleteAsync("refunds");
        }

        Assert.DoesNotContain(await server.SearchAsync("zebra hoof trimming", 5), h => h.DocumentId == "zebra");
        Assert.True(await server.ReloadIfChangedAsync());
        Assert.Equal(["zebra"], server.ListDocuments().Select(d => d.Id));
        var hit = Assert.Single(await server.SearchAsync("zebra hoof trimming", 5, new AgentCrm.Knowledge.Stores.SearchFilter(Tags: ["animals"])));
        Assert.Equal("zebra", hit.DocumentId);
        Assert.False(await server.ReloadIfChangedAsync());

        await server.IngestAsync("# Shipping\n\nOrders ship within two days.\n", DocumentType.Markdown, "shipping");
        Assert.False(await server.ReloadIfChangedAsync());
        Assert.Equal(["shipping", "zebra"], server.ListDocuments().Select(d => d.Id));
        using var restarted = data.CreateService();
        Assert.Equal(["shipping", "zebra"], restarted.ListDocuments().Select(d => d.Id));
        Assert.Equal("zebra", (await restarted.SearchAsync("zebra hoof trimming", 1))[0].DocumentId);
    }
    [Fact]
    public async Task ConcurrentWritersOnOneDirectory_LeaveEveryVectorComputedUnderTheStoredIdf()
    {
        // A server and the CLI each ingesting a document at the same moment, when the corpus is one document short of an
        // IDF refit: each refits. Unserialised, each refitted over a corpus without the other's document, and the one
        // that committed last left the other's vectors under an IDF the catalog no longer holds.
        for (var round = 0; round < 6; round++)
        {
            using var data = new TestData();
            using var server = data.CreateService();
            using var cli = data.CreateService();
            for (var i = 0; i < 17; i++)
            {
                await server.IngestAsync(Document("base", i), DocumentType.Markdown, $"base-{i}");
            }

            await cli.ReloadIfChangedAsync();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writes = new[] { (Service: server, Prefix: "north"), (Service: cli, Prefix: "south") }
                .Select(w => Task.Run(async () =>
                {
                    await start.Task;
                    await w.Service.IngestAsync(Document(w.Prefix, round), DocumentType.Markdown, $"{w.Prefix}-{round}");
                }))
                .ToArray();
            start.SetResult();
            await Task.WhenAll(writes);
            await server.ReloadIfChangedAsync();
            Assert.Equal(19, server.ListDocuments().Count);

            using var catalog = new DocumentCatalog(Path.Combine(data.Directory, AgentCrm.Knowledge.Options.KnowledgeOptions.CatalogFileName));
            var embedder = new LocalEmbeddingGenerator(AgentCrm.Knowledge.Options.KnowledgeOptions.DefaultDimension, IdfModel.Deserialize(catalog.Meta(IdfState.SnapshotKey)!));
            using var store = new EmbeddedKnowledgeStore(data.StorePath);
            await store.EnsureReadyAsync(AgentCrm.Knowledge.Options.KnowledgeOptions.DefaultDimension);
            foreach (var unit in catalog.Units())
            {
                var vector = embedder.EmbedAll([KnowledgeSearch.EmbeddingText(unit)], null)[0];
                var self = Assert.Single(await store.SearchAsync(vector, 50, new SearchFilter(DocumentId: unit.DocumentId)), h => h.Record.Id == unit.Id);
                Assert.True(self.Score > 0.99999, $"round {round}, {unit.Id}: its stored vector is not the one the stored IDF gives (cosine {self.Score:F6})");
            }
        }
    }

    private static readonly string[] Topics = ["zebra", "harbour", "invoice", "glacier", "orchard", "satellite", "pottery", "tariff", "lantern", "meadow", "quarry", "violin", "compass", "ember", "falcon", "granite"];

    private static string Document(string prefix, int i) =>
        $"# {prefix} {Topics[i % Topics.Length]}\n\nThe {Topics[i % Topics.Length]} {prefix} rules: {Topics[i % Topics.Length]} checks run every {i + 2} days by the {prefix} {Topics[i % Topics.Length]} team.\n";
}
