using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AgentCrm.Access;
using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.Briefs;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// The web console in a real browser (Debian's chromium, headless) against a real server on loopback: what a CSM and a
/// reviewer do with it, and that a brief's text, which quotes customer data, is shown as text and never runs.
/// </summary>
public sealed class ConsoleBrowserTests : HeadlessBrowserTests
{
    private const string ScriptName = "<img src=x onerror=\"window.__xss=1\">Acme";
    [Fact]
    public async Task ACsm_SeesTheBriefsOfTheirAccountsOnly_CustomerDataAsText_AndOpensOne()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var acme = Timelines.AtRisk("acme-1", now);
        acme[0]["attributes"]!["name"] = ScriptName;
        await app.PostEventsAsync([.. acme, .. Timelines.AtRisk("other-2", now)]);
        await app.WaitForProcessingAsync();
        var key = await CsmKeyAsync(app, "ana", "acme-1");

        var page = await SignedInAsync(Browser, app, key);

        var customers = await page.Locator("#briefs-table tbody tr td:nth-child(2)").AllTextContentsAsync();
        Assert.NotEmpty(customers);
        Assert.All(customers, c => Assert.Equal($"{ScriptName} (acme-1)", c));
        Assert.Equal(0, await page.Locator("#briefs-table img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"), "a customer name ran as script");
        Assert.True(await page.Locator("#tab-reviews").IsHiddenAsync(), "a CSM was offered the review queue");

