using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;
using AgentCrm.Knowledge.Tests.Qdrant;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Knowledge.Tests.Stores;

/// <summary>
/// The behaviour every <see cref="IKnowledgeStore"/> owes its callers, run once per store: upsert/replace by document,
/// delete, filters, top-k ordering, score thresholds and persistence (a new store instance over the same storage sees
/// the same records). Subclasses say how to open a store over their storage.
/// </summary>
public abstract class KnowledgeStoreContractTests : IAsyncLifetime
{
    protected const int Dimension = 4;

    private readonly List<IKnowledgeStore> _opened = [];

    /// <summary>Opens a store over the test's storage; a second call opens another instance over the same storage.</summary>
    protected abstract Task<IKnowledgeStore> OpenStoreAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync()
    {
        foreach (var store in _opened.OfType<IDisposable>())
            store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Search_EmptyStore_ReturnsNothing()
    {
        var store = await OpenAsync();

        Assert.Empty(await store.SearchAsync(Unit(1, 0, 0, 0), 5));
    }

    [Fact]
    public async Task EnsureReady_SaysWhetherTheStoreIsEmpty()
    {
        var first = await OpenStoreAsync();
        _opened.Add(first);
        Assert.True(await first.EnsureReadyAsync(Dimension));
        await first.ReplaceDocumentAsync("a", [Record("a#1", "a", Unit(1, 0, 0, 0))]);

        var second = await OpenStoreAsync();
        _opened.Add(second);
        Assert.False(await second.EnsureReadyAsync(Dimension));
    }

    [Fact]
    public async Task Search_TopK_OrderedByCosineBestFirst()
    {
        var store = await SeededAsync();

        var hits = await store.SearchAsync(Unit(1, 0, 0, 0), 3);

        Assert.Equal(["a#1", "a#2", "b#1"], hits.Select(h => h.Record.Id));
        Assert.Equal(1.0, hits[0].Score, 4);
        Assert.Equal(Cosine(Unit(1, 0, 0, 0), Unit(0.95f, 0.05f, 0, 0)), hits[1].Score, 4);
        Assert.Equal(Cosine(Unit(1, 0, 0, 0), Unit(0.5f, 0.5f, 0, 0)), hits[2].Score, 4);
    }

    [Fact]
    public async Task Search_KLargerThanStore_ReturnsEveryRecordOnce_KZeroReturnsNothing()
    {
        var store = await SeededAsync();

        var all = await store.SearchAsync(Unit(0, 0, 1, 1), 50);

        Assert.Equal(["a#1", "a#2", "b#1", "b#2"], all.Select(h => h.Record.Id).Order());
        Assert.Empty(await store.SearchAsync(Unit(0, 0, 1, 1), 0));
    }

    [Fact]
    public async Task Search_ScoreThreshold_KeepsOnlyHitsAtOrAboveIt()
    {
        var store = await SeededAsync();

        var strong = await store.SearchAsync(Unit(1, 0, 0, 0), 10, scoreThreshold: 0.9);
        var none = await store.SearchAsync(Unit(0, 0, 1, 0), 10, scoreThreshold: 0.1);

        Assert.Equal(["a#1", "a#2"], strong.Select(h => h.Record.Id));
        Assert.All(strong, h => Assert.True(h.Score >= 0.9));
        Assert.Empty(none);
    }

    [Theory]
    [InlineData("b", null, null, null, null, new[] { "b#1", "b#2" })]
    [InlineData(null, "gdpr", null, null, null, new[] { "b#1", "b#2" })]
    [InlineData(null, "legal", null, null, null, new[] { "b#2" })]
    [InlineData(null, null, "renewal-risk", null, null, new[] { "a#1", "a#2" })]
    [InlineData(null, null, null, "de", null, new[] { "b#2" })]
    [InlineData(null, null, null, null, "distilled", new[] { "a#2" })]
    [InlineData("a", null, null, "de", null, new string[0])]
    [InlineData("b", "legal", null, "de", "chunk", new[] { "b#2" })]
    public async Task Search_Filter_OnlyRecordsMatchingEveryCondition(string? document, string? tag, string? scenario, string? language, string? kind, string[] expected)
    {
        var store = await SeededAsync();
        var filter = new SearchFilter(document, tag is null ? null : [tag], scenario, language, kind);

        var hits = await store.SearchAsync(Unit(1, 1, 1, 1), 10, filter);

        Assert.Equal(expected.Order(), hits.Select(h => h.Record.Id).Order());
    }

    [Fact]
    public async Task Search_SeveralTags_AnyOfThemMatches()
    {
        var store = await SeededAsync();
        await store.ReplaceDocumentAsync("c", [Record("c#1", "c", Unit(0, 0, 1, 0), tags: ["playbook"])]);

        var hits = await store.SearchAsync(Unit(1, 1, 1, 1), 10, new SearchFilter(Tags: ["legal", "playbook"]));

        Assert.Equal(["b#2", "c#1"], hits.Select(h => h.Record.Id).Order());
    }

    [Fact]
    public async Task Search_Filter_RanksWithinTheFilteredSet()
    {
        var store = await SeededAsync();

        var hits = await store.SearchAsync(Unit(1, 0, 0, 0), 1, new SearchFilter(DocumentId: "b"));

        Assert.Equal("b#1", Assert.Single(hits).Record.Id);
    }

    [Fact]
    public async Task Search_Hit_CarriesEveryRecordField()
    {
        var store = await SeededAsync();

        var hit = Assert.Single(await store.SearchAsync(Unit(1, 0, 0, 0), 1, new SearchFilter(Kind: "distilled")));

        var r = hit.Record;
        Assert.Equal(("a#2", "a", "Title a", "Section a#2", "distilled", "Text of a#2", "renewal-risk", "en", "a#1"),
            (r.Id, r.DocumentId, r.Title, r.Section, r.Kind, r.Text, r.Scenario, r.Language, r.SourceChunkId));
        Assert.Empty(r.Tags);
        var b2 = Assert.Single(await store.SearchAsync(Unit(0, 1, 0, 0), 1)).Record;
        Assert.Equal(("b#2", "gdpr,legal", null, null), (b2.Id, string.Join(',', b2.Tags), b2.Scenario, b2.SourceChunkId));
    }

    [Fact]
    public async Task Replace_NewRecordsReplaceTheDocumentsOldOnes_OtherDocumentsUntouched()
    {
        var store = await SeededAsync();

        await store.ReplaceDocumentAsync("a", [Record("a#9", "a", Unit(0, 0, 0, 1))]);

        var hits = await store.SearchAsync(Unit(1, 1, 1, 1), 10);
        Assert.Equal(["a#9", "b#1", "b#2"], hits.Select(h => h.Record.Id).Order());
    }

    [Fact]
    public async Task Replace_SameIds_NewTextAndVectorWin()
    {
        var store = await SeededAsync();

        await store.ReplaceDocumentAsync("a", [Record("a#1", "a", Unit(0, 0, 1, 0)) with { Text = "rewritten" }]);

        var hit = Assert.Single(await store.SearchAsync(Unit(0, 0, 1, 0), 1, new SearchFilter("a")));
        Assert.Equal(("a#1", "rewritten"), (hit.Record.Id, hit.Record.Text));
        Assert.Equal(1.0, hit.Score, 4);
    }

    [Fact]
    public async Task Replace_WithNoRecords_EmptiesTheDocument()
    {
        var store = await SeededAsync();

        await store.ReplaceDocumentAsync("b", []);

        Assert.Empty(await store.SearchAsync(Unit(1, 1, 1, 1), 10, new SearchFilter("b")));
        Assert.Equal(2, (await store.SearchAsync(Unit(1, 1, 1, 1), 10)).Count);
    }

    [Fact]
    public async Task Replace_Rejected_PreviousVersionStaysWhole()
    {
        var store = await SeededAsync();

        // A vector of the wrong dimension: the embedded store refuses it, Qdrant answers 400.
        await Assert.ThrowsAnyAsync<Exception>(() => store.ReplaceDocumentAsync("a", [Record("a#9", "a", [1, 0, 0])]));

        var hits = await store.SearchAsync(Unit(1, 1, 1, 1), 10, new SearchFilter("a"));
        Assert.Equal(["a#1", "a#2"], hits.Select(h => h.Record.Id).Order());
    }

    [Fact]
    public async Task Replace_RecordOfAnotherDocument_Throws()
    {
        var store = await SeededAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReplaceDocumentAsync("a", [Record("b#7", "b", Unit(1, 0, 0, 0))]));
    }

