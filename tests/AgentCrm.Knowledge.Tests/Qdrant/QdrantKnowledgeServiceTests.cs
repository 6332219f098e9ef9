using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// The knowledge service over a Qdrant that misbehaves as the protocol sheet allows (the stateful fake on loopback):
/// writes accepted but applied later (<c>wait_timeout</c>), a collection lost or emptied while the service runs, points
/// the catalog does not hold. The catalog is the truth: only what it holds is cited, and the store is brought back to it.
/// </summary>
public sealed class QdrantKnowledgeServiceTests : FakeQdrantTestBase
{
    private const string Alpha = "# Alpha\n\nAlpha renewals need a CFO sign-off before the contract ends.";
    private const string Zebra = "# Zebra care\n\nZebras need quarterly hoof trimming by a farrier.";
    private const string PolicyV1 = "# Policy\n\n## Deletion\n\nCustomer data must be deleted within 30 days of contract end.\n\n## Export\n\nCustomers may export their data at any time in CSV format.";
    private const string PolicyV2 = "# Policy\n\n## Deletion\n\nCustomer data must be deleted within 90 days of contract end.\n\n## Export\n\nCustomers may export their data at any time in CSV format.";

    [Fact]
    public async Task Search_PointsOfADocumentTheCatalogDoesNotHold_AreNeverCited()
    {
        var service = Start();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        // Another data directory on the same collection stands for points a failed ingest left behind.
        await Start().IngestAsync(Zebra, DocumentType.Markdown, "qa-doc3");

        var hits = await service.SearchAsync("zebra hoof trimming before the contract ends", 5);

        Assert.Contains("qa-doc3", Qdrant.PayloadValues(Collection, "document_id"));
        Assert.DoesNotContain(hits, h => h.DocumentId == "qa-doc3");
        Assert.Equal(["alpha"], hits.Select(h => h.DocumentId).Distinct());
    }

