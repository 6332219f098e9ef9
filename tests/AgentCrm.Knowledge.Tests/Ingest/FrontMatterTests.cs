using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge.Tests.Ingest;

/// <summary>YAML front matter is metadata: never a section, never in a snippet; its title names the document.</summary>
public sealed class FrontMatterTests
{
    [Fact]
    public async Task Ingest_MarkdownWithFrontMatter_TitleFromIt_AndItsTextNeverIndexedOrCited()
    {
        using var data = new TestData();
        using var service = data.CreateService();
        const string markdown = "---\ntitle: 'Onboarding: the first 30 days'\nowner: cs-team\n---\n\n## Kick-off call\n\nThe kick-off call names the customer's goals.\n";

        await service.IngestAsync(markdown, DocumentType.Markdown, "onboarding");

        Assert.Equal("Onboarding: the first 30 days", service.ListDocuments().Single().Title);
        var hits = await service.SearchAsync("owner cs-team title onboarding kick-off", 10);
        Assert.NotEmpty(hits);
        Assert.All(hits, h =>
        {
            Assert.Equal("Kick-off call", h.Section);
            Assert.DoesNotContain("owner", h.Snippet, StringComparison.Ordinal);
            Assert.Equal("Onboarding: the first 30 days", h.Title);
        });
    }

    [Fact]
    public async Task Ingest_GivenTitle_WinsOverFrontMatter_AndAThematicBreakLaterIsNotFrontMatter()
    {
        using var data = new TestData();
        using var service = data.CreateService();

        await service.IngestAsync("---\ntitle: From front matter\n---\n# Heading\n\nBody text.\n", DocumentType.Markdown, "a", title: "Given");
        await service.IngestAsync("# Heading\n\nBefore.\n\n---\ntitle: not metadata\n---\n\nAfter.\n", DocumentType.Markdown, "b");

        var documents = service.ListDocuments();
        Assert.Equal("Given", documents.Single(d => d.Id == "a").Title);
        Assert.Equal("Heading", documents.Single(d => d.Id == "b").Title);
    }

    [Fact]
    public async Task IngestBundled_DocumentsCarryTheirRealTitles()
    {
        using var data = new TestData();
        using var service = data.CreateService();

        await service.IngestDirectoryAsync(TestData.BundledDirectory);

        var titles = service.ListDocuments().ToDictionary(d => d.Id, d => d.Title);
        Assert.Equal("De-risking Government Technology: Federal Field Guide", titles["18f-derisking-government-technology-federal-field-guide"]);
        Assert.Equal("General Data Protection Regulation (EU) 2016/679", titles["gdpr-regulation-eu-2016-679-en"]);
        Assert.Equal("Renewal playbook", titles["renewal-playbook"]);
        Assert.Equal("Contract terms playbook", titles["contract-terms-playbook"]);
        Assert.Equal("Tender and buying-signal playbook", titles["tender-playbook"]);
    }
}