    [Fact]
    public async Task Delete_RemovesOnlyThatDocument_UnknownDocumentIsNoOp()
    {
        var store = await SeededAsync();

        await store.DeleteDocumentAsync("a");
        await store.DeleteDocumentAsync("never-ingested");

        var hits = await store.SearchAsync(Unit(1, 0, 0, 0), 10);
        Assert.Equal(["b#1", "b#2"], hits.Select(h => h.Record.Id).Order());
    }

    [Fact]
    public async Task Reopen_SameStorage_SameRecordsAndScores()
    {
        var store = await SeededAsync();
        await store.DeleteDocumentAsync("b");
        await store.ReplaceDocumentAsync("c", [Record("c#1", "c", Unit(0, 0, 1, 1), tags: ["x"])]);
        var before = await store.SearchAsync(Unit(1, 0.5f, 0.2f, 0), 10);

        var reopened = await OpenAsync();
        var after = await reopened.SearchAsync(Unit(1, 0.5f, 0.2f, 0), 10);

        Assert.Equal(["a#2", "a#1", "c#1"], after.Select(h => h.Record.Id));
        Assert.Equal(Describe(before), Describe(after));
        Assert.True(await reopened.IsHealthyAsync());
    }

    [Fact]
    public async Task UpdateMetadata_SetsDocumentFieldsOnItsRecordsOnly_VectorsAndTextsStay_AndPersist()
    {
        var store = await SeededAsync();
        var before = await store.SearchAsync(Unit(1, 0.5f, 0.2f, 0), 10);

        await store.UpdateDocumentMetadataAsync("a", new DocumentMetadata("New title", ["faq", "security"], null, "de"));

        var reopened = await OpenAsync();
        var after = await reopened.SearchAsync(Unit(1, 0.5f, 0.2f, 0), 10);
        Assert.Equal(before.Select(h => (h.Record.Id, h.Record.Text, h.Record.Section, Math.Round(h.Score, 4))), after.Select(h => (h.Record.Id, h.Record.Text, h.Record.Section, Math.Round(h.Score, 4))));
        Assert.All(after.Where(h => h.Record.DocumentId == "a"), h =>
        {
            Assert.Equal("New title", h.Record.Title);
            Assert.Equal(["faq", "security"], h.Record.Tags);
            Assert.Null(h.Record.Scenario);
            Assert.Equal("de", h.Record.Language);
        });
        Assert.All(after.Where(h => h.Record.DocumentId == "b"), h => Assert.Equal("Title b", h.Record.Title));
        Assert.Equal(["a#1", "a#2"], (await reopened.SearchAsync(Unit(1, 0, 0, 0), 10, new SearchFilter(Tags: ["security"]))).Select(h => h.Record.Id).Order());
        Assert.Empty(await reopened.SearchAsync(Unit(1, 0, 0, 0), 10, new SearchFilter(Scenario: "renewal-risk")));
    }

