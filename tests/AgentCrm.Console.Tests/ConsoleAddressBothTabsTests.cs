using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// The address keeps both tabs' filters whichever tab is shown: a reload in the review queue kept the queue's choice but
/// dropped the briefs tab's filters from the address (only the tab shown had loaded, and only its filters were the list's),
/// so the next reload, or a link copied then, lost them (fix35c).
/// </summary>
public sealed class ConsoleAddressBothTabsTests : HeadlessBrowserTests
{
    [Fact]
    public async Task AReloadInTheReviewQueue_KeepsTheBriefsFiltersToo()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow), .. Timelines.AtRisk("beta-2", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#filter-customer").FillAsync("beta-2");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer=beta-2"));
        await page.Locator("#tab-reviews").ClickAsync();
        await page.Locator("#reviews-status").SelectOptionAsync("delivered");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("queue=delivered"));
        Assert.Contains("customer=beta-2", page.Url, StringComparison.Ordinal);

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#reviews")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#reviews-table tbody tr").First).ToBeVisibleAsync();
        Assert.Equal("delivered", await page.Locator("#reviews-status").InputValueAsync());
        Assert.Contains("queue=delivered", page.Url, StringComparison.Ordinal);
        Assert.Contains("customer=beta-2", page.Url, StringComparison.Ordinal);

        // And a second reload still has both; the briefs tab then shows its filtered list.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#reviews-table tbody tr").First).ToBeVisibleAsync();
        await page.Locator("#tab-briefs").ClickAsync();
        Assert.Equal("beta-2", await page.Locator("#filter-customer").InputValueAsync());
        await Assertions.Expect(page.Locator("#briefs-table tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#briefs-table tbody tr td:nth-child(2)", new PageLocatorOptions { HasTextString = "acme-1" })).ToHaveCountAsync(0);
        Assert.Contains("queue=delivered", page.Url, StringComparison.Ordinal);
        Assert.Contains("customer=beta-2", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReloadInTheBriefsTab_KeepsTheQueueChoiceToo()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#tab-reviews").ClickAsync();
        await page.Locator("#reviews-status").SelectOptionAsync("delivered");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("queue=delivered"));
        await page.Locator("#tab-briefs").ClickAsync();
        await Assertions.Expect(page.Locator("#briefs")).ToBeVisibleAsync();

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#briefs-table tbody tr").First).ToBeVisibleAsync();
        Assert.Contains("queue=delivered", page.Url, StringComparison.Ordinal);
        await page.Locator("#tab-reviews").ClickAsync();
        Assert.Equal("delivered", await page.Locator("#reviews-status").InputValueAsync());
    }
}
