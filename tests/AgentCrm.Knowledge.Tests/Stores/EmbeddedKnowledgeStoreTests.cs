using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Tests.Stores;

/// <summary>Embedded-store specifics; the behaviour shared with the Qdrant store is in <see cref="KnowledgeStoreContractTests"/>.</summary>
public sealed class EmbeddedKnowledgeStoreTests
{
    private const int Dimension = 4;

    [Fact]
    public async Task ReplaceDocumentAsync_WrongDimension_ThrowsAndKeepsPreviousRecords()
    {
        using var data = new TestData();
        using var store = await CreateAsync(data);

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReplaceDocumentAsync("a", [Record("a#9", "a", [1, 0])]));

        Assert.Equal(4, store.Count);
    }

    [Fact]
    public async Task Restart_SameFile_RecordsAndVectorsPersisted()
    {
        using var data = new TestData();
        IReadOnlyList<VectorHit> before;
        using (var store = await CreateAsync(data))
        {
            await store.DeleteDocumentAsync("b");
            before = await store.SearchAsync(Unit(1, 0.5f, 0, 0), 10);
        }

        using var reopened = new EmbeddedKnowledgeStore(data.StorePath);
        await reopened.EnsureReadyAsync(Dimension);
        var after = await reopened.SearchAsync(Unit(1, 0.5f, 0, 0), 10);

        Assert.Equal(before.Select(h => (h.Record.Id, h.Record.Section, h.Record.Tags.Count, h.Record.SourceChunkId, h.Score)), after.Select(h => (h.Record.Id, h.Record.Section, h.Record.Tags.Count, h.Record.SourceChunkId, h.Score)));
        Assert.Equal(before[0].Record.Vector, after[0].Record.Vector);
        Assert.True(await reopened.IsHealthyAsync());
    }

    [Fact]
    public async Task EnsureReadyAsync_OtherDimensionThanStored_Throws()
    {
        using var data = new TestData();
        using (await CreateAsync(data))
        {
        }

        using var reopened = new EmbeddedKnowledgeStore(data.StorePath);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => reopened.EnsureReadyAsync(8));
        Assert.Contains("Knowledge:Dimension", error.Message, StringComparison.Ordinal);
    }

    private static async Task<EmbeddedKnowledgeStore> CreateAsync(TestData data)
    {
        var store = new EmbeddedKnowledgeStore(data.StorePath);
        await store.EnsureReadyAsync(Dimension);
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

    private static KnowledgeRecord Record(string id, string document, float[] vector, string[]? tags = null, string? scenario = null, string language = "en", string kind = "chunk", string? source = null) =>
        new(id, document, $"Title {document}", $"Section {id}", kind, $"Text of {id}", tags ?? [], scenario, language, vector, source);

    private static float[] Unit(params float[] values)
    {
        var norm = MathF.Sqrt(values.Sum(v => v * v));
        return [.. values.Select(v => v / norm)];
    }
}
