using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// A brief retracted after the CSM acknowledged it (qa36d #2): the console showed "Acknowledged …" and hid the button, as
/// the API kept it out of the inbox. Now it offers Acknowledge retraction again, whether the retraction comes live while
/// the brief is open or the brief is opened afterwards, and the second acknowledgement is recorded.
/// </summary>
public sealed class ConsoleRetractedAfterAcknowledgeTests : HeadlessBrowserTests
{
    [Fact]
    public async Task ABriefRetractedAfterItWasAcknowledged_OffersAcknowledgeRetractionAgain_LiveAndWhenOpened()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var key = await CsmKeyAsync(app, "ana", "acme-1");
        var page = await SignedInAsync(Browser, app, key);
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await page.Locator("#acknowledge-button").ClickAsync();
        await Assertions.Expect(page.Locator("#acknowledge-button")).ToBeHiddenAsync();

        using (var vetoed = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" }))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);

        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("retracted");
        await Assertions.Expect(page.Locator("#acknowledge-button")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#acknowledge-button")).ToHaveTextAsync("Acknowledge retraction");
        await Assertions.Expect(page.Locator("#response-state")).ToContainTextAsync("Withdrawn (retracted) after you acknowledged it");

        // Opened again from another page (not live): the same, from the API's myResponse.retractedSince.
        var other = await SignedInAsync(Browser, app, key);
        await Assertions.Expect(other.Locator($"#briefs-table tr.unacknowledged[data-brief-id='{id}']")).ToHaveCountAsync(1);
        await other.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await Assertions.Expect(other.Locator("#acknowledge-button")).ToHaveTextAsync("Acknowledge retraction");
        await other.Locator("#acknowledge-button").ClickAsync();
        await Assertions.Expect(other.Locator("#acknowledge-button")).ToBeHiddenAsync();
        await Assertions.Expect(other.Locator("#response-state")).ToContainTextAsync("Acknowledged ");
        var records = await app.GetJsonAsync($"/v1/audit?action=brief.acknowledged&subject=brief:{id}");
        Assert.Equal(2, records.GetProperty("items").GetArrayLength());
    }
}
