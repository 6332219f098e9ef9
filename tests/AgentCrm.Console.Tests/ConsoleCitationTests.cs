using System.Net;
using System.Text;
using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Console.Tests;

/// <summary>
/// A brief's citations in the console, in a real browser: each names its document and section once. The text before a
/// document's first heading is filed under the document's title, and was shown as "Rescue notes § Rescue notes".
/// </summary>
public sealed class ConsoleCitationTests : HeadlessBrowserTests
{
    [Fact]
    public async Task ACitationOfADocumentsOpeningText_NamesTheDocumentOnce_AndASectionAfterIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Text before any section heading, then one section: a renewal brief cites both (tickets, then a failed payment).
        const string notes = """
            # Rescue notes
            Unresolved tickets weigh on every renewal: fix open support tickets first and call the customer back.

            ## Billing
            A failed payment needs a call to the billing contact within two days.
            """;
        using (var created = await app.Client.PostAsync("/v1/knowledge/documents?id=rescue-notes&scenario=renewal-risk", new StringContent(notes, Encoding.UTF8, "text/markdown")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var brief = (await app.BriefsAsync("&customerId=acme-1"))[0];
        var sections = brief.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("section").GetString()).ToList();
        Assert.Contains("Rescue notes", sections);
        Assert.Contains("Billing", sections);

        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(app.Address, "/console").ToString());
        await page.Locator("#credential").FillAsync(await app.CreateKeyAsync("admin"));
        await page.Locator("#signin-button").ClickAsync();
        await page.Locator($"#briefs-table tbody tr[data-brief-id='{brief.GetProperty("id").GetString()}']").ClickAsync();
        await page.Locator("#detail").WaitForAsync();

        var shown = await page.Locator("#detail-citations li strong").AllTextContentsAsync();
        Assert.Contains("Rescue notes (opening text)", shown);
        Assert.Contains("Rescue notes § Billing", shown);
        Assert.DoesNotContain("Rescue notes § Rescue notes", shown);
    }
}
