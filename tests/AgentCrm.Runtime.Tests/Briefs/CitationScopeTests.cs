using System.Net;
using System.Text;
using AgentCrm.Briefs;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// Briefs cite only documents of their agent's scenario, over real HTTP with the bundled library: a compliance brief
/// cites the contract-terms playbook (never the renewal playbook or the GDPR), a tender brief the tender documents;
/// with the playbook deleted a compliance brief cites nothing, a document uploaded under the scenario is cited, and so is one
/// filed under none.
/// </summary>
public sealed class CitationScopeTests
{
    private const string ChoiceOfLawTerms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "These terms shall be governed by and construed in accordance with the laws of the State of California, without regard to its conflict of law provisions. " +
        "We hope you enjoy the service.";

    private static async Task<List<(string Document, string Section)>> CitationsAsync(AgentCrmApp app, string customerId, string agentId)
    {
        var brief = Assert.Single(await app.BriefsAsync($"&customerId={customerId}&agentId={agentId}"));
        return brief.GetProperty("citations").EnumerateArray()
            .Select(c => (c.GetProperty("documentId").GetString()!, c.GetProperty("section").GetString()!)).ToList();
    }

    [Fact]
    public async Task Briefs_CiteOnlyTheirScenariosDocuments_AndNothingRatherThanNoise()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" });
        var listed = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.All(CitationScope.Bundled.Keys, id => Assert.Contains(id, listed));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
            Ev.Make("acme", "profile", now.AddDays(-1), new { name = "ACME" }),
            Ev.Make("acme", "document", now, new { docType = "terms", text = ChoiceOfLawTerms }),
            Ev.Make("ssc", "profile", now.AddDays(-30), new { name = "Shared Services Canada" }),
            Ev.Make("ssc", "news", now.AddDays(-1), new { title = "TBIPS - Programmer/Software Developer Level 2", buyer = "Shared Services Canada", description = "Task-based informatics professional services" })])).StatusCode);
        await app.WaitForProcessingAsync();

        var compliance = await CitationsAsync(app, "acme", "compliance-check");
        Assert.NotEmpty(compliance);
        Assert.All(compliance, c => Assert.Equal("contract-terms-playbook", c.Document));
        Assert.Contains(compliance, c => c.Section.Contains("Choice of law", StringComparison.OrdinalIgnoreCase));
        var tender = await CitationsAsync(app, "ssc", "tender-detection");
        Assert.NotEmpty(tender);
        Assert.All(tender, c => Assert.Contains(c.Document, new[] { "tender-playbook", "18f-derisking-government-technology-federal-field-guide" }));

        // Without the contract-terms playbook, nothing else fits a compliance finding: the brief cites nothing and says so.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.DeleteAsync("/v1/knowledge/documents/contract-terms-playbook")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("globex", "document", now, new { docType = "terms", text = ChoiceOfLawTerms })])).StatusCode);
        await app.WaitForProcessingAsync();
        Assert.Empty(await CitationsAsync(app, "globex", "compliance-check"));
        Assert.Contains("Sources: no playbook or regulation section matched",
            Assert.Single(await app.BriefsAsync("&customerId=globex&agentId=compliance-check")).GetProperty("body").GetString(), StringComparison.Ordinal);

        // A document the operator files under the scenario is cited.
        const string house = "# Acme legal house rules\n\n## Governing law\n\nTerms governed by the laws of another state must keep the consumer's own mandatory law: send any choice of law clause to legal.";
        var created = await app.Client.PostAsync("/v1/knowledge/documents?id=house-rules&scenario=compliance-check", new StringContent(house, Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("initech", "document", now, new { docType = "terms", text = ChoiceOfLawTerms })])).StatusCode);
        await app.WaitForProcessingAsync();
        Assert.Equal(["house-rules"], (await CitationsAsync(app, "initech", "compliance-check")).Select(c => c.Document).Distinct());

        // A document filed under no scenario serves every agent, as before scenarios limited citations (an operator's library
        // ingested before keeps being cited); the bundled GDPR text, filed under none by design, stays out.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.DeleteAsync("/v1/knowledge/documents/house-rules")).StatusCode);
        var unfiled = await app.Client.PostAsync("/v1/knowledge/documents?id=legal-notes", new StringContent(house.Replace("Acme legal house rules", "Legal notes", StringComparison.Ordinal), Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, unfiled.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("umbrella", "document", now, new { docType = "terms", text = ChoiceOfLawTerms })])).StatusCode);
        await app.WaitForProcessingAsync();
        var cited = (await CitationsAsync(app, "umbrella", "compliance-check")).Select(c => c.Document).Distinct().ToList();
        Assert.Contains("legal-notes", cited);
        Assert.DoesNotContain("gdpr-regulation-eu-2016-679-en", cited);
    }
}
