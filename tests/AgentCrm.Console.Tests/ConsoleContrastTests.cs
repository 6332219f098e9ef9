using System.Net;
using System.Net.Http.Json;
using AgentCrm.Runtime.Tests;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Playwright;
using static AgentCrm.Console.Tests.ConsolePages;

namespace AgentCrm.Console.Tests;

/// <summary>
/// Every text on the console against what is behind it, in the light and the dark colour scheme (the page takes either:
/// color-scheme: light dark), at least 4.5:1 (WCAG 1.4.3). The fixed red of errors and of vetoed/retracted briefs was
/// 2.90:1 on the dark canvas (QA qa34d). The ratios are computed from the browser's computed styles.
/// </summary>
public sealed class ConsoleContrastTests : HeadlessBrowserTests
{
    // Each element with text of its own (and every error line and status cell, empty or hidden, whose colour is set
    // anyway): its colour, faded by its and its ancestors' opacity, over its backgrounds composed down to the canvas.
    private const string LowContrast = """
        () => {
          const rgba = (c) => { const p = c.match(/[\d.]+/g).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
          const over = (f, b) => ({ r: f.r * f.a + b.r * (1 - f.a), g: f.g * f.a + b.g * (1 - f.a), b: f.b * f.a + b.b * (1 - f.a), a: 1 });
          const lum = (c) => { const l = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * l(c.r) + 0.7152 * l(c.g) + 0.0722 * l(c.b); };
          const probe = document.createElement('div');
          probe.style.backgroundColor = 'Canvas';
          document.body.append(probe);
          const canvas = rgba(getComputedStyle(probe).backgroundColor);
          probe.remove();
          const found = [];
          for (const e of document.body.querySelectorAll('*')) {
            const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
            if (!own && !e.matches('.error, td.status')) continue;
            // An inactive control has no contrast requirement (WCAG 1.4.3): More is disabled while a page loads.
            if (e.matches(':disabled')) continue;
            const chain = [];
            let opacity = 1;
            for (let a = e; a; a = a.parentElement) { chain.unshift(a); opacity *= Number(getComputedStyle(a).opacity); }
            let back = canvas;
            for (const a of chain) back = over(rgba(getComputedStyle(a).backgroundColor), back);
            const color = rgba(getComputedStyle(e).color);
            color.a *= opacity;
            const fore = over(color, back);
            const [hi, lo] = [lum(fore), lum(back)].sort((x, y) => y - x);
            const ratio = (hi + 0.05) / (lo + 0.05);
            if (ratio < 4.5) found.push((e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className) + ' ' + getComputedStyle(e).color + ': ' + ratio.toFixed(2) + ':1');
          }
          return [...new Set(found)];
        }
        """;

    [Theory]
    [InlineData(ColorScheme.Dark)]
    [InlineData(ColorScheme.Light)]
    public async Task EveryText_HasAContrastOfAtLeast4_5To1(ColorScheme scheme)
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync([.. Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow), .. Timelines.AtRisk("beta-2", DateTimeOffset.UtcNow)]);
        await app.WaitForProcessingAsync();
        var id = (await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!;
        using (var vetoed = await app.Client.PostAsJsonAsync($"/v1/briefs/{id}/veto", new { reason = "renewed by phone" }))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);
        var open = (await app.BriefsAsync("&customerId=beta-2"))[0].GetProperty("id").GetString()!;
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ColorScheme = scheme });
        await SignInAsync(page, app, await app.CreateKeyAsync("reviewer", "rita"));
        await Assertions.Expect(page.Locator($"#briefs-table tr[data-brief-id='{id}'] td.status")).ToHaveTextAsync("retracted");
        // A held brief's and a vetoed one's status cells, as the list draws them (none is in this list).
        await page.EvaluateAsync("""
            () => {
              for (const status of ['vetoed', 'pendingReview']) {
                const row = document.querySelector('#briefs-table tbody tr').cloneNode(true);
                row.querySelector('td.status').className = 'status ' + status;
                row.querySelector('td.status').textContent = status;
                document.querySelector('#briefs-table tbody').append(row);
              }
            }
            """);
        await page.Locator("#live").CheckAsync();
        await Assertions.Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        Assert.Empty(await page.EvaluateAsync<string[]>(LowContrast));

        // The brief, with an error shown.
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await page.Locator($"#briefs-table tr[data-brief-id='{open}']").ClickAsync();
        await page.Locator("#veto-button").ClickAsync();
        await Assertions.Expect(page.Locator("#review-error")).ToHaveTextAsync("A veto needs a reason: why the brief is wrong.");
        Assert.Empty(await page.EvaluateAsync<string[]>(LowContrast));
    }
}
