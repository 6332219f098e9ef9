using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// A section's last chunk can be a few words after a long section ("(e) for the establishment, exercise or defence of legal
/// claims." closes Article 17), embedded mostly as the heading it carries: found by the heading, it was cited for
/// "right to erasure" instead of the chunk that grants the right. The section is still found; the chunk of it whose text
/// holds the query's words is cited.
/// </summary>
public sealed class SectionTailTests : IDisposable
{
    private readonly TestData _data = new();

    [Fact]
    public async Task Search_SectionEndingInAShortTail_CitesTheChunkThatHoldsTheContent()
    {
        using var service = _data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md")), DocumentType.Markdown, "gdpr");
        var article17 = service.GetDocument("gdpr")!.Sections.Single(s => s.Heading.Contains("Article 17 — Right to erasure", StringComparison.Ordinal));
        Assert.True(article17.ChunkIds.Count > 1);

        var hit = (await service.SearchAsync("right to erasure", 1)).Single();

        Assert.Contains("Article 17 — Right to erasure", hit.Section, StringComparison.Ordinal);
        Assert.NotEqual(article17.ChunkIds[^1], hit.ChunkId);
        Assert.Contains("the right to obtain from the controller the erasure of personal data", hit.Snippet, StringComparison.Ordinal);
    }

    public void Dispose() => _data.Dispose();
}
