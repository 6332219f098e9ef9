using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Tests.Retrieval;

public sealed class KnowledgeServiceTests
{
    private const string Playbook = """
        # Renewal playbook

        ## Low product usage

        When weekly active users fall by more than 30% in a quarter, the CSM must schedule an adoption review within 14 days.
        Offer training sessions for the admins and agree on two usage goals.

        ## Support escalations

        Several open priority tickets before a renewal are a strong churn signal. Escalate to the support lead and call the
        sponsor to acknowledge the problem.
        """;

    [Fact]
    public async Task IngestAsync_SameContentTwice_SecondIsSkipped()
    {
        using var data = new TestData();
        using var service = data.CreateService();

        var first = await service.IngestAsync(Playbook, DocumentType.Markdown, "playbook", tags: ["renewal"], scenario: "renewal-risk");
        var second = await service.IngestAsync(Playbook.Replace("\n", "\r\n", StringComparison.Ordinal) + "  \n", DocumentType.Markdown, "playbook");

        Assert.Equal(IngestStatus.Created, first.Status);
        Assert.Equal(IngestStatus.Unchanged, second.Status);
        var document = Assert.Single(service.ListDocuments());
        Assert.Equal("Renewal playbook", document.Title);
        Assert.Equal(first.Chunks, document.Chunks);
        Assert.Equal(["renewal"], document.Tags);
    }

    [Fact]
    public async Task IngestAsync_ChangedContent_ReplacesAllChunks()
    {
        using var data = new TestData();
        using var service = data.CreateService(out var store);
        using var _ = store;
        await service.IngestAsync(Playbook, DocumentType.Markdown, "playbook");

        var result = await service.IngestAsync("# Renewal playbook\n\n## Pricing\n\nDiscounts above 20% need approval from finance.", DocumentType.Markdown, "playbook");

        Assert.Equal(IngestStatus.Replaced, result.Status);
        Assert.All(store.Snapshot.Records, r => Assert.Equal("Pricing", r.Section));
        Assert.Empty(await service.SearchAsync("adoption review weekly active users", 5, new SearchFilter(DocumentId: "playbook"), minScore: 0.2));
        var hit = Assert.Single(await service.SearchAsync("discount approval finance", 1));
        Assert.Equal("Pricing", hit.Section);
    }

    [Fact]
    public async Task SearchAsync_RelevantQuery_HitCarriesCitationFields()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(Playbook, DocumentType.Markdown, "playbook", scenario: "renewal-risk");

        var hits = await service.SearchAsync("usage dropped, what should the CSM do?", 3);

        var top = hits[0];
        Assert.Equal("playbook", top.DocumentId);
        Assert.Equal("Renewal playbook", top.Title);
        Assert.Equal("Low product usage", top.Section);
        Assert.StartsWith("playbook#c", top.ChunkId, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(top.Snippet));
        Assert.InRange(top.Score, 0, 1);
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public async Task SearchAsync_FiltersAndMinScore_Respected()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(Playbook, DocumentType.Markdown, "playbook", tags: ["renewal"], scenario: "renewal-risk");
        await service.IngestAsync("Data breaches must be reported to the authority within 72 hours.", DocumentType.Text, "breach", title: "Breach notes", tags: ["gdpr"]);

        var tagged = await service.SearchAsync("reported within hours", 5, new SearchFilter(Tags: ["gdpr"]));
        var scenario = await service.SearchAsync("reported within hours", 5, new SearchFilter(Scenario: "renewal-risk"));
        var noise = await service.SearchAsync("zebra xylophone quantum", 5, minScore: 0.3);

