using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Distill;

namespace AgentCrm.Knowledge.Tests.Ingest;

/// <summary>
/// Ingest spreads distillation and embedding over threads; what it stores and finds must not depend on how many.
/// </summary>
public sealed class IngestParallelismTests
{
    [Fact]
    public async Task Ingest_ParallelAndSequential_SameUnitsVectorsAndSearchResults()
    {
        var gdpr = await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md"));
        var playbook = await File.ReadAllTextAsync(TestData.Bundled("renewal-playbook.md"));
        var runs = new List<(List<(string Id, string Section, string Text, float[] Vector)> Records, List<string> Hits, IReadOnlyList<DistilledUnit> Distilled)>();
        foreach (var parallelism in new[] { 1, 4 })
        {
            using var data = new TestData();
            using var service = data.CreateService(out var store, o => o.IngestParallelism = parallelism);
            // The second document goes through the frozen-IDF path, the first through the refit.
            await service.IngestAsync(gdpr, DocumentType.Markdown, "gdpr");
            await service.IngestAsync(playbook, DocumentType.Markdown, "playbook");
            var records = store.Snapshot.Records.Select(r => (r.Id, r.Section, r.Text, r.Vector)).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
            var hits = new List<string>();
            foreach (var query in new[] { "the customer asks us to delete all their data", "usage dropped before renewal", "fines for infringements" })
                hits.AddRange((await service.SearchAsync(query, 5)).Select(h => $"{h.ChunkId}|{h.Score}"));
            runs.Add((records, hits, service.GetDistilledUnits("gdpr")));
            store.Dispose();
        }

        var (sequential, parallel) = (runs[0], runs[1]);
        Assert.True(sequential.Records.Count > 400, $"GDPR and the playbook give {sequential.Records.Count} units");
        Assert.Equal(sequential.Records.Select(r => (r.Id, r.Section, r.Text)), parallel.Records.Select(r => (r.Id, r.Section, r.Text)));
        for (var i = 0; i < sequential.Records.Count; i++)
            Assert.Equal(sequential.Records[i].Vector, parallel.Records[i].Vector);
        Assert.Equal(sequential.Hits, parallel.Hits);
        Assert.Equal(sequential.Distilled.Select(d => d.ToText()), parallel.Distilled.Select(d => d.ToText()));
    }
}