    private static IEnumerable<string> Describe(IEnumerable<VectorHit> hits) =>
        hits.Select(h => $"{h.Record.Id}|{h.Record.Section}|{string.Join(',', h.Record.Tags)}|{h.Record.Scenario}|{h.Record.SourceChunkId}|{h.Score:0.0000}");

    protected async Task<IKnowledgeStore> OpenAsync()
    {
        var store = await OpenStoreAsync();
        _opened.Add(store);
        await store.EnsureReadyAsync(Dimension);
        return store;
    }

    private async Task<IKnowledgeStore> SeededAsync()
    {
        var store = await OpenAsync();
        await store.ReplaceDocumentAsync("a", [
            Record("a#1", "a", Unit(1, 0, 0, 0), scenario: "renewal-risk"),
            Record("a#2", "a", Unit(0.95f, 0.05f, 0, 0), scenario: "renewal-risk", kind: "distilled", source: "a#1"),
        ]);
        await store.ReplaceDocumentAsync("b", [
            Record("b#1", "b", Unit(0.5f, 0.5f, 0, 0), tags: ["gdpr"]),
            Record("b#2", "b", Unit(0, 1, 0, 0), tags: ["gdpr", "legal"], language: "de"),
        ]);
        return store;
    }

    protected static KnowledgeRecord Record(string id, string document, float[] vector, string[]? tags = null, string? scenario = null, string language = "en", string kind = "chunk", string? source = null) =>
        new(id, document, $"Title {document}", $"Section {id}", kind, $"Text of {id}", tags ?? [], scenario, language, vector, source);

    protected static float[] Unit(params float[] values)
    {
        var norm = MathF.Sqrt(values.Sum(v => v * v));
        return [.. values.Select(v => v / norm)];
    }

    private static double Cosine(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);
}

