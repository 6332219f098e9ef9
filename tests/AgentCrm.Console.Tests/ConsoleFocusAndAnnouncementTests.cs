using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// Where focus goes when what had it disappears, and what a screen reader is told (QA qa34d, with axe): focus fell to the
/// page's body after sign-in, sign-out, Acknowledge, More loading the last page and Back from a brief that left the
/// "not yet acknowledged" list; rows were announced as "row" alone; the active tab was not marked; a list's change was not
/// announced; a refused veto reason was not marked invalid; the new-row highlight ignored "reduce motion".
/// </summary>
public sealed class ConsoleFocusAndAnnouncementTests : HeadlessBrowserTests
{
    [Fact]
    public async Task Focus_GoesToWhatComesNext_AfterSignInAcknowledgeBackAndSignOut()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow), .. Timelines.AtRisk("acme-2", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await CsmKeyAsync(app, "ana", "acme-1", "acme-2"));
        Assert.Equal("briefs-heading", await FocusedAsync(page));

        await page.Locator("#filter-unacknowledged").CheckAsync();
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("unacknowledged=1"));
        var rows = await page.Locator("#briefs-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.briefId)");
        Assert.True(rows.Length >= 2);
        await page.Locator($"#briefs-table tr[data-brief-id='{rows[0]}'] a").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#detail-headline")).ToBeFocusedAsync();
        await page.Locator("#acknowledge-button").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#acknowledge-button")).ToBeHiddenAsync();
        Assert.Equal("useful-button", await FocusedAsync(page));

        // Back: the brief left the "not yet acknowledged" list; focus goes to the row that took its place.
        await page.Locator("#detail-close").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{rows[0]}']")).ToHaveCountAsync(0);
        Assert.Equal("A@" + rows[1], await FocusedAsync(page));

        await page.Locator("#signout").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#signin")).ToBeVisibleAsync();
        Assert.Equal("credential", await FocusedAsync(page));
    }

    [Fact]
    public async Task Focus_GoesToTheFirstNewRow_WhenMoreLoadsTheLastPage()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Enumerable.Range(0, 30).SelectMany(i => Timelines.AtRisk($"c-{i:00}", now)));
        await app.WaitForProcessingAsync();
        var all = (await app.BriefsAsync()).Select(b => b.GetProperty("id").GetString()!).ToList();
        Assert.InRange(all.Count, 51, 100);
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));

        await page.Locator("#briefs-more").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#briefs-more")).ToBeHiddenAsync();
        Assert.Equal("A@" + all[50], await FocusedAsync(page));
        await Assertions.Expect(page.Locator("#briefs-announce")).ToHaveTextAsync($"{all.Count - 50} more briefs shown.");
    }

    [Fact]
    public async Task RowsAreLinks_TheActiveTabIsMarked_AnEmptyListIsAnnounced_AndARefusedReasonIsMarkedInvalid()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));

        Assert.Equal(0, await page.Locator("#briefs-table tr[tabindex]").CountAsync());
        Assert.Equal(await page.Locator("#briefs-table tbody tr").CountAsync(), await page.Locator("#briefs-table tbody tr a[href]").CountAsync());
        Assert.Equal("page", await page.Locator("#tab-briefs").GetAttributeAsync("aria-current"));
        await page.Locator("#tab-reviews").ClickAsync();
        await Assertions.Expect(page.Locator("#tab-reviews")).ToHaveAttributeAsync("aria-current", "page");
        Assert.Null(await page.Locator("#tab-briefs").GetAttributeAsync("aria-current"));
        await page.Locator("#tab-briefs").ClickAsync();

        await page.Locator("#filter-status").SelectOptionAsync("vetoed");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        var announce = page.Locator("#briefs-announce");
        await Assertions.Expect(announce).ToHaveTextAsync("No briefs.");
        Assert.Equal("status", await announce.GetAttributeAsync("role"));

        await page.Locator("#filter-status").SelectOptionAsync("");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await page.Locator("#briefs-table tbody tr").First.ClickAsync();
        await page.Locator("#veto-button").ClickAsync();
        var reason = page.Locator("#veto-reason");
        await Assertions.Expect(reason).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Contains("review-error", (await reason.GetAttributeAsync("aria-describedby"))!.Split(' '));
        await reason.FillAsync("Renewed by phone.");
        await Assertions.Expect(reason).Not.ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task TheNewRowHighlight_IsNotAnimated_WhenTheUserAsksForReducedMotion()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"),
            new BrowserNewPageOptions { ReducedMotion = ReducedMotion.Reduce });
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        var id = (await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!;
        using (var vetoed = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" }))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);

        var row = page.Locator($"#briefs-table tr.fresh[data-brief-id='{id}']");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        Assert.Equal("none", await row.EvaluateAsync<string>("r => getComputedStyle(r).animationName"));
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ReducedMotion = ReducedMotion.NoPreference });
        Assert.Equal("fresh", await row.EvaluateAsync<string>("r => getComputedStyle(r).animationName"));
    }

    /// <summary>
    /// Briefs the stream brought were placed by Date.parse, which keeps milliseconds only: two of one batch, written less than
    /// a millisecond apart, landed in the wrong order (the list differed from the API's until a reload), and a screen reader
    /// was not told of a new row (qa42a #6 and the live region).
    /// </summary>
    [Fact]
    public async Task Live_NewBriefsOfOneBatch_AreInTheApisOrder_AndEachIsAnnounced()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", now));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        // To the server's 100 ns, whatever digits it wrote.
        var signs = await page.EvaluateAsync<int[]>("""
            () => [
              compareInstants('2026-12-07T15:00:00.1234567+00:00', '2026-12-07T15:00:00.1231+00:00'),
              compareInstants('2026-12-07T15:00:00.123+00:00', '2026-12-07T15:00:00.1230001+00:00'),
              compareInstants('2026-12-07T15:00:00.12+00:00', '2026-12-07T15:00:00.1200000+00:00'),
              compareInstants('2026-12-07T15:00:01+00:00', '2026-12-07T15:00:00.9999999+00:00'),
            ].map(Math.sign)
            """);
        Assert.Equal([1, -1, 0, 1], signs);
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        string[] customers = ["beta-2", "gamma-3", "delta-4", "epsilon-5", "zeta-6"];
        await app.PostEventsAsync([.. customers.SelectMany(c => Timelines.AtRisk(c, now))]);
        await app.WaitForProcessingAsync();

        var rows = page.Locator("#briefs-table tbody tr");
        var expected = (await app.BriefsAsync("")).Select(b => b.GetProperty("id").GetString()!).ToArray();
        Assert.True(expected.Length >= 6, $"{expected.Length} briefs");
        await Assertions.Expect(rows).ToHaveCountAsync(expected.Length);
        Assert.Equal(expected, await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.briefId)"));
        await Assertions.Expect(page.Locator("#briefs-announce")).ToContainTextAsync("A brief was added to the list: ");
    }
}