        await page.Locator("#briefs-table tbody tr").First.ClickAsync();
        await page.Locator("#detail").WaitForAsync();
        // The newest first, in the console as in the API.
        var brief = (await app.BriefsAsync("&customerId=acme-1"))[0];
        Assert.Equal(brief.GetProperty("headline").GetString(), await page.Locator("#detail-headline").TextContentAsync());
        Assert.Equal(brief.GetProperty("reasons").GetArrayLength(), await page.Locator("#detail-reasons tbody tr").CountAsync());
        Assert.True(await page.Locator("#review-actions").IsHiddenAsync(), "a CSM was offered veto and approve");
    }

    [Fact]
    public async Task AReviewer_VetoesFromTheQueue_AndTheServerRecordsIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var key = await app.CreateKeyAsync("reviewer", "rita");

        var page = await SignedInAsync(Browser, app, key);
        await page.Locator("#tab-reviews").ClickAsync();
        await page.Locator($"#reviews-table tr[data-brief-id='{id}']").ClickAsync();
        await page.Locator("#veto-button").ClickAsync();
        Assert.Equal("A veto needs a reason: why the brief is wrong.", await page.Locator("#review-error").TextContentAsync());
        await page.Locator("#veto-reason").FillAsync("The customer renewed by phone yesterday.");
        await page.Locator("#veto-button").ClickAsync();
        await Assertions.Expect(page.Locator("#review-result")).ToHaveTextAsync("Recorded: the brief is now retracted.");

        var stored = await app.GetJsonAsync($"/v1/briefs/{id}");
        Assert.Equal("retracted", stored.GetProperty("status").GetString());
        Assert.Equal("The customer renewed by phone yesterday.", stored.GetProperty("review").GetProperty("reason").GetString());
        Assert.Equal("key:rita", stored.GetProperty("review").GetProperty("reviewer").GetString());
        Assert.True(await page.Locator("#review-actions").IsHiddenAsync(), "a retracted brief still offered a veto");
    }

    /// <summary>Held briefs sat behind pages of delivered ones in the queue: the reviewer shows those awaiting review alone.</summary>
    [Fact]
    public async Task AReviewer_ShowsOnlyTheBriefsAwaitingReview_InTheQueue()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var store = app.Services.GetRequiredService<AgentCrm.Briefs.BriefStore>();
        var template = store.Get((await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!)!;
        string[] held = ["held-1", "held-2"];
        await app.Services.GetRequiredService<AgentCrm.Storage.SqliteWriter>().WriteAsync(ctx =>
        {
            foreach (var id in held)
                Assert.True(store.Add(ctx, template with { Id = id, CustomerId = id, Status = AgentCrm.Briefs.BriefStatus.PendingReview, ReviewUntil = null }, []));
        });
        var queued = (await app.GetJsonAsync("/v1/reviews?limit=500")).GetProperty("items").GetArrayLength();
        Assert.True(queued > held.Length, "the delivered briefs are in the queue too");

        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#tab-reviews").ClickAsync();
        await Assertions.Expect(page.Locator("#reviews-table tbody tr")).ToHaveCountAsync(queued);
        await page.Locator("#reviews-status").SelectOptionAsync("pendingReview");
        await Assertions.Expect(page.Locator("#reviews-table tbody tr")).ToHaveCountAsync(held.Length);
        var rows = page.Locator("#reviews-table tbody tr");
        Assert.Equal(held[0], await rows.Nth(0).GetAttributeAsync("data-brief-id"));
        Assert.Equal(held[1], await rows.Nth(1).GetAttributeAsync("data-brief-id"));
    }

    /// <summary>
    /// The console offered "Retract (veto)" on a held brief once approved, and on a brief whose window had closed: the
    /// server refuses both (409), so the form must not be there.
    /// </summary>
    [Fact]
    public async Task AReviewer_IsOfferedNoVeto_OnABriefApprovedFromTheQueue_OrOnePastItsWindow()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var store = app.Services.GetRequiredService<AgentCrm.Briefs.BriefStore>();
        var template = store.Get((await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!)!;
        await app.Services.GetRequiredService<AgentCrm.Storage.SqliteWriter>().WriteAsync(ctx =>
        {
            Assert.True(store.Add(ctx, template with { Id = "held-1", CustomerId = "held-1", Status = AgentCrm.Briefs.BriefStatus.PendingReview, ReviewUntil = null }, []));
            Assert.True(store.Add(ctx, template with { Id = "closed-1", CustomerId = "closed-1", ReviewUntil = DateTimeOffset.UtcNow.AddHours(-1) }, []));
        });

        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#tab-reviews").ClickAsync();
        await page.Locator("#reviews-table tr[data-brief-id='held-1']").ClickAsync();
        await page.Locator("#approve-button").ClickAsync();
        await Assertions.Expect(page.Locator("#review-result")).ToHaveTextAsync("Recorded: the brief is now delivered.");
        Assert.True(await page.Locator("#review-actions").IsHiddenAsync(), "a brief approved from the held queue still offered a veto");
        using (var veto = await app.Client.PostAsJsonAsync("/v1/briefs/held-1/veto", new { reason = "too late" }))
            Assert.Equal(HttpStatusCode.Conflict, veto.StatusCode);

        await page.Locator("#tab-briefs").ClickAsync();
        await page.Locator("#briefs-table tr[data-brief-id='closed-1']").ClickAsync();
        await Assertions.Expect(page.Locator("#detail-headline")).ToHaveTextAsync(template.Headline);
        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("Veto window closed");
        Assert.True(await page.Locator("#review-actions").IsHiddenAsync(), "a brief past its veto window still offered a veto");
    }

    [Fact]
    public async Task ACsm_AcknowledgesABriefAndSaysItWasNotUseful_AndItLeavesTheirUnacknowledgedList()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow), .. Timelines.AtRisk("acme-2", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var key = await CsmKeyAsync(app, "ana", "acme-1", "acme-2");
        var all = (await app.BriefsAsync("&customerId=acme-1")).Concat(await app.BriefsAsync("&customerId=acme-2")).Count();

        var page = await SignedInAsync(Browser, app, key);
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("signed in as ana (csm)");
        Assert.Equal(all, await page.Locator("#briefs-table tbody tr.unacknowledged").CountAsync());
        await page.Locator("#filter-unacknowledged").CheckAsync();
        await page.Locator("#filters button[type=submit]").ClickAsync();
        var first = page.Locator("#briefs-table tbody tr").First;
        var id = await first.GetAttributeAsync("data-brief-id");
        await first.ClickAsync();
        await Assertions.Expect(page.Locator("#response-state")).ToHaveTextAsync("Not acknowledged yet.");
        await page.Locator("#acknowledge-button").ClickAsync();
        await Assertions.Expect(page.Locator("#response-state")).ToContainTextAsync("Acknowledged ");
        Assert.True(await page.Locator("#acknowledge-button").IsHiddenAsync(), "an acknowledged brief still offered Acknowledge");
        await page.Locator("#feedback-note").FillAsync("We knew; the renewal call is booked.");
        await page.Locator("#not-useful-button").ClickAsync();
        await Assertions.Expect(page.Locator("#response-state")).ToContainTextAsync("you found it not useful: We knew; the renewal call is booked.");
        await page.Locator("#detail-close").ClickAsync();

        Assert.Equal(0, await page.Locator($"#briefs-table tr[data-brief-id='{id}']").CountAsync());
        Assert.Equal(all - 1, await page.Locator("#briefs-table tbody tr").CountAsync());
        using var csm = new HttpClient { BaseAddress = app.Address };
        csm.DefaultRequestHeaders.Add("X-Api-Key", key);
        var stored = await csm.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/briefs/{id}");
        Assert.False(stored.GetProperty("myResponse").GetProperty("useful").GetBoolean());
        Assert.Equal("We knew; the renewal call is booked.", stored.GetProperty("myResponse").GetProperty("note").GetString());
    }

    [Fact]
    public async Task Live_ABriefTheCsmAcknowledged_StaysOutOfTheirUnacknowledgedList_WhenItChanges_UntilItIsRetracted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", now));
        await app.WaitForProcessingAsync();
        var key = await CsmKeyAsync(app, "ana", "acme-1", "beta-3");
        var id = (await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!;
        using (var csm = new HttpClient { BaseAddress = app.Address })
        {
            csm.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var acknowledged = await csm.PostAsync($"/v1/briefs/{id}/acknowledge", null);
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        }
        var page = await SignedInAsync(Browser, app, key);
        await page.Locator("#filter-unacknowledged").CheckAsync();
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}']")).ToHaveCountAsync(0);
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        // A reviewer approves the brief Ana had read (the stream tells her), then a new brief comes for her other account.
        using var approved = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/approve", new { });
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        await app.PostEventsAsync(Timelines.AtRisk("beta-3", now));
        await app.WaitForProcessingAsync();

        await Assertions.Expect(page.Locator("#briefs-table tbody tr td:nth-child(2)", new PageLocatorOptions { HasTextString = "beta-3" }).First).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator($"#briefs-table tr[data-brief-id='{id}']").CountAsync());

        // Retracted after she acknowledged it: back in her inbox, unacknowledged, until she acknowledges the retraction (qa36d #2).
        using var vetoed = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" });
        Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);
        await Assertions.Expect(page.Locator($"#briefs-table tr.unacknowledged[data-brief-id='{id}']")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task AnUnknownCredential_IsRefusedWithAMessage_AndShowsNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(app.Address, "/console").ToString());

        await page.Locator("#credential").FillAsync("acrm_not-a-key");
        await page.Locator("#signin-button").ClickAsync();

        await Assertions.Expect(page.Locator("#signin-error")).ToHaveTextAsync("This credential is not known, or it has expired or been revoked.");
        Assert.True(await page.Locator("#briefs").IsHiddenAsync());
    }

    [Fact]
    public async Task AReloadWhileTheApiCannotBeReached_KeepsTheCredential_AndTheNextReloadSignsIn()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));

        // The API unreachable (a restart) as the page loads again: before, the credential was forgotten and had to be pasted again.
        await page.RouteAsync("**/v1/**", route => route.AbortAsync());
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("Reload the page to try again; you stay signed in.");
        await page.UnrouteAsync("**/v1/**");
        await page.ReloadAsync();

        await page.Locator("#briefs-table tbody tr").First.WaitForAsync();
        Assert.True(await page.Locator("#signin").IsHiddenAsync());
    }

    [Fact]
    public async Task Live_ANewBriefForTheCsmsAccountAppears_WithoutReloading()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", now));
        await app.WaitForProcessingAsync();
        var key = await CsmKeyAsync(app, "ana", "acme-1", "beta-3");
        var page = await SignedInAsync(Browser, app, key);
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        await app.PostEventsAsync([.. Timelines.AtRisk("beta-3", now), .. Timelines.AtRisk("gamma-4", now)]);
        await app.WaitForProcessingAsync();

        await Assertions.Expect(page.Locator("#briefs-table tbody tr td:nth-child(2)", new PageLocatorOptions { HasTextString = "beta-3" }).First).ToBeVisibleAsync();
        var customers = await page.Locator("#briefs-table tbody tr td:nth-child(2)").AllTextContentsAsync();
        Assert.DoesNotContain(customers, c => c.Contains("gamma-4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Live_TickedAfterBriefsWereWrittenSinceTheListLoaded_ShowsThemToo()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", now));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await CsmKeyAsync(app, "ana", "acme-1", "beta-3"));
        // Written after the list was loaded and before live was ticked: on no stream the page listened to.
        await app.PostEventsAsync(Timelines.AtRisk("beta-3", now));
        await app.WaitForProcessingAsync();

        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        var expected = (await app.BriefsAsync("&customerId=acme-1")).Concat(await app.BriefsAsync("&customerId=beta-3")).Count();
        await Assertions.Expect(page.Locator("#briefs-table tbody tr")).ToHaveCountAsync(expected);
        await Assertions.Expect(page.Locator("#briefs-table tbody tr td:nth-child(2)", new PageLocatorOptions { HasTextString = "beta-3" }).First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task More_GivesExactlyTheApisPages_EvenClickedTwice_OrAfterAFilterWasTypedButNotShown()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        // Two briefs per at-risk customer since a turn assesses its events in occurredAt order (2026-12-06): 35 make a second page.
        await app.PostEventsAsync(Enumerable.Range(0, 35).SelectMany(i => Timelines.AtRisk($"c-{i:00}", now)));
        await app.WaitForProcessingAsync();
        var all = (await app.BriefsAsync()).Select(b => b.GetProperty("id").GetString()).ToList();
        Assert.InRange(all.Count, 51, 100);
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));

        // A filter typed but not shown (More continues the list shown), and More double-clicked (one page, not two copies).
        await page.Locator("#filter-customer").FillAsync("c-00");
        await page.Locator("#briefs-more").DblClickAsync();
        await Assertions.Expect(page.Locator("#briefs-more")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#briefs-table tbody tr")).ToHaveCountAsync(all.Count);
        var shown = await page.Locator("#briefs-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.briefId)");
        Assert.Equal(all, shown);
    }

    [Fact]
    public async Task Live_ABriefThatNoLongerMatchesTheFilterLeavesTheList_AndARevokedKeyIsToldPlainly()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", now), .. Timelines.AtRisk("beta-2", now)]);
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#filter-status").SelectOptionAsync("delivered");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        var rows = page.Locator("#briefs-table tbody tr");
        var before = await rows.CountAsync();
        var id = await rows.First.GetAttributeAsync("data-brief-id");

        using var vetoed = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" });
        Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);

        await Assertions.Expect(rows).ToHaveCountAsync(before - 1);
        Assert.Equal(0, await page.Locator($"#briefs-table tr[data-brief-id='{id}']").CountAsync());

        await app.Services.GetRequiredService<ApiKeyStore>().RevokeAsync("rita", "test");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#briefs-error")).ToHaveTextAsync(
            "Your credential is no longer accepted (it was revoked or has expired): sign out and sign in again.");
    }

    [Fact]
    public async Task AReviewerWhoLostTheRace_SeesTheServersConflictAndTheVerdictThatWon_ByKeyboard()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        // A row's headline is its link (rows are not focusable themselves).
        await page.Locator($"#briefs-table tr[data-brief-id='{id}'] a").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#detail-headline")).ToBeFocusedAsync();

        using var first = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "another reviewer was quicker" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await page.Locator("#veto-reason").FillAsync("Wrong customer.");
        await page.Locator("#veto-button").ClickAsync();

        await Assertions.Expect(page.Locator("#review-error")).ToContainTextAsync("was already vetoed by");
        await Assertions.Expect(page.Locator("#review-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#detail-meta")).ToContainTextAsync("retracted");
        Assert.True(await page.Locator("#review-actions").IsHiddenAsync(), "a retracted brief still offered a veto");

        await page.Locator("#detail-close").ClickAsync();
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}'] a")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}'] td.status")).ToHaveTextAsync("retracted");
    }

    [Fact]
    public async Task OnAPhone_LongUnbrokenTextWraps_AndNothingScrollsSideways()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var events = Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow);
        events[0]["attributes"]!["name"] = "Acme" + new string('x', 300);
        await app.PostEventsAsync(events);
        await app.WaitForProcessingAsync();
        // A reviewer: the brief also shows the review form, whose longest choice used to widen the page.
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 375, Height = 740 } });

        await SignInAsync(page, app, key);
        Assert.True(await FitsAsync(page), "the list is wider than the phone");
        await page.Locator("#briefs-table tbody tr").First.ClickAsync();
        await page.Locator("#detail").WaitForAsync();
        Assert.True(await page.Locator("#veto-form").IsVisibleAsync());
        Assert.True(await FitsAsync(page), "the brief is wider than the phone");
    }

    /// <summary>
    /// The list's first page is read again (Show, a reconnect, an overflow) while the stream goes on: a brief streamed
    /// after the server answered the page but before the page arrived used to be put in the list and then wiped by the
    /// page, which did not have it yet.
    /// </summary>
    [Fact]
    public async Task Live_ABriefStreamedWhileTheListReloads_IsShownAfterTheReload_NotWipedByIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", now));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        // The server answers the list at once; the browser gets the answer only once the new brief has reached the page.
        var answered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/v1/briefs", async route =>
        {
            var response = await route.FetchAsync();
            answered.TrySetResult();
            await release.Task;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response });
        });
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await answered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await app.PostEventsAsync(Timelines.AtRisk("beta-2", now));
        await app.WaitForProcessingAsync();
        var id = (await app.BriefsAsync("&customerId=beta-2"))[0].GetProperty("id").GetString()!;
        await page.WaitForFunctionAsync(
            "id => !!document.querySelector(`#briefs-table tr[data-brief-id='${id}']`) || (state.briefsHeld || []).some((b) => b.id === id)", id);
        release.SetResult();

        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}']")).ToBeVisibleAsync();
        // Every brief once (live rows are placed by creation time, which briefs of one turn share: the order is not checked).
        Assert.Equal((await app.BriefsAsync()).Select(b => b.GetProperty("id").GetString()!).Order(), (await ShownIdsAsync(page)).Order());
    }

    /// <summary>
    /// A busy tab (its script runs without a pause) reads nothing from the stream while thousands of briefs are written:
    /// the server drops the oldest past its queue and says so (event: overflow). The console then reloads the list, and
    /// shows exactly the API's first page — not the briefs before the gap and after it with the dropped ones missing.
    /// </summary>
    [Fact]
    public async Task Live_ABusyTabThatMissedBriefs_ReloadsTheList_AndShowsExactlyTheApisFirstPage()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        var customers = Enumerable.Range(0, EveryNpsBriefs.Customers).Select(i => $"nps-{i:000}").ToList();
        await EveryNpsBriefs.WriteAsync(app, customers, 1);
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await SignedInAsync(Browser, app, key);
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        // Busy until a brief on "flag" exists, which the test writes after all the others (a synchronous request, so the
        // stream's data waits meanwhile).
        var busy = page.EvaluateAsync("""
            (key) => {
              for (;;) {
                const until = Date.now() + 250;
                while (Date.now() < until) { }
                const request = new XMLHttpRequest();
                request.open('GET', '/v1/briefs?limit=1&customerId=flag', false);
                request.setRequestHeader('X-Api-Key', key);
                request.send();
                if (JSON.parse(request.responseText).items.length > 0) return;
              }
            }
            """, key);
        // 15,000: the browser takes in some 7,600 before it stops reading (its own buffers and a grown socket buffer).
        await EveryNpsBriefs.WriteAsync(app, customers, 150);
        await EveryNpsBriefs.WriteAsync(app, ["flag"], 1);
        await busy.WaitAsync(TimeSpan.FromSeconds(60));

        var firstPage = (await app.BriefsAsync()).Take(50).Select(b => b.GetProperty("id").GetString()!).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string[] shown;
        while (!(shown = await ShownIdsAsync(page)).SequenceEqual(firstPage) && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        Assert.True(shown.SequenceEqual(firstPage), $"the list shows {shown.Length} briefs, not the API's first page of {firstPage.Count}");
        await Assertions.Expect(page.Locator("#briefs-more")).ToBeVisibleAsync();
        await Task.Delay(1000);
        Assert.Equal(firstPage, await ShownIdsAsync(page));
    }

    private static Task<string[]> ShownIdsAsync(IPage page) =>
        page.Locator("#briefs-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.briefId)");

    [Fact]
    public async Task Live_AnOpenStreamDoesNotHoldUpTheServerStopping()
    {
        var app = await AgentCrmApp.StartAsync();
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Add("X-Api-Key", await app.CreateKeyAsync("ops", "olga"));
        using var stream = await client.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);

        var stopping = Stopwatch.StartNew();
        await app.DisposeAsync();

        // A stream that held the stop up would hold it for the host's whole shutdown timeout (30 s by default) and more; a
        // stop takes well under a second. 20 s tells them apart on a busy CI machine.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"the server took {stopping.Elapsed} to stop with a stream open");
    }

    private static Task<bool> FitsAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth");
}

/// <summary>Debian's chromium (never Playwright's own download): <c>AGENTCRM_CHROMIUM</c>, else /usr/bin/chromium.</summary>
internal static class Chromium
{
    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("AGENTCRM_CHROMIUM") ?? "/usr/bin/chromium";
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"No chromium at {path}: install Debian's (apt-get install chromium; .ci/run does) or set AGENTCRM_CHROMIUM.");
        }
    }
}