    [Theory]
    [InlineData("wait_timeout", false)]
    [InlineData("acknowledged", true)]
    public async Task Ingest_QdrantAcceptsTheUpsertButAppliesItLater_FailsBusy_NeverCitesIt_AndRemovesIt(string status, bool cleanupLost)
    {
        var service = Start();
        // A library large enough that one small document does not refit the embedder's IDF (which stores every document again).
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("contract-terms-playbook.md")), DocumentType.Markdown, "terms");
        (Qdrant.DeferWrites, Qdrant.DeferredStatus) = (true, status);

        var busy = await Assert.ThrowsAsync<QdrantException>(() => service.IngestAsync(Zebra, DocumentType.Markdown, "qa-doc3"));

        Assert.Equal(status, busy.UpdateStatus);
        Assert.Equal(["terms"], service.ListDocuments().Select(d => d.Id));
        Qdrant.DeferWrites = false;
        // Qdrant applies the upsert it accepted: its points are there, and still not cited.
        Assert.Equal(1, Qdrant.ApplyDeferred(1));
        Assert.Contains("qa-doc3", Qdrant.PayloadValues(Collection, "document_id"));
        Assert.DoesNotContain(await service.SearchAsync("zebra hoof trimming", 5), h => h.DocumentId == "qa-doc3");
        if (cleanupLost)
        {
            // The clean-up the failed ingest sent is lost too: the next write (of any document) removes the points.
            Qdrant.DropDeferred();
            await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        }
        else
        {
            // The clean-up the failed ingest sent right away was accepted behind the upsert, and is applied after it.
            Assert.Equal(1, Qdrant.ApplyDeferred());
        }

        Assert.DoesNotContain("qa-doc3", Qdrant.PayloadValues(Collection, "document_id"));
    }

    [Fact]
    public async Task Replace_QdrantAppliesTheNewVersionButTheIngestFailed_ReadersKeepTheCommittedVersionWhole()
    {
        var service = Start();
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        Qdrant.DeferWrites = true;

        await Assert.ThrowsAsync<QdrantException>(() => service.IngestAsync(PolicyV2, DocumentType.Markdown, "policy"));
        Qdrant.DeferWrites = false;
        Qdrant.ApplyDeferred(1);

        // Qdrant holds both versions now; the catalog holds the first, and only the first is cited, whole.
        Assert.Contains(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("90 days", StringComparison.Ordinal));
        var hits = await service.SearchAsync("how long until customer data is deleted", 5, minScore: 0.05);
        var deletion = Assert.Single(hits, h => h.Section.EndsWith("Deletion", StringComparison.Ordinal));
        Assert.Contains("30 days", deletion.Snippet, StringComparison.Ordinal);
        Assert.DoesNotContain(hits, h => h.Snippet.Contains("90 days", StringComparison.Ordinal));
        // The repair sent right away was only accepted too; the next write (of any document) finishes it.
        Qdrant.ApplyDeferred();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        Assert.DoesNotContain(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("90 days", StringComparison.Ordinal));
        Assert.Contains(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("30 days", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replace_Committed_CitesTheNewVersionOnly_AndLeavesOnlyItsPoints()
    {
        var service = Start();
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");

        Assert.Equal(IngestStatus.Replaced, (await service.IngestAsync(PolicyV2, DocumentType.Markdown, "policy")).Status);

        var deletion = Assert.Single(await service.SearchAsync("how long until customer data is deleted", 5, minScore: 0.05), h => h.Section.EndsWith("Deletion", StringComparison.Ordinal));
        Assert.Contains("90 days", deletion.Snippet, StringComparison.Ordinal);
        Assert.DoesNotContain(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("30 days", StringComparison.Ordinal));
        Assert.Equal(Qdrant.PayloadValues(Collection, "record_id").Count, Qdrant.PayloadValues(Collection, "record_id").Distinct().Count());
    }

    [Fact]
    public async Task Replace_OldVersionNotRemovedAfterTheCommit_IsDone_NeverCitesTheOld_AndTheNextWriteRemovesIt()
    {
        var service = Start();
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        Qdrant.RefuseDeletes = true;

        Assert.Equal(IngestStatus.Replaced, (await service.IngestAsync(PolicyV2, DocumentType.Markdown, "policy")).Status);

        Assert.Contains(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("30 days", StringComparison.Ordinal));
        var hits = await service.SearchAsync("how long until customer data is deleted", 5, minScore: 0.05);
        Assert.Contains("90 days", Assert.Single(hits, h => h.Section.EndsWith("Deletion", StringComparison.Ordinal)).Snippet, StringComparison.Ordinal);
        Assert.DoesNotContain(hits, h => h.Snippet.Contains("30 days", StringComparison.Ordinal));
        Qdrant.RefuseDeletes = false;
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        Assert.DoesNotContain(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("30 days", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_CollectionDeletedWhileRunning_IsRestoredOnce_ConcurrentSearchesAnswer()
    {
        var service = Start();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        var stored = Qdrant.PointCount(Collection);
        Assert.True(Qdrant.DropCollection(Collection));

        var searches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => service.SearchAsync("CFO sign-off before the contract ends", 3)));

        Assert.All(searches, hits => Assert.Contains(hits, h => h.DocumentId == "alpha"));
        Assert.Equal(stored, Qdrant.PointCount(Collection));
        Assert.Equal(2, Qdrant.Requests.Count(r => r == $"PUT /collections/{Collection}"));
    }

    [Fact]
    public async Task Search_CollectionEmptiedWhileRunning_IsRestored()
    {
        var service = Start();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        var stored = Qdrant.PointCount(Collection);
        // Qdrant lost its storage and the collection was created again, empty (here by another client).
        Qdrant.DropCollection(Collection);
        await Store().EnsureReadyAsync(new KnowledgeOptions().Dimension);

        var hits = await service.SearchAsync("CFO sign-off before the contract ends", 3);

        Assert.Contains(hits, h => h.DocumentId == "alpha");
        Assert.Equal(stored, Qdrant.PointCount(Collection));
    }

    [Fact]
    public async Task Ingest_CollectionDeletedWhileRunning_IsRestored_AndTheDocumentStored()
    {
        var service = Start();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        Qdrant.DropCollection(Collection);

        var result = await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");

        Assert.Equal(IngestStatus.Created, result.Status);
        Assert.Equal(["alpha", "policy"], Qdrant.PayloadValues(Collection, "document_id").Distinct().Order());
    }

    [Fact]
    public async Task Search_OneDocumentsPointsGoneFromANonEmptyCollection_IsRepairedByTheSearchThatNotices()
    {
        var service = Start();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        var stored = Qdrant.PointCount(Collection);
        // Another instance on the collection deleted it, or an operator did: its points are gone, the collection is not empty.
        await Store().DeleteDocumentAsync("policy");

        var hits = await service.SearchAsync("customer data deleted within 30 days", 3, new SearchFilter(DocumentId: "policy"));

        Assert.Contains(hits, h => h.DocumentId == "policy");
        Assert.Equal(stored, Qdrant.PointCount(Collection));
        Assert.Equal(["alpha", "policy"], Qdrant.PayloadValues(Collection, "document_id").Distinct().Order());
    }

    [Fact]
    public async Task Ingest_UnchangedDocumentWhosePointsAreGone_IsStoredAgain_AndAnswersUnchanged()
    {
        var service = Start();
        await service.IngestAsync(Alpha, DocumentType.Markdown, "alpha");
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        var stored = Qdrant.PointCount(Collection);
        await Store().DeleteDocumentAsync("policy");

        var again = await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");

        Assert.Equal(IngestStatus.Unchanged, again.Status);
        Assert.Equal(stored, Qdrant.PointCount(Collection));
        Assert.Contains(await service.SearchAsync("customer data deleted within 30 days", 3), h => h.DocumentId == "policy");
    }

    [Fact]
    public async Task Ingest_UnchangedDocumentWhosePointsAreThere_OnlyCountsThem()
    {
        var service = Start();
        await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        Qdrant.Requests.Clear();

        var again = await service.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");

        Assert.Equal(IngestStatus.Unchanged, again.Status);
        Assert.Equal([$"POST /collections/{Collection}/points/count"], Qdrant.Requests);
    }

    [Fact]
    public async Task FirstCall_AfterTheCliLeftADocumentToRepair_RepairsFromTheCatalogAsCommitted()
    {
        // A server and the CLI on one data directory; the server loaded the catalog before the CLI wrote to it.
        var data = new TestData();
        Own(data);
        var server = Start(data);
        var cli = Start(data);
        await cli.IngestAsync(PolicyV1, DocumentType.Markdown, "policy");
        Qdrant.DeferWrites = true;
        await Assert.ThrowsAsync<QdrantException>(() => cli.IngestAsync(PolicyV2, DocumentType.Markdown, "policy"));
        Qdrant.DeferWrites = false;
        Qdrant.ApplyDeferred();

        var hits = await server.SearchAsync("how long until customer data is deleted", 5, minScore: 0.05);

        // Its own view said "no such document": repairing from it would have deleted the policy's points.
        Assert.Contains("30 days", Assert.Single(hits, h => h.Section.EndsWith("Deletion", StringComparison.Ordinal)).Snippet, StringComparison.Ordinal);
        Assert.Contains(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("30 days", StringComparison.Ordinal));
        Assert.DoesNotContain(Qdrant.PayloadValues(Collection, "text"), t => t.Contains("90 days", StringComparison.Ordinal));
    }

    private KnowledgeService Start()
    {
        var data = new TestData();
        Own(data);
        return Start(data);
    }

    private KnowledgeService Start(TestData data)
    {
        var options = new KnowledgeOptions { DataDirectory = data.Directory };
        var service = new KnowledgeService(Store(), new LocalEmbeddingGenerator(options.Dimension), Microsoft.Extensions.Options.Options.Create(options));
        Own(service);
        return service;
    }
}
