using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// A brief that changes (a veto) while it is open with live on: the open brief shows the change, and Back does not put
/// the list's row back as it was when the brief was opened (QA qa34d: the row said "delivered" again, bold for a CSM,
/// though the API said retracted).
/// </summary>
public sealed class ConsoleLiveOpenBriefTests : HeadlessBrowserTests
{
    [Fact]
    public async Task Live_AVetoOfTheOpenBrief_ShowsInIt_AndBackKeepsTheRowRetracted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var page = await SignedInAsync(Browser, app, await CsmKeyAsync(app, "ana", "acme-1"));
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("delivered");

        using (var vetoed = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" }))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);

        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("retracted");
        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("renewed by phone");
        await page.Locator("#detail-close").ClickAsync();
        var status = page.Locator($"#briefs-table tr[data-brief-id='{id}'] td.status");
        await Assertions.Expect(status).ToHaveTextAsync("retracted");
        await Task.Delay(500);
        Assert.Equal("retracted", await status.TextContentAsync());
        Assert.Equal("retracted", (await app.GetJsonAsync($"/v1/briefs/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Live_AReviewerLooksAtABriefAnotherRetracts_AndIsNoLongerOfferedAVeto()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await Assertions.Expect(page.Locator("#review-actions")).ToBeVisibleAsync();
        await page.Locator("#veto-reason").FillAsync("Half-typed reason");

        using var other = ClientFor(app, await app.CreateKeyAsync("reviewer", "rob"));
        using (var vetoed = await other.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" }))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);

        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("retracted");
        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("key:rob");
        await Assertions.Expect(page.Locator("#review-actions")).ToBeHiddenAsync();
    }
}
