using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// Every hit names one real passage of its document: its chunk id is a chunk the catalog holds, its section is that
/// chunk's own heading path and its snippet quotes that chunk, even when a distilled unit (a summary stitched from key
/// sentences of several chunks, of a whole heading's subtree) is what matched; and no passage is cited twice.
/// </summary>
public sealed class CitedPassageTests
{
    internal const string Handbook = """
        # Rescue handbook
        ## Renewal rescue
        ### Step one
        Phone the sponsor the same week. Tickets still open must be fixed first. Nobody likes waiting for a fix.
        ### Step two
        Offer an annual contract instead of a month-to-month contract. Do this before the contract ends and before renewal.
        """;

    [Fact]
    public async Task SearchAsync_SubtreeSummaryMatches_CitesTheBestChunkVerbatimOnce()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(Handbook, DocumentType.Markdown, "nested", scenario: "renewal-risk");

        // What a renewal-risk brief asks for an account on month-to-month, ending in 30 days, with 4 open tickets and NPS 2.
        var hits = await service.SearchAsync("renewal risk churn playbook next steps. month-to-month contract. contract ends in 30 days. 4 unresolved tickets", 3);

        Assert.NotEmpty(hits);
        AssertRealPassages(service, hits);
        Assert.DoesNotContain(hits, h => h.Section == "Renewal rescue");
    }

    [Fact]
    public async Task SearchAsync_DeeplyNestedGuide_EveryHitIsARealPassage()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        const string id = "18f-derisking-government-technology-federal-field-guide";
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("18f_derisking_government_technology_federal_field_guide.md")), DocumentType.Markdown, id);
        string[] queries =
        [
            "procurement notice tender bid what to prepare. Request for proposal: cloud hosting and software development services for the federal agency",
            "should the agency build or buy commercial software",
            "prototype before awarding a contract",
            "splitting a big procurement into smaller modular contracts",
            "agile software development user research path to production",
        ];

        var distilledMatched = 0;
        foreach (var query in queries)
        {
            var hits = await service.SearchAsync(query, 10);
            Assert.NotEmpty(hits);
            AssertRealPassages(service, hits);
            distilledMatched += hits.Count(h => h.Kind == UnitBuilder.DistilledKind);
        }

        // The guide's headings nest deeply, so subtree summaries match often: the property is tested on them, not only on chunks.
        Assert.True(distilledMatched > 0, "no hit came from a distilled unit");
    }

    [Fact]
    public async Task SearchAsync_QueryOnTheDocumentsTopic_PreambleGetsNoHeadingCredit()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("renewal-playbook.md")), DocumentType.Markdown, "renewal-playbook");

        // The text before the first heading is filed under the document's title ("Renewal playbook"). The title names the
        // whole document, so it must not rank the introduction first, as the introduction's heading, for every query on
        // the document's topic: here the section on the query's own subject comes first.
        var hits = await service.SearchAsync("renewal risk churn playbook next steps. NPS 3", 3);

        Assert.Equal("5. Low NPS", hits[0].Section);
    }

    private static void AssertRealPassages(KnowledgeService service, IReadOnlyList<KnowledgeHit> hits)
    {
        foreach (var hit in hits)
        {
            var chunk = service.Chunks(hit.DocumentId).SingleOrDefault(c => c.Id == hit.ChunkId);
            Assert.True(chunk is not null, $"{hit.ChunkId} is not a chunk of {hit.DocumentId}");
            Assert.Equal(chunk.Section, hit.Section);
            var quoted = hit.Snippet.EndsWith('…') ? hit.Snippet[..^1] : hit.Snippet;
            Assert.True(chunk.Text.StartsWith(quoted, StringComparison.Ordinal), $"the snippet of {hit.ChunkId} does not quote it: {hit.Snippet}");
        }

        Assert.Equal(hits.Count, hits.Select(h => h.ChunkId).Distinct(StringComparer.Ordinal).Count());
    }
}
