using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;

namespace AgentCrm.Console.Tests;

/// <summary>Signing in to the console, and the keys its users hold, for the browser tests of fixes found by QA.</summary>
internal static class ConsolePages
{
    /// <summary>Posts an at-risk timeline for <paramref name="customerId"/>, waits until it is applied and returns the id of the brief it wrote.</summary>
    public static async Task<string> AtRiskBriefAsync(AgentCrmApp app, string customerId)
    {
        await app.PostEventsAsync(Timelines.AtRisk(customerId, DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        return (await app.BriefsAsync($"&customerId={customerId}"))[0].GetProperty("id").GetString()!;
    }

    public static async Task<string> CsmKeyAsync(AgentCrmApp app, string csm, params string[] accounts)
    {
        using var assigned = await app.Client.PutAsJsonAsync($"/v1/csms/{csm}/accounts", new { accounts });
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        return await app.CreateKeyAsync("csm", csm);
    }

    public static async Task<IPage> SignedInAsync(IBrowser browser, AgentCrmApp app, string key, BrowserNewPageOptions? options = null)
    {
        var page = await browser.NewPageAsync(options);
        await SignInAsync(page, app, key);
        return page;
    }

    public static async Task SignInAsync(IPage page, AgentCrmApp app, string key, string fragment = "")
    {
        await page.GotoAsync(new Uri(app.Address, "/console" + fragment).ToString());
        await page.Locator("#credential").FillAsync(key);
        await page.Locator("#signin-button").ClickAsync();
        await page.Locator("#briefs-table tbody tr").First.WaitForAsync();
    }

    /// <summary>The id of the focused element, or its tag (BODY when focus was lost), with the brief id of its row if it is in one.</summary>
    public static Task<string> FocusedAsync(IPage page) => page.EvaluateAsync<string>(
        "() => { const e = document.activeElement; const row = e && e.closest('tr[data-brief-id]'); return (e.id || e.tagName) + (row ? '@' + row.dataset.briefId : ''); }");

    public static HttpClient ClientFor(AgentCrmApp app, string key)
    {
        var client = new HttpClient { BaseAddress = app.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }
}
