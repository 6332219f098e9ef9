using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// One browser tab, several people: what sign-out forgets (answers still in flight, filters, unsent drafts), a refused
/// Show that leaves the list as it was, and a pasted credential with characters a key never has.
/// </summary>
public sealed class ConsoleSessionTests : HeadlessBrowserTests
{
    /// <summary>The brief's answer came after sign-out: it was rendered and shown under the sign-in form.</summary>
    [Fact]
    public async Task SigningOutWhileABriefLoads_ShowsNothingOfIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var page = await SignedInAsync(app, await app.CreateKeyAsync("reviewer", "rita"));
        var (asked, release) = await HoldAsync(page, $"/v1/briefs/{id}");

        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await asked.WaitAsync(TimeSpan.FromSeconds(30));
        await page.Locator("#signout").ClickAsync();
        release.SetResult();
        await SettledAsync(page);

        Assert.True(await page.Locator("#detail").IsHiddenAsync(), "the brief was shown after sign-out");
        Assert.Equal("", await page.Locator("#detail-headline").TextContentAsync());
        Assert.Equal(0, await page.Locator("#briefs-table tbody tr").CountAsync());
        Assert.True(await page.Locator("#signin").IsVisibleAsync());
    }

    /// <summary>A list's answer came after sign-out: it filled the (hidden) table with what the credential could see.</summary>
    [Fact]
    public async Task SigningOutWhileTheListLoads_LeavesTheTableEmpty()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(app, await app.CreateKeyAsync("reviewer", "rita"));
        var (asked, release) = await HoldAsync(page, "/v1/briefs");

        await page.Locator("#filters button[type=submit]").ClickAsync();
        await asked.WaitAsync(TimeSpan.FromSeconds(30));
        await page.Locator("#signout").ClickAsync();
        release.SetResult();
        await SettledAsync(page);

        Assert.Equal(0, await page.Locator("#briefs-table tbody tr").CountAsync());
        Assert.Equal("", await page.Locator("#briefs-error").TextContentAsync());
    }

    /// <summary>
    /// Sign-out kept the filters and the drafts: the next user on the tab got the last one's veto reason pre-filled, and a
    /// CSM's first list was refused (403) on the last user's customer filter.
    /// </summary>
    [Fact]
    public async Task SigningOut_ClearsFiltersAndUnsentDrafts_ForTheNextUser()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", now), .. Timelines.AtRisk("beta-2", now)]);
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(app, await app.CreateKeyAsync("admin", "ada"));

        await page.Locator("#briefs-table tbody tr").First.ClickAsync();
        await page.Locator("#veto-reason").FillAsync("Ada's unsent reason");
        await page.Locator("#veto-label").SelectOptionAsync("true");
        await page.Locator("#review-note").FillAsync("Ada's unsent note");
        await page.Locator("#feedback-note").FillAsync("Ada's unsent feedback");
        await page.Locator("#detail-close").ClickAsync();
        await page.Locator("#filter-status").SelectOptionAsync("delivered");
        await page.Locator("#filter-customer").FillAsync("beta-2");
        await page.Locator("#filter-agent").FillAsync("some-agent");
        await page.Locator("#signout").ClickAsync();

        var left = await page.EvaluateAsync<string[]>(
            "() => ['filter-status', 'filter-customer', 'filter-agent', 'veto-reason', 'veto-label', 'review-note', 'feedback-note', 'credential']" +
            ".filter((id) => document.getElementById(id).value !== '')");
        Assert.Empty(left);

        // The next user, a CSM of acme-1 alone, gets their list, not a refusal on beta-2.
        await SignInAsync(page, app, await CsmKeyAsync(app, "ana", "acme-1"));
        Assert.Equal("", await page.Locator("#briefs-error").TextContentAsync());
        var expected = (await app.BriefsAsync("&customerId=acme-1")).Select(b => b.GetProperty("id").GetString()!);
        Assert.Equal(expected, await ShownIdsAsync(page));
    }

    /// <summary>
    /// A Show refused (403: a customer not the CSM's) kept the old rows but took the refused filter as the list's: live
    /// briefs were then placed by that filter, and those of the list shown went missing.
    /// </summary>
    [Fact]
    public async Task ARefusedShow_KeepsTheListAndItsFilter_SoLiveBriefsStillArrive()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", now));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(app, await CsmKeyAsync(app, "ana", "acme-1", "beta-3"));
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        var before = await ShownIdsAsync(page);

        await page.Locator("#filter-customer").FillAsync("other-9");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#briefs-error")).ToContainTextAsync("The list below is still the one shown before.");
        Assert.Equal(before, await ShownIdsAsync(page));

        await app.PostEventsAsync(Timelines.AtRisk("beta-3", now));
        await app.WaitForProcessingAsync();
        var id = (await app.BriefsAsync("&customerId=beta-3"))[0].GetProperty("id").GetString()!;
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}']")).ToBeVisibleAsync();
    }

    /// <summary>
    /// A smart quote or the README's "acrm_…" made fetch throw on the header: the console said the server could not be
    /// reached and kept the value, so every reload failed the same way. A zero-width space pasted at the end is dropped.
    /// </summary>
    [Fact]
    public async Task ACredentialWithCharactersAKeyNeverHas_IsRefusedPlainly_AndNotKept()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(app.Address, "/console").ToString());

        foreach (var bad in new[] { "\u201c" + key + "\u201d", "acrm_\u2026", "acrm_ \u00e9" })
        {
            await page.Locator("#credential").FillAsync(bad);
            await page.Locator("#signin-button").ClickAsync();
            await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("The key contains characters a key never has");
            Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('agentcrm.credential')"));
        }

        await page.Locator("#credential").FillAsync(" " + key + "\u200b");
        await page.Locator("#signin-button").ClickAsync();
        await page.Locator("#briefs-table tbody tr").First.WaitForAsync();
        Assert.Equal(key, await page.EvaluateAsync<string?>("() => sessionStorage.getItem('agentcrm.credential')"));
    }

    /// <summary>
    /// What a refusal says: an error equal to the detail was said twice, and a proxy's HTML page came out as a JSON parse
    /// error ("Unexpected token '&lt;'").
    /// </summary>
    [Fact]
    public async Task ARefusalIsSaidOnce_AndAnAnswerThatIsNotJsonIsNamedAsSuch()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(app, await app.CreateKeyAsync("reviewer", "rita"));
        var answer = new RouteFulfillOptions();
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/v1/briefs", route => route.FulfillAsync(answer));
        var show = page.Locator("#filters button[type=submit]");
        var error = page.Locator("#briefs-error");

        answer = new RouteFulfillOptions
        {
            Status = 400, ContentType = "application/problem+json",
            Body = """{"title":"Bad request","detail":"Unknown customer.","errors":{"customerId":["Unknown customer."],"agentId":["Too long."]}}""",
        };
        await show.ClickAsync();
        await Assertions.Expect(error).ToHaveTextAsync("Unknown customer. — agentId: Too long. The list below is still the one shown before.");

        answer = new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html><body>Sign in to the proxy</body></html>" };
        await show.ClickAsync();
        await Assertions.Expect(error).ToHaveTextAsync(
            "The server answered with something that is not JSON (HTTP 200, text/html) — a proxy in the way? The list below is still the one shown before.");

        answer = new RouteFulfillOptions { Status = 502, ContentType = "text/html", Body = "<html><body>Bad Gateway</body></html>" };
        await show.ClickAsync();
        await Assertions.Expect(error).ToContainTextAsync("HTTP 502");
        await Assertions.Expect(error).ToContainTextAsync("(from a proxy?)");
    }

    /// <summary>
    /// An unclosed right-to-left override in a customer's name reversed the id after it (it could fake another id); and where
    /// the server wrote the name into the headline and body ("Evil‮Corp scored 0.84 … (threshold 0.60)") only the Customer
    /// cell isolated it, so the override reversed the rest of the line and a CSM read a score of 48.0 (qa42a #1).
    /// </summary>
    [Fact]
    public async Task ACustomersNameIsIsolated_ItsDirectionDoesNotReachTheIdAfterIt_NorTheScoreInTheHeadlineAndBody()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var events = Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow);
        events[0]["attributes"]!["name"] = "Evil\u202eCorp";
        await app.PostEventsAsync(events);
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(app, await app.CreateKeyAsync("reviewer", "rita"));

        var cell = page.Locator("#briefs-table tbody tr td:nth-child(2)").First;
        Assert.Equal("Evil\u202eCorp (acme-1)", await cell.TextContentAsync());
        // The name in an isolate of its own, which the override cannot leave; the id outside it.
        Assert.Equal("Evil\u202eCorp", await cell.Locator("bdi").First.TextContentAsync());
        Assert.Equal("isolate", await cell.Locator("bdi").First.EvaluateAsync<string>("b => getComputedStyle(b).unicodeBidi"));

        var link = page.Locator("#briefs-table tbody tr a").First;
        Assert.Contains("Evil\u202eCorp", await link.Locator("bdi bdi").AllTextContentsAsync());
        await link.ClickAsync();
        await Assertions.Expect(page.Locator("#detail")).ToBeVisibleAsync();
        Assert.Contains("Evil\u202eCorp", await page.Locator("#detail-headline bdi bdi").AllTextContentsAsync());
        var body = page.Locator("#detail-body");
        Assert.StartsWith("Evil\u202eCorp scored ", await body.TextContentAsync());
        var isolated = body.Locator("bdi").First;
        Assert.Equal("Evil\u202eCorp", await isolated.TextContentAsync());
        Assert.Equal("isolate", await isolated.EvaluateAsync<string>("b => getComputedStyle(b).unicodeBidi"));
    }

    /// <summary>
    /// A reason that quotes the name (a rules template's <c>{profile.name} has {tickets.open} open tickets</c>) was isolated
    /// whole, the name inside it not, so its override still turned "15" into "51"; and a one-letter value (a grade "e") was
    /// isolated at every match, splitting a long body into hundreds of pieces (rev42 #4, #5).
    /// </summary>
    [Fact]
    public async Task ANameQuotedInsideAReason_IsIsolatedInIt_AndAnAsciiValueSplitsNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(app.Address, "/console").ToString());
        var counts = await page.EvaluateAsync<int[]>("""
            () => {
              const name = 'Evil\u202eCorp';
              const brief = { customerName: name, citations: [], reasons: [
                { field: 'tickets.open', value: 15, weight: 0.4, explanation: name + ' has 15 open tickets' },
                { field: 'grade', value: 'e', weight: 0.1, explanation: 'grade e' }] };
              const body = name + ' scored 0.84 on a 1.0.0 (threshold 0.60).\n\nWhy:\n- ' + name + ' has 15 open tickets (weight +0.40)\n- Grade e (weight +0.10)';
              const pre = document.createElement('pre');
              pre.append(...isolating(body, brief));
              const bdis = [...pre.querySelectorAll('bdi')];
              return [bdis.filter((b) => b.textContent === name).length, bdis.length, pre.textContent === body ? 1 : 0];
            }
            """);
        // The name twice (alone, and inside the reason, which is isolated too), nothing for the all-ASCII "e", the text whole.
        Assert.Equal([2, 3, 1], counts);
    }

    /// <summary>
    /// A CSM with a brief open edits the address to another account's brief: the 404 went to the hidden list and showed only
    /// after Back, about a brief no longer looked at (qa42a #4).
    /// </summary>
    [Fact]
    public async Task AnAddressEditedToABriefNotOnesOwn_WhileABriefIsOpen_SaysSoOverTheOpenBrief()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var mine = await AtRiskBriefAsync(app, "acme-1");
        var theirs = await AtRiskBriefAsync(app, "beta-2");
        var page = await SignedInAsync(app, await CsmKeyAsync(app, "csm-a", "acme-1"));
        await page.Locator($"#briefs-table tr[data-brief-id='{mine}']").ClickAsync();
        await Assertions.Expect(page.Locator("#detail")).ToBeVisibleAsync();

        await page.EvaluateAsync("id => { location.hash = 'brief=' + id; }", theirs);

        await Assertions.Expect(page.Locator("#detail-error")).ToContainTextAsync(theirs);
        Assert.True(await page.Locator("#detail").IsVisibleAsync());
        Assert.Contains(mine, page.Url);
        Assert.Equal("", await page.Locator("#briefs-error").TextContentAsync());
    }

    /// <summary>
    /// Signed out while the first list loaded, on an address naming a brief: the page then asked for that brief anyway, with
    /// no credential (qa42a #5).
    /// </summary>
    [Fact]
    public async Task SigningOutWhileTheFirstListLoads_DoesNotAskForTheBriefTheAddressNamed()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await Browser.NewPageAsync();
        var asked = new List<string>();
        page.Request += (_, request) =>
        {
            lock (asked)
                asked.Add(new Uri(request.Url).AbsolutePath);
        };
        await page.GotoAsync(new Uri(app.Address, "/console#brief=" + id).ToString());
        // The first list page (sign-in's own check asks for one brief).
        var (listAsked, release) = await HoldAsync(page, url => url.AbsolutePath == "/v1/briefs" && !url.Query.Contains("limit=1", StringComparison.Ordinal));
        await page.Locator("#credential").FillAsync(key);
        await page.Locator("#signin-button").ClickAsync();
        await listAsked.WaitAsync(TimeSpan.FromSeconds(30));
        await page.Locator("#signout").ClickAsync();
        release.SetResult();
        await SettledAsync(page);

        lock (asked)
            Assert.DoesNotContain($"/v1/briefs/{id}", asked);
        Assert.True(await page.Locator("#signin").IsVisibleAsync());
        Assert.True(await page.Locator("#detail").IsHiddenAsync());
    }

    // Holds the first request for path until released (then passes it on; sign-out may have aborted it meanwhile).
    private static Task<(Task Asked, TaskCompletionSource Release)> HoldAsync(IPage page, string path) =>
        HoldAsync(page, url => url.AbsolutePath == path);

    private static async Task<(Task Asked, TaskCompletionSource Release)> HoldAsync(IPage page, Func<Uri, bool> held)
    {
        var asked = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await page.RouteAsync(url => held(new Uri(url)), async route =>
        {
            if (!asked.TrySetResult())
            {
                await route.ContinueAsync();
                return;
            }
            await release.Task;
            try
            {
                await route.ContinueAsync();
            }
            catch (PlaywrightException)
            {
                // aborted by the page: what sign-out is to do
            }
        });
        return (asked.Task, release);
    }

    // Time for a held answer to reach the page and its handlers to run (or not).
    private static async Task SettledAsync(IPage page)
    {
        await Task.Delay(1500);
        await page.EvaluateAsync("() => new Promise((resolve) => setTimeout(resolve, 0))");
    }

    private static Task<string[]> ShownIdsAsync(IPage page) =>
        page.Locator("#briefs-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.briefId)");

    private async Task<IPage> SignedInAsync(AgentCrmApp app, string key)
    {
        var page = await Browser.NewPageAsync();
        await SignInAsync(page, app, key);
        return page;
    }

    private static async Task SignInAsync(IPage page, AgentCrmApp app, string key)
    {
        if (page.Url == "about:blank") await page.GotoAsync(new Uri(app.Address, "/console").ToString());
        await page.Locator("#credential").FillAsync(key);
        await page.Locator("#signin-button").ClickAsync();
        await page.Locator("#briefs-table tbody tr").First.WaitForAsync();
    }
}
