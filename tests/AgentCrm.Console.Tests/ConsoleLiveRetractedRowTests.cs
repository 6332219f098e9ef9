using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// qa37a #4: with Live ticked, a row the CSM had acknowledged whose brief is then retracted stays shown acknowledged (not
/// bold), while the API already lists it among their unacknowledged briefs: the live row kept the acknowledgement whatever
/// the change. It is shown as a fresh list shows it: unacknowledged, until they acknowledge the retraction.
/// </summary>
public sealed class ConsoleLiveRetractedRowTests : HeadlessBrowserTests
{
    [Fact]
    public async Task Live_AnAcknowledgedRowRetracted_ShowsUnacknowledged_AsTheInboxListsIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var key = await CsmKeyAsync(app, "ana", "acme-1");
        using var ana = new HttpClient { BaseAddress = app.Address };
        ana.DefaultRequestHeaders.Add("X-Api-Key", key);
        using (var acknowledged = await ana.PostAsync($"/v1/briefs/{id}/acknowledge", null))
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        var page = await SignedInAsync(Browser, app, key);
        var row = page.Locator($"#briefs-table tr[data-brief-id='{id}']");
        await Assertions.Expect(row).ToHaveClassAsync("brief");
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");

        using (var vetoed = await app.Client.PostAsync($"/v1/briefs/{id}/veto", new StringContent("""{"reason":"renewed by phone"}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);

        await Assertions.Expect(row.Locator("td.status")).ToHaveTextAsync("retracted");
        await Assertions.Expect(row).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bunacknowledged\b"));
        // As her inbox lists it.
        var inbox = await ana.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/briefs?acknowledged=false");
        Assert.Contains(id, inbox.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
    }
}
