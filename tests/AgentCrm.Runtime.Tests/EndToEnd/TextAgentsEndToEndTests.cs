using System.Net;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>The built-in compliance-check and tender-detection agents on a real server: events in over HTTP, briefs out.</summary>
public sealed class TextAgentsEndToEndTests
{
    private const string UnfairTerms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "To the fullest extent permitted by law, Acme shall not be liable for any indirect, incidental or consequential damages, loss of data or loss of profits. " +
        "Acme may terminate or suspend your account at any time, for any reason, without notice. " +
        "We hope you enjoy the service.";

    private static Task<AgentCrmApp> StartAsync() =>
        AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" });

    [Fact]
    public async Task Document_WithUnfairClauses_GetsABriefQuotingThem_FairDocumentGetsNone()
    {
        await using var app = await StartAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var doc = Ev.Make("acme", "document", now, new { docType = "terms", title = "Acme Cloud terms", text = UnfairTerms });
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
            Ev.Make("acme", "profile", now.AddDays(-1), new { name = "ACME" }), doc,
            Ev.Make("globex", "profile", now.AddDays(-1), new { name = "Globex" }),
            Ev.Make("globex", "document", now, new { docType = "terms", text = "Welcome to Globex. We hope you enjoy the music. Contact us with any question." })])).StatusCode);
        await app.WaitForProcessingAsync();

        Assert.Empty(await app.BriefsAsync("&customerId=globex&agentId=compliance-check"));
        var brief = Assert.Single(await app.BriefsAsync("&customerId=acme&agentId=compliance-check"));
        Assert.Equal("compliance-check", brief.GetProperty("scenario").GetString());
        var reasons = brief.GetProperty("reasons").EnumerateArray().ToList();
        Assert.Contains(reasons, r => r.GetProperty("explanation").GetString()!.StartsWith("limitation of liability clause", StringComparison.Ordinal)
            && r.GetProperty("value").GetString()!.StartsWith("To the fullest extent permitted by law", StringComparison.Ordinal));
        Assert.All(reasons, r => Assert.Equal(doc["id"]!.GetValue<string>(), r.GetProperty("eventIds")[0].GetString()));
        Assert.DoesNotContain(reasons, r => r.GetProperty("value").GetString() == "We hope you enjoy the service.");
        var body = brief.GetProperty("body").GetString()!;
        Assert.Contains("Next step: Send the document back to legal", body, StringComparison.Ordinal);
        Assert.Contains(brief.GetProperty("citations").EnumerateArray(), c => c.GetProperty("documentId").GetString() == "contract-terms-playbook");
    }

    [Fact]
    public async Task IctNotice_AndBuyingPageBurst_GetTenderBriefs_ConstructionNoticeGetsNone()
    {
        await using var app = await StartAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = new List<System.Text.Json.Nodes.JsonObject>
        {
            Ev.Make("ssc", "profile", now.AddDays(-200), new { name = "Shared Services", domain = "ssc.example" }),
            Ev.Make("ssc", "news", now.AddDays(-1), new { title = "TBIPS - Programmer/Software Developer Level 2", buyer = "Shared Services Canada", description = "Task-based informatics professional services" }),
            Ev.Make("parks", "news", now.AddDays(-1), new { title = "Campground asphalt paving and joint sealing", buyer = "Parks Canada" }),
            Ev.Make("initech", "profile", now.AddDays(-200), new { name = "Initech", domain = "initech.example" }),
        };
        for (var week = 1; week <= 13; week++)
            events.Add(Ev.Make("initech", "web_visit", now.AddDays(-7 * week - 3.5), new { url = "https://us.example/pricing", visitorId = "v-old", visitorDomain = "initech.example" }));
        for (var i = 0; i < 12; i++)
            events.Add(Ev.Make("initech", "web_visit", now.AddDays(-4).AddHours(i * 6), new { url = $"https://us.example/{(i % 2 == 0 ? "pricing" : "security")}", visitorId = $"v-{i % 3}", visitorDomain = "initech.example" }));
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        Assert.Empty(await app.BriefsAsync("&customerId=parks&agentId=tender-detection"));
        var notice = Assert.Single(await app.BriefsAsync("&customerId=ssc&agentId=tender-detection"));
        var published = now.AddDays(-1).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"procurement notice \"TBIPS - Programmer/Software Developer Level 2\" from Shared Services Canada, published {published} (today)",
            notice.GetProperty("headline").GetString(), StringComparison.Ordinal);
        Assert.Contains("Next step: Prepare a bid", notice.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Contains(notice.GetProperty("citations").EnumerateArray(), c => c.GetProperty("documentId").GetString() == "tender-playbook");

        // Fired once the burst reached the agent's minimum (5 visits); a re-brief follows only if the score rises materially.
        var bursts = await app.BriefsAsync("&customerId=initech&agentId=tender-detection");
        Assert.NotEmpty(bursts);
        var why = bursts.SelectMany(b => b.GetProperty("reasons").EnumerateArray()).Select(r => r.GetProperty("explanation").GetString()!).ToList();
        var since = DateTimeOffset.UtcNow.AddMinutes(-5).AddDays(-4).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(why, w => w.Contains(" visits to buying pages (pricing ", StringComparison.Ordinal) && w.Contains($"in 7 days, since {since}, vs 1 a week over the 12 weeks before", StringComparison.Ordinal));
        Assert.Contains("3 new visitors from the customer's own domain in 14 days, none usually", why);
        Assert.All(bursts, b => Assert.Contains("Next step: Call the sponsor", b.GetProperty("body").GetString(), StringComparison.Ordinal));
    }
}
