using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// A long unbroken customer name in the briefs table (above the phone layout, where the list is a table): it wraps, and
/// the table stays as wide as the window. QA qa34d: 55 characters widened it past a 700 px window, 272 past 1280 px.
/// </summary>
public sealed class ConsoleTableWrapTests : HeadlessBrowserTests
{
    [Theory]
    [InlineData(700, "northwind-international-logistics-holdings.example.com")]
    [InlineData(1280, "")]
    public async Task ALongUnbrokenCustomerName_Wraps_AndTheTableFitsTheWindow(int width, string name)
    {
        if (name.Length == 0) name = "Acme" + new string('x', 268);
        await using var app = await AgentCrmApp.StartAsync();
        var events = Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow);
        events[0]["attributes"]!["name"] = name;
        await app.PostEventsAsync([.. events, .. Timelines.AtRisk("demo-04", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var page = await SignedInAsync(Browser, app, await app.CreateKeyAsync("reviewer", "rita"),
            new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 800 } });
        await Assertions.Expect(page.Locator("#briefs-table tbody tr td:nth-child(2)", new PageLocatorOptions { HasTextString = name }).First).ToBeVisibleAsync();

        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, document.getElementById('briefs-table').scrollWidth]");
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide in a {widths[1]} px window (the table {widths[2]} px)");
        // Short words still do not break inside a word: no status, and no customer id (at most after its hyphen).
        var split = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('#briefs-table td.status, #briefs-table td:nth-child(2) bdi:last-of-type')]
              .filter((e) => {
                const t = e.firstChild;
                let top = null;
                for (let i = 0; t && i < t.length; i++) {
                  const r = document.createRange();
                  r.setStart(t, i);
                  r.setEnd(t, i + 1);
                  const y = Math.round(r.getBoundingClientRect().top);
                  if (top !== null && y !== top && !/[-\s]/.test(t.data[i - 1])) return true;
                  top = y;
                }
                return false;
              })
              .map((e) => e.textContent)
            """);
        Assert.Empty(split);
    }

    /// <summary>A CSM's long unbroken feedback note, shown back under the brief, widened the page to 3,158 px in a 1,000 px window (qa42a #2).</summary>
    [Fact]
    public async Task ALongUnbrokenFeedbackNote_Wraps_AndThePageFitsTheWindow()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var id = await AtRiskBriefAsync(app, "acme-1");
        var page = await SignedInAsync(Browser, app, await CsmKeyAsync(app, "csm-a", "acme-1"),
            new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 800 } });
        await page.Locator($"#briefs-table tr[data-brief-id='{id}']").ClickAsync();
        var note = new string('x', 300);
        await page.Locator("#feedback-note").FillAsync(note);
        await page.Locator("#not-useful-button").ClickAsync();
        await Assertions.Expect(page.Locator("#response-state")).ToContainTextAsync(note);

        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide in a {widths[1]} px window");
    }
}