/// <summary>The contract over the default store: a real SQLite file, reopened from disk for persistence.</summary>
public sealed class EmbeddedKnowledgeStoreContractTests : KnowledgeStoreContractTests
{
    private readonly TestData _data = new();

    protected override Task<IKnowledgeStore> OpenStoreAsync() => Task.FromResult<IKnowledgeStore>(new EmbeddedKnowledgeStore(_data.StorePath));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>
/// The contract over the Qdrant store, talking real HTTP to <see cref="FakeQdrantServer"/> (stateful, following the
/// protocol sheet); persistence means a new store instance over the same server.
/// </summary>
public sealed class QdrantKnowledgeStoreContractTests : KnowledgeStoreContractTests
{
    private FakeQdrantServer? _server;

    public override async Task InitializeAsync() => _server = await FakeQdrantServer.StartAsync(QdrantTestStore.ApiKey);

    protected override Task<IKnowledgeStore> OpenStoreAsync() => Task.FromResult<IKnowledgeStore>(new QdrantKnowledgeStore(
        new PlainHttpClientFactory(),
        new QdrantOptions { Url = _server!.Url, ApiKey = QdrantTestStore.ApiKey, Collection = "contract", Timeout = TimeSpan.FromSeconds(30) },
        NullLogger.Instance,
        TimeProvider.System,
        new QdrantRetry(0, TimeSpan.Zero)));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
            await _server.DisposeAsync();
    }

    [Fact]
    public async Task EnsureReady_SecondInstance_FindsCollectionAndIndexes_CreatesNothing()
    {
        await OpenAsync();
        var before = _server!.Requests.Count;

        await OpenAsync();

        Assert.Equal(["GET /collections/contract"], _server.Requests.Skip(before));
    }

    [Fact]
    public async Task Service_CollectionDeletedBehindItsBack_IsFilledAgainFromTheCatalogOnStart()
    {
        using var data = new TestData();
        var options = Microsoft.Extensions.Options.Options.Create(new AgentCrm.Knowledge.Options.KnowledgeOptions { DataDirectory = data.Directory });
        KnowledgeService Start() => new(new QdrantKnowledgeStore(new PlainHttpClientFactory(),
            new QdrantOptions { Url = _server!.Url, ApiKey = QdrantTestStore.ApiKey, Collection = "service", Timeout = TimeSpan.FromSeconds(30) },
            NullLogger.Instance, TimeProvider.System, new QdrantRetry(0, TimeSpan.Zero)), new AgentCrm.Knowledge.Embeddings.LocalEmbeddingGenerator(options.Value.Dimension), options);
        using (var service = Start())
            await service.IngestAsync("# Retention\n\n## Deletion\n\nCustomer data must be deleted within 30 days of contract end.", AgentCrm.Knowledge.Ingest.DocumentType.Markdown, "retention");
        var stored = _server!.PointCount("service");
        Assert.True(stored > 0);

        // Someone re-creates the collection (or Qdrant lost its storage); the catalog still says "retention" is ingested.
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Add("api-key", QdrantTestStore.ApiKey);
            (await http.DeleteAsync($"{_server.Url}/collections/service")).EnsureSuccessStatusCode();
        }

        using var restarted = Start();
        var hits = await restarted.SearchAsync("deleted within 30 days", 3, minScore: 0.1);

        Assert.Equal(stored, _server.PointCount("service"));
        Assert.Contains(hits, h => h.DocumentId == "retention");
        Assert.Equal(AgentCrm.Knowledge.Documents.IngestStatus.Unchanged, (await restarted.IngestAsync("# Retention\n\n## Deletion\n\nCustomer data must be deleted within 30 days of contract end.", AgentCrm.Knowledge.Ingest.DocumentType.Markdown, "retention")).Status);
    }

    [Fact]
    public async Task EnsureReady_CollectionOfOtherDimension_ClearError()
    {
        await OpenAsync();
        var other = await OpenStoreAsync();

        var error = await Assert.ThrowsAsync<QdrantException>(() => other.EnsureReadyAsync(8));

        Assert.Contains("4-dimensional", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_WrongDimension_ServerRejects400_SurfacedAsQdrantError()
    {
        var store = await OpenAsync();

        var error = await Assert.ThrowsAsync<QdrantException>(() => store.ReplaceDocumentAsync("a", [Record("a#1", "a", [1, 0, 0])]));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("dimension", error.Message, StringComparison.Ordinal);
    }

    private sealed class PlainHttpClientFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new() { Timeout = Timeout.InfiniteTimeSpan };
    }
}
