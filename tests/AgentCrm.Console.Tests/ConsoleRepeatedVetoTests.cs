using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// The same reviewer vetoes a brief again (another tab, another reason): the API answers 200 with the first veto kept (a
/// repeat records nothing). The console said "Recorded" and cleared the form, so what the reviewer typed was lost (QA qa34d).
/// </summary>
public sealed class ConsoleRepeatedVetoTests : HeadlessBrowserTests
{
    [Fact]
    public async Task AReviewerVetoingABriefTheyHadVetoedInAnotherTab_IsToldTheFirstReasonStands_AndKeepsWhatTheyTyped()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (page, id) = await OpenedThenVetoedInAnotherTabAsync(app, new { reason = "Renewed by phone." });
        await page.Locator("#veto-reason").FillAsync("Wrong customer: this is the parent account.");
        await page.Locator("#veto-label").SelectOptionAsync("true");
        await page.Locator("#veto-button").ClickAsync();

        await Assertions.Expect(page.Locator("#review-error")).ToContainTextAsync("already vetoed");
        await Assertions.Expect(page.Locator("#review-error")).ToContainTextAsync("Renewed by phone.");
        await Assertions.Expect(page.Locator("#review-error")).ToContainTextAsync("Wrong customer: this is the parent account.");
        Assert.Equal("", await page.Locator("#review-result").TextContentAsync());
        Assert.Equal("Wrong customer: this is the parent account.", await page.Locator("#veto-reason").InputValueAsync());
        var stored = await app.GetJsonAsync($"/v1/briefs/{id}");
        Assert.Equal("Renewed by phone.", stored.GetProperty("review").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AReviewersOwnVeto_IsStillRecordedAsBefore()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"));
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await page.Locator("#veto-reason").FillAsync("Renewed by phone.");
        await page.Locator("#veto-label").SelectOptionAsync("false");
        await page.Locator("#review-note").FillAsync("Checked the CRM.");
        await page.Locator("#veto-button").ClickAsync();

        await Assertions.Expect(page.Locator("#review-result")).ToHaveTextAsync("Recorded: the brief is now retracted.");
        Assert.Equal("", await page.Locator("#review-error").TextContentAsync());
        Assert.Equal("", await page.Locator("#veto-reason").InputValueAsync());
    }

    /// <summary>
    /// The recorded reason carried a direction override: quoted without an isolate, it reversed the rest of the message,
    /// the reviewer's own reason included; and it named a note "" the reviewer never typed (qa42a #3).
    /// </summary>
    [Fact]
    public async Task TheFirstVetosReason_IsQuotedIsolated_AndANoteNotTypedIsNotSaidToBeLost()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (page, _) = await OpenedThenVetoedInAnotherTabAsync(app, new { reason = "Renewed \u202eby phone", note = "checked the CRM" });

        await page.Locator("#veto-reason").FillAsync("Wrong customer.");
        await page.Locator("#veto-button").ClickAsync();

        var said = page.Locator("#review-error");
        await Assertions.Expect(said).ToContainTextAsync("already vetoed");
        Assert.Equal(["Renewed \u202eby phone", "Wrong customer."], await said.Locator("bdi").AllTextContentsAsync());
        Assert.DoesNotContain("note “", await said.TextContentAsync());
    }

    /// <summary>A reviewer's brief open in the console, then vetoed with <paramref name="veto"/> by the same reviewer in another tab (here, the API with the same key).</summary>
    private async Task<(IPage Page, string Id)> OpenedThenVetoedInAnotherTabAsync(AgentCrmApp app, object veto)
    {
        var id = await AtRiskBriefAsync(app, "acme-1");
        var key = await app.CreateKeyAsync("reviewer", "rita");
        var page = await SignedInAsync(Browser, app, key);
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        await Assertions.Expect(page.Locator("#review-actions")).ToBeVisibleAsync();
        using var rita = ClientFor(app, key);
        using var first = await rita.PostAsJsonAsync($"/v1/briefs/{id}/veto", veto);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        return (page, id);
    }
}
