using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// The console's address says what it shows (its fragment: the list's filters and the open brief), so the browser's Back
/// closes a brief instead of leaving the console, a reload keeps the brief and the filters, and a brief can be linked
/// (QA qa34d: Back went to about:blank, a reload dropped the brief and the filters). The credential is never in it.
/// </summary>
public sealed class ConsoleAddressTests : HeadlessBrowserTests
{
    [Fact]
    public async Task TheBrowsersBack_ClosesTheOpenBrief_AndForwardOpensItAgain()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var brief = (await app.BriefsAsync("&customerId=acme-1"))[0];
        var id = brief.GetProperty("id").GetString()!;
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await SignedInAsync(Browser, app, key);

        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await Assertions.Expect(page.Locator("#detail-headline")).ToHaveTextAsync(brief.GetProperty("headline").GetString()!);
        Assert.Contains("brief=" + Uri.EscapeDataString(id), page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(key, page.Url, StringComparison.Ordinal);

        await page.GoBackAsync();
        await Assertions.Expect(page.Locator("#detail")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#briefs")).ToBeVisibleAsync();
        Assert.StartsWith(new Uri(app.Address, "/console").ToString(), page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("brief=", page.Url, StringComparison.Ordinal);

        await page.GoForwardAsync();
        await Assertions.Expect(page.Locator("#detail-headline")).ToHaveTextAsync(brief.GetProperty("headline").GetString()!);
        // The page's own Back does what the browser's does: the brief is closed and the browser's Back leaves no brief to close.
        await page.Locator("#detail-close").ClickAsync();
        await Assertions.Expect(page.Locator("#briefs")).ToBeVisibleAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console$"));
    }

    [Fact]
    public async Task AReload_KeepsTheFiltersAndTheOpenBrief()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow), .. Timelines.AtRisk("beta-2", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var brief = (await app.BriefsAsync("&customerId=beta-2"))[0];
        var id = brief.GetProperty("id").GetString()!;
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#filter-customer").FillAsync("beta-2");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#briefs-table tbody tr td:nth-child(2)", new PageLocatorOptions { HasTextString = "acme-1" })).ToHaveCountAsync(0);
        var shown = await page.Locator("#briefs-table tbody tr").CountAsync();
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await Assertions.Expect(page.Locator("#detail-headline")).ToHaveTextAsync(brief.GetProperty("headline").GetString()!);

        await page.ReloadAsync();

        await Assertions.Expect(page.Locator("#detail-headline")).ToHaveTextAsync(brief.GetProperty("headline").GetString()!);
        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("beta-2");
        await page.Locator("#detail-close").ClickAsync();
        await Assertions.Expect(page.Locator("#briefs")).ToBeVisibleAsync();
        Assert.Equal("beta-2", await page.Locator("#filter-customer").InputValueAsync());
        await Assertions.Expect(page.Locator("#briefs-table tbody tr")).ToHaveCountAsync(shown);
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}'] a")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task ARowIsALinkToItsBrief_WhichOpensInAnotherTabAfterSignIn_WithoutTheCredentialInIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var brief = (await app.BriefsAsync("&customerId=acme-1"))[^1];
        var id = brief.GetProperty("id").GetString()!;
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await SignedInAsync(Browser, app, key);

        var link = page.Locator($"#briefs-table tr[data-brief-id='{id}'] a");
        await Assertions.Expect(link).ToHaveTextAsync(brief.GetProperty("headline").GetString()!);
        var href = await link.GetAttributeAsync("href");
        Assert.NotNull(href);
        Assert.DoesNotContain(key, href, StringComparison.Ordinal);

        // Another tab (its own session storage: signed out) at that address: signing in shows the brief.
        var other = await Browser.NewPageAsync();
        await other.GotoAsync(new Uri(new Uri(app.Address, "/console"), href).ToString());
        await other.Locator("#credential").FillAsync(key);
        await other.Locator("#signin-button").ClickAsync();
        await Assertions.Expect(other.Locator("#detail-headline")).ToHaveTextAsync(brief.GetProperty("headline").GetString()!);
        Assert.Equal(id, await other.EvaluateAsync<string>("() => state.current.id"));
        // Its Back returns to the list (there is no page before it in this tab's history).
        await other.Locator("#detail-close").ClickAsync();
        await Assertions.Expect(other.Locator("#briefs")).ToBeVisibleAsync();
        Assert.DoesNotContain("brief=", other.Url, StringComparison.Ordinal);
    }
}