        Assert.All(tagged, h => Assert.Equal("breach", h.DocumentId));
        Assert.NotEmpty(tagged);
        Assert.All(scenario, h => Assert.Equal("playbook", h.DocumentId));
        Assert.Empty(noise);
    }

    [Fact]
    public async Task GetDistilledUnits_IngestedDocument_ExtractiveUnitsLinkedToChunks()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md")), DocumentType.Markdown, "gdpr");

        var units = service.GetDistilledUnits("gdpr");
        var article33 = units.Single(u => u.Section.EndsWith("Article 33 — Notification of a personal data breach to the supervisory authority", StringComparison.Ordinal));

        Assert.All(units, u => Assert.Equal(Knowledge.Distill.DistilledUnit.Extractive, u.Method));
        Assert.Contains(article33.Obligations, o => o.Text.Contains("72 hours", StringComparison.Ordinal) && o.ChunkId.StartsWith("gdpr#c", StringComparison.Ordinal));
        var hits = await service.SearchAsync("breach notification 72 hours supervisory authority", 10, new SearchFilter(Kind: "distilled"));
        Assert.All(hits, h => Assert.StartsWith("gdpr#c", h.ChunkId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeleteAsync_ExistingDocument_RemovesItEverywhere()
    {
        using var data = new TestData();
        using var service = data.CreateService(out var store);
        using var _ = store;
        await service.IngestAsync(Playbook, DocumentType.Markdown, "playbook");

        Assert.True(await service.DeleteAsync("playbook"));

        Assert.Empty(service.ListDocuments());
        Assert.Equal(0, store.Count);
        Assert.Empty(await service.SearchAsync("adoption review", 5));
        Assert.False(await service.DeleteAsync("playbook"));
    }

    [Fact]
    public async Task Restart_SameDataDirectory_SameDocumentsAndSearchResults()
    {
        using var data = new TestData();
        IReadOnlyList<Knowledge.Retrieval.KnowledgeHit> before;
        using (var service = data.CreateService(out var store))
        {
            using var _ = store;
            await service.IngestAsync(Playbook, DocumentType.Markdown, "playbook");
            before = await service.SearchAsync("support tickets escalation", 3);
        }

        using var restarted = data.CreateService(out var reopened);
        using var __ = reopened;
        var after = await restarted.SearchAsync("support tickets escalation", 3);

        Assert.Single(restarted.ListDocuments());
        Assert.Equal(before, after);
        Assert.Equal(IngestStatus.Unchanged, (await restarted.IngestAsync(Playbook, DocumentType.Markdown, "playbook")).Status);
    }

    [Fact]
    public async Task IngestDirectoryAsync_BundledFolder_IngestsDocumentsWithProgress()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        var reports = new List<(int Done, int Total)>();

        var results = await service.IngestDirectoryAsync(TestData.BundledDirectory, new SynchronousProgress(reports.Add));

        Assert.Contains("gdpr-regulation-eu-2016-679-en", results.Select(r => r.DocumentId));
        Assert.Contains("18f-derisking-government-technology-federal-field-guide", results.Select(r => r.DocumentId));
        Assert.DoesNotContain(results, r => r.DocumentId == "sources");
        Assert.Equal((results.Count, results.Count), reports[^1]);
        Assert.All(service.ListDocuments(), d => Assert.True(d.Chunks > 0, $"{d.Id}: {d.Chunks} chunks, {d.DistilledUnits} distilled"));
    }

    [Fact]
    public async Task IngestDirectoryAsync_OneEmptyFile_StoresNothing_AndNamesTheFile()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        var folder = System.IO.Directory.CreateDirectory(Path.Combine(data.Directory, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "a.md"), Playbook);
        await File.WriteAllTextAsync(Path.Combine(folder, "c.txt"), "");

        var refused = await Assert.ThrowsAsync<KnowledgeInputException>(() => service.IngestDirectoryAsync(folder));

        Assert.Contains("c.txt", refused.Message, StringComparison.Ordinal);
        Assert.Empty(service.ListDocuments());
        Assert.Empty(await service.SearchAsync("adoption review", 3));
    }

    [Fact]
    public async Task IngestFilesAsync_TwoFilesGivingOneId_StoresNothing()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        var (md, txt) = (Path.Combine(data.Directory, "Notes.md"), Path.Combine(data.Directory, "notes.txt"));
        await File.WriteAllTextAsync(md, Playbook);
        await File.WriteAllTextAsync(txt, "Plain notes about renewals.");

        var refused = await Assert.ThrowsAsync<KnowledgeInputException>(() => service.IngestFilesAsync([md, txt]));

        Assert.Contains("'notes'", refused.Message, StringComparison.Ordinal);
        Assert.Empty(service.ListDocuments());
    }

    [Fact]
    public async Task IngestFilesAsync_StoreFailsHalfway_NamesWhatWasStored_AndARerunFinishes()
    {
        using var data = new TestData();
        var (first, second) = (Path.Combine(data.Directory, "a.md"), Path.Combine(data.Directory, "b.md"));
        await File.WriteAllTextAsync(first, Playbook);
        await File.WriteAllTextAsync(second, "# Pricing\n\nDiscounts above 20% need approval from finance.");
        using (var service = data.CreateService(out var store))
        {
            // The store goes away once the first document is stored (a disk or Qdrant failing mid-ingest).
            var failed = await Assert.ThrowsAsync<KnowledgeIngestIncompleteException>(() => service.IngestFilesAsync([first, second], new SynchronousProgress(p =>
            {
                if (p.Item1 == 1)
                    store.Dispose();
            })));

            Assert.Equal(["a"], failed.Stored);
            Assert.Contains("b.md", failed.Message, StringComparison.Ordinal);
            Assert.Contains("1 of 2 documents were stored (a)", failed.Message, StringComparison.Ordinal);
        }

        using var reopened = data.CreateService();
        Assert.Equal(["a"], reopened.ListDocuments().Select(d => d.Id));
        var rerun = await reopened.IngestFilesAsync([first, second]);
        Assert.Equal([IngestStatus.Unchanged, IngestStatus.Created], rerun.Select(r => r.Status));
    }

    [Fact]
    public async Task Restore_OfAnEmptiedStore_InterruptedHalfway_IsResumedOnTheNextCall()
    {
        using var data = new TestData();
        int total;
        using (var service = data.CreateService(out var first))
        {
            using var _ = first;
            await service.IngestAsync("# Alpha\n\nAlpha renewals need a CFO sign-off.", DocumentType.Markdown, "alpha");
            await service.IngestAsync("# Beta\n\nBeta discounts above 20% need finance.", DocumentType.Markdown, "beta");
            await service.IngestAsync("# Gamma\n\nGamma data is deleted within 30 days.", DocumentType.Markdown, "gamma");
            total = first.Count;
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(data.StorePath); // the vector side is lost; the catalog stays

        // The store goes down while the second document is restored, then comes back.
        var options = new AgentCrm.Knowledge.Options.KnowledgeOptions { DataDirectory = data.Directory };
        using var embedded = new EmbeddedKnowledgeStore(data.StorePath);
        using var restarted = new KnowledgeService(new FailingReplace(embedded, failAt: 2), new AgentCrm.Knowledge.Embeddings.LocalEmbeddingGenerator(options.Dimension), Microsoft.Extensions.Options.Options.Create(options));
        await Assert.ThrowsAsync<HttpRequestException>(() => restarted.SearchAsync("discounts", 3));
        await restarted.SearchAsync("discounts", 3);

        Assert.Equal(total, embedded.Count);
        Assert.Equal(IngestStatus.Unchanged, (await restarted.IngestAsync("# Beta\n\nBeta discounts above 20% need finance.", DocumentType.Markdown, "beta")).Status);
    }

    [Fact]
    public async Task StoreNotAnsweringAtStart_ConcurrentSearches_ShareOneAttempt_AndTheNextCallTriesAgain()
    {
        using var data = new TestData();
        var options = new AgentCrm.Knowledge.Options.KnowledgeOptions { DataDirectory = data.Directory };
        using var embedded = new EmbeddedKnowledgeStore(data.StorePath);
        var store = new WaitingStore(embedded);
        using var service = new KnowledgeService(store, new AgentCrm.Knowledge.Embeddings.LocalEmbeddingGenerator(options.Dimension), Microsoft.Extensions.Options.Options.Create(options));

        // Five brief turns cite at once while the store does not answer: one probe, not five in a row.
        var searches = Enumerable.Range(0, 5).Select(_ => service.SearchAsync("discounts", 3)).ToList();
        store.Answer.SetException(new HttpRequestException("no answer (injected)"));
        foreach (var search in searches)
            await Assert.ThrowsAsync<HttpRequestException>(() => search);
        Assert.Equal(1, store.Probes);

        store.Answer = new TaskCompletionSource<bool>();
        store.Answer.SetResult(true);
        Assert.Empty(await service.SearchAsync("discounts", 3));
        Assert.Equal(2, store.Probes);
    }

    /// <summary>The real embedded store, whose readiness probe waits for the test's answer.</summary>
    private sealed class WaitingStore(IKnowledgeStore inner) : IKnowledgeStore
    {
        public TaskCompletionSource<bool> Answer { get; set; } = new();

        public int Probes { get; private set; }

        public async Task<bool> EnsureReadyAsync(int dimension, CancellationToken cancellationToken = default)
        {
            Probes++;
            await Answer.Task;
            return await inner.EnsureReadyAsync(dimension, cancellationToken);
        }

        public Task ReplaceDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default) => inner.ReplaceDocumentAsync(documentId, records, cancellationToken);

        public Task DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default) => inner.DeleteDocumentAsync(documentId, cancellationToken);

        public Task UpdateDocumentMetadataAsync(string documentId, DocumentMetadata metadata, CancellationToken cancellationToken = default) => inner.UpdateDocumentMetadataAsync(documentId, metadata, cancellationToken);

        public Task<IReadOnlyList<VectorHit>> SearchAsync(float[] query, int k, SearchFilter? filter = null, double? scoreThreshold = null, CancellationToken cancellationToken = default) =>
            inner.SearchAsync(query, k, filter, scoreThreshold, cancellationToken);

        public Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default) => inner.IsHealthyAsync(cancellationToken);
    }

    /// <summary>The real embedded store, whose Nth document write fails as a store going down would.</summary>
    private sealed class FailingReplace(IKnowledgeStore inner, int failAt) : IKnowledgeStore
    {
        private int _replaces;

        public Task<bool> EnsureReadyAsync(int dimension, CancellationToken cancellationToken = default) => inner.EnsureReadyAsync(dimension, cancellationToken);

        public Task ReplaceDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default) =>
            ++_replaces == failAt ? throw new HttpRequestException("store down (injected)") : inner.ReplaceDocumentAsync(documentId, records, cancellationToken);

        public Task DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default) => inner.DeleteDocumentAsync(documentId, cancellationToken);

        public Task UpdateDocumentMetadataAsync(string documentId, DocumentMetadata metadata, CancellationToken cancellationToken = default) => inner.UpdateDocumentMetadataAsync(documentId, metadata, cancellationToken);

        public Task<IReadOnlyList<VectorHit>> SearchAsync(float[] query, int k, SearchFilter? filter = null, double? scoreThreshold = null, CancellationToken cancellationToken = default) =>
            inner.SearchAsync(query, k, filter, scoreThreshold, cancellationToken);

        public Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default) => inner.IsHealthyAsync(cancellationToken);
    }

    [Fact]
    public async Task ListDirectory_NamesTheFilesItSkips()
    {
        using var data = new TestData();
        var folder = System.IO.Directory.CreateDirectory(Path.Combine(data.Directory, "docs")).FullName;
        foreach (var name in new[] { "a.md", "b.html", "c.txt", "d.csv", "SOURCES.md" })
            await File.WriteAllTextAsync(Path.Combine(folder, name), "# x\n\ntext\n");

        var listed = DocumentFolder.Of(folder);

        Assert.Equal(["a.md", "b.html", "c.txt"], listed.Files.Select(Path.GetFileName));
        Assert.Equal(["SOURCES.md", "d.csv"], listed.Skipped.Select(s => Path.GetFileName(s.Path)));
        Assert.Contains("unsupported extension", listed.Skipped.Single(s => s.Path.EndsWith("d.csv", StringComparison.Ordinal)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ListDirectory_SkipsANamedPipe_SayingWhat_ItIs()
    {
        using var data = new TestData();
        var folder = System.IO.Directory.CreateDirectory(Path.Combine(data.Directory, "docs")).FullName;
        File.WriteAllText(Path.Combine(folder, "a.md"), "# x\n\ntext\n");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(folder, "pipe.md")]))
            mkfifo.WaitForExit();

        var listed = DocumentFolder.Of(folder);

        Assert.Equal(["a.md"], listed.Files.Select(Path.GetFileName));
        Assert.Equal([("pipe.md", "a named pipe (FIFO), not a regular file")], listed.Skipped.Select(s => (Path.GetFileName(s.Path), s.Reason)));
    }

    private sealed class SynchronousProgress(Action<(int, int)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
