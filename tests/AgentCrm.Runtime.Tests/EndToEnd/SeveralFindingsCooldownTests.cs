using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// Over real HTTP, with the built-in agents: a firing with several findings briefs while one of them is new. A tender
/// notice from a customer whose web burst was briefed days before briefs (it fell under the burst's cooldown); terms sent
/// again with fewer of the categories briefed do not (they briefed again: the finding was the exact set).
/// </summary>
public sealed class SeveralFindingsCooldownTests
{
    private static async Task PostAndWaitAsync(AgentCrmApp app, IEnumerable<JsonObject> events)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
    }

    private static async Task<List<JsonElement>> FiredAsync(AgentCrmApp app, string customerId) =>
        [.. (await app.GetJsonAsync($"/v1/audit?subject=customer:{customerId}&action=assessment.fired")).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task Tender_ANoticeWhileTheCustomersBurstIsInCooldown_GetsItsOwnBrief_LeadingWithTheNotice()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var start = now.Date.AddDays(-100);
        var events = new List<JsonObject> { Ev.Make("soylent", "profile", start, new { name = "Soylent Corporation", domain = "soylent.example" }) };
        // Three months of a few visits a week by two known people, then a burst over four days (pricing, security,
        // integration, procurement), half of it by four new people from soylent.example.
        string[] quiet = ["pricing", "docs", "blog", "security"];
        for (var day = 0; day < 90; day += 2)
            events.Add(Ev.Make("soylent", "web_visit", start.AddDays(day).AddHours(10),
                new { url = $"https://vendor.example/{quiet[day % 4]}", visitorId = $"v{day % 3 % 2 + 1}", visitorDomain = "soylent.example" }));
        string[] burst = ["pricing", "security", "integration", "procurement"];
        for (var k = 0; k < 24; k++)
            events.Add(Ev.Make("soylent", "web_visit", now.Date.AddDays(-6 + k % 4).AddMinutes(600 + 60 * (k % 8) + k),
                new { url = $"https://vendor.example/{burst[k % 4]}/x", visitorId = k < 12 ? $"new{k % 4}" : "v1", visitorEmail = $"{(k < 12 ? $"new{k % 4}" : "v1")}@soylent.example" }));
        await PostAndWaitAsync(app, events);
        var bursts = await app.BriefsAsync("&customerId=soylent&agentId=tender-detection");
        Assert.NotEmpty(bursts);

        // A day after the burst, well inside its 14-day cooldown, the customer publishes a call for tenders.
        await PostAndWaitAsync(app, [Ev.Make("soylent", "news", now.AddDays(-1),
            new { title = "Network infrastructure software and licences", buyer = "Soylent Corporation" })]);

        var briefs = await app.BriefsAsync("&customerId=soylent&agentId=tender-detection");
        var fired = (await FiredAsync(app, "soylent")).Select(r => r.GetProperty("data")).Last();
        Assert.True(briefs.Count == bursts.Count + 1, $"{briefs.Count} briefs after {bursts.Count}; the notice fired at {fired}");
        var notice = Assert.Single(briefs, b => b.GetProperty("reasons").EnumerateArray().Any(r => r.GetProperty("field").GetString() == "news.title"));
        Assert.Equal("news.title", notice.GetProperty("reasons")[0].GetProperty("field").GetString());
        Assert.Contains("Network infrastructure software and licences", notice.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    private const string SoylentTerms =
        "Welcome to Soylent Cloud. These terms govern your use of the service. " +
        "Soylent may terminate or suspend your account at any time, for any reason, without notice. " +
        "We may change or modify these terms at any time at our sole discretion, without notice to you. " +
        "Any dispute arising out of or relating to these terms shall be resolved exclusively by binding arbitration, and you waive any right to a jury trial or to take part in a class action. " +
        "We hope you enjoy the service.";

    [Fact]
    public async Task Compliance_TheTermsResentWithFewerOfTheCategoriesBriefed_Wait_ANewCategoryBriefs()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var start = DateTimeOffset.UtcNow.AddDays(-6);
        await PostAndWaitAsync(app, [Ev.Make("soylent", "document", start, new { docType = "terms", title = "Soylent Terms", text = SoylentTerms })]);
        var first = Assert.Single(await app.BriefsAsync("&customerId=soylent&agentId=compliance-check"));
        Assert.Contains("3 findings", first.GetProperty("headline").GetString(), StringComparison.Ordinal);

        // Two days later, version 2 without the arbitration clause: termination and change were briefed, nothing is new.
        var v2 = SoylentTerms.Replace("Any dispute arising out of or relating to these terms shall be resolved exclusively by binding arbitration, and you waive any right to a jury trial or to take part in a class action. ", "", StringComparison.Ordinal);
        await PostAndWaitAsync(app, [Ev.Make("soylent", "document", start.AddDays(2), new { docType = "terms", title = "Soylent Terms v2", text = v2 })]);
        Assert.Single(await app.BriefsAsync("&customerId=soylent&agentId=compliance-check"));
        Assert.Equal(["cooldown"], (await FiredAsync(app, "soylent")).Select(r => r.GetProperty("data").GetProperty("suppressedBy").GetString()));

        // Version 3 adds a limitation of liability, a category not briefed: it briefs.
        var v3 = v2 + " To the fullest extent permitted by law, Soylent shall not be liable for any indirect, incidental or consequential damages, loss of data or loss of profits.";
        await PostAndWaitAsync(app, [Ev.Make("soylent", "document", start.AddDays(4), new { docType = "terms", title = "Soylent Terms v3", text = v3 })]);
        Assert.Equal(2, (await app.BriefsAsync("&customerId=soylent&agentId=compliance-check")).Count);
    }
}
