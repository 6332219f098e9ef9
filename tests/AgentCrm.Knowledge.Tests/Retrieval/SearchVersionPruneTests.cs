using System.Text;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// A search between a write's reindex and the store's prune of the records it replaced ranks among candidates that are
/// about to go; what such a search found must not be kept for the version the write leaves behind (the citation cache
/// keys on <see cref="KnowledgeService.SearchVersion"/>, rev28).
/// </summary>
public sealed class SearchVersionPruneTests
{
    private sealed class GatedStore(IKnowledgeStore inner) : IKnowledgeStore
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Gate { get; set; }
        public Task<bool> EnsureReadyAsync(int dimension, CancellationToken ct = default) => inner.EnsureReadyAsync(dimension, ct);
        public Task ReplaceDocumentAsync(string id, IReadOnlyList<KnowledgeRecord> r, CancellationToken ct = default) => inner.ReplaceDocumentAsync(id, r, ct);
        public Task StageDocumentAsync(string id, IReadOnlyList<KnowledgeRecord> r, CancellationToken ct = default) => inner.StageDocumentAsync(id, r, ct);
        public Task PruneDocumentAsync(string id, IReadOnlyList<KnowledgeRecord> keep, CancellationToken ct = default) => inner.PruneDocumentAsync(id, keep, ct);
        public async Task DeleteDocumentAsync(string id, CancellationToken ct = default)
        {
            if (Gate)
            {
                Entered.TrySetResult();
                await Release.Task;
            }
            await inner.DeleteDocumentAsync(id, ct);
        }
        public Task UpdateDocumentMetadataAsync(string id, DocumentMetadata m, CancellationToken ct = default) => inner.UpdateDocumentMetadataAsync(id, m, ct);
        public Task<IReadOnlyList<VectorHit>> SearchAsync(float[] q, int k, SearchFilter? f = null, double? t = null, CancellationToken ct = default) => inner.SearchAsync(q, k, f, t, ct);
        public Task ReloadAsync(CancellationToken ct = default) => inner.ReloadAsync(ct);
        public Task<bool> IsHealthyAsync(CancellationToken ct = default) => inner.IsHealthyAsync(ct);
    }

    [Fact]
    public async Task Delete_ASearchWhileTheStorePrunes_IsOfAnEarlierVersionThanTheOneTheDeleteLeaves()
    {
        using var data = new TestData();
        var options = new KnowledgeOptions { DataDirectory = data.Directory };
        using var inner = new EmbeddedKnowledgeStore(data.StorePath);
        var store = new GatedStore(inner);
        using var service = new KnowledgeService(store, new LocalEmbeddingGenerator(options.Dimension), Microsoft.Extensions.Options.Options.Create(options));
        var big = new StringBuilder("# Refund policy A\n\n");
        for (var i = 0; i < 150; i++)
            big.Append($"## Refund rule {i}\n\nRefund for unresolved tickets and low NPS. Refund for unresolved tickets and low NPS.\n\n");
        await service.IngestAsync(big.ToString(), DocumentType.Markdown, "big");
        await service.IngestAsync("# Other\n\n## Contracts\n\nOffer an annual contract before the month-to-month contract ends, phone the sponsor, agree a recovery plan, review usage trends, check the invoices and the seats, and mention that a refund may apply.\n", DocumentType.Markdown, "small");
        const string query = "refund for unresolved tickets and low NPS";

        store.Gate = true;
        var delete = service.DeleteAsync("big");
        await store.Entered.Task;
        var duringPrune = service.SearchVersion;
        var inWindow = await service.SearchAsync(query, 3, documents: d => d == "small");
        store.Release.SetResult();
        await delete;
        var after = await service.SearchAsync(query, 3, documents: d => d == "small");

        // The hits differ (the doomed records crowded the candidates), so the version must too.
        Assert.NotEqual(Hits(inWindow), Hits(after));
        Assert.True(service.SearchVersion > duringPrune, $"version {duringPrune} during the prune, {service.SearchVersion} after the delete returned");
    }

    private static string Hits(IReadOnlyList<KnowledgeHit> hits) => string.Join(" | ", hits.Select(h => $"{h.ChunkId} s={h.Score}"));
}
