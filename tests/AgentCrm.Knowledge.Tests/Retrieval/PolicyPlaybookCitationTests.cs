using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// A compliance-check brief cites what the knowledge store returns for the agent's knowledgeQuery plus its reasons
/// (BriefCitations): a policy finding's explanation names its playbook section, and that section is what is found.
/// </summary>
public sealed class PolicyPlaybookCitationTests
{
    [Theory]
    [InlineData("required clause missing: Cap on Liability (policy; contract terms playbook §11 Cap on liability)", "11. Cap on liability (required clause)")]
    [InlineData("risky clause present: Uncapped Liability (p 0.91; contract terms playbook §12 Uncapped liability): \"Nothing in this Agreement limits either party's liability for indemnification.\"", "12. Uncapped liability")]
    [InlineData("risky clause present: Most Favored Nation (p 0.88; contract terms playbook §13 Most favored nation): \"Customer shall be allowed the full benefit of any lower prices contained in any other agreement.\"", "13. Most favored nation")]
    [InlineData("risky clause present: Non-Compete (p 0.93; contract terms playbook §14 Non-compete): \"Distributor shall not sell competing products in the Territory.\"", "14. Non-compete")]
    public async Task PolicyFinding_FindsItsPlaybookSection_First(string explanation, string section)
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("contract-terms-playbook.md")), DocumentType.Markdown, "contract-terms-playbook");

        var hits = await service.SearchAsync("unfair contract terms clause fix playbook. " + explanation, 3);

        Assert.Equal(section, hits[0].Section);
    }
}
