using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// The cooldown holds back the same finding, not the next one: over real HTTP, the built-in compliance and tender agents
/// brief a new clause, another document or a new notice inside the cooldown, and stay quiet (audited as suppressed) on the
/// same one again, a vetoed one included.
/// </summary>
public sealed class FindingCooldownTests
{
    private const string TermsV3 =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "To the fullest extent permitted by law, Acme shall not be liable for any indirect, incidental or consequential damages, loss of data or loss of profits. " +
        "We hope you enjoy the service.";

    private const string NewClause =
        " Acme may terminate or suspend your account at any time, for any reason, without notice.";

    private static async Task PostAndWaitAsync(AgentCrmApp app, params JsonObject[] events)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
    }

    private static async Task<List<string?>> SuppressedAsync(AgentCrmApp app, string customerId) =>
        (await app.GetJsonAsync($"/v1/audit?subject=customer:{customerId}&action=assessment.fired")).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("data").GetProperty("suppressedBy").GetString()).ToList();

    [Fact]
    public async Task Compliance_SameTermsAgainAfterAVeto_StaySuppressed_TermsWithANewUnfairClause_GetABrief()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var start = DateTimeOffset.UtcNow.AddDays(-3);
        await PostAndWaitAsync(app, Ev.Make("acme", "profile", start.AddDays(-1), new { name = "ACME" }),
            Ev.Make("acme", "document", start, new { docType = "terms", title = "Terms v3", text = TermsV3 }));
        var first = Assert.Single(await app.BriefsAsync("&customerId=acme&agentId=compliance-check"));
        using var reviewer = await app.ClientAsync("reviewer");
        using var veto = await reviewer.PostAsync($"/v1/briefs/{first.GetProperty("id").GetString()}/veto",
            new StringContent("""{"reason":"Legal accepted this clause","correctLabel":false}""", Encoding.UTF8, "application/json"));
        Assert.True(veto.IsSuccessStatusCode, $"veto answered {(int)veto.StatusCode}");

        // The same terms again, a day later, as another document: the reviewer already said no to this finding (a delivered brief vetoed is retracted).
        await PostAndWaitAsync(app, Ev.Make("acme", "document", start.AddDays(1), new { docType = "terms", title = "Terms v3 (resent)", text = TermsV3 }));
        Assert.Equal("retracted", Assert.Single(await app.BriefsAsync("&customerId=acme&agentId=compliance-check")).GetProperty("status").GetString());
        Assert.Equal(["cooldown"], await SuppressedAsync(app, "acme"));

        // Version 4 adds a clause not briefed before: a new finding, well inside the 30-day cooldown.
        await PostAndWaitAsync(app, Ev.Make("acme", "document", start.AddDays(2), new { docType = "terms", title = "Terms v4", text = TermsV3 + NewClause }));
        var briefs = await app.BriefsAsync("&customerId=acme&agentId=compliance-check");
        Assert.Equal(2, briefs.Count);
        var second = Assert.Single(briefs, b => b.GetProperty("status").GetString() != "retracted");
        Assert.Contains(second.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("explanation").GetString()!.StartsWith("unilateral termination clause", StringComparison.Ordinal));
        Assert.Equal(["cooldown"], await SuppressedAsync(app, "acme"));
    }

    private const string ArbitrationTerms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "Any dispute arising out of or relating to these terms shall be resolved exclusively by binding arbitration, and you waive any right to a jury trial or to take part in a class action. " +
        "We hope you enjoy the service.";

    [Fact]
    public async Task Compliance_AnotherDocumentWithTheSameClause_GetsABrief_TheSameDocumentEditedDoesNot()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var start = DateTimeOffset.UtcNow.AddDays(-6);
        await PostAndWaitAsync(app,
            Ev.Make("acme", "document", start, new { docType = "terms", title = "EU Terms", text = ArbitrationTerms }),
            Ev.Make("globex", "document", start, new { docType = "terms", title = "Globex Terms", text = ArbitrationTerms }));
        Assert.Single(await app.BriefsAsync("&customerId=acme&agentId=compliance-check"));
        Assert.Single(await app.BriefsAsync("&customerId=globex&agentId=compliance-check"));

        // Five days later, well inside the 30-day cooldown: acme's US terms carry the same clause, globex's terms come back with one word changed.
        await PostAndWaitAsync(app,
            Ev.Make("acme", "document", start.AddDays(5), new { docType = "terms", title = "US Terms", text = ArbitrationTerms }),
            Ev.Make("globex", "document", start.AddDays(5), new { docType = "terms", title = "Globex Terms", text = ArbitrationTerms.Replace("exclusively", "only", StringComparison.Ordinal) }));

        var acme = await app.BriefsAsync("&customerId=acme&agentId=compliance-check");
        Assert.Equal(2, acme.Count);
        Assert.Contains(acme, b => b.GetProperty("headline").GetString()!.Contains("\"US Terms\"", StringComparison.Ordinal));
        Assert.Empty(await SuppressedAsync(app, "acme"));
        Assert.Single(await app.BriefsAsync("&customerId=globex&agentId=compliance-check"));
        Assert.Equal(["cooldown"], await SuppressedAsync(app, "globex"));
    }

    [Fact]
    public async Task Tender_TheCustomersNextNotice_GetsABrief_TheSameNoticeAgainDoesNot()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var start = DateTimeOffset.UtcNow.AddDays(-3);
        await PostAndWaitAsync(app, Ev.Make("ssc", "profile", start.AddDays(-30), new { name = "Shared Services Canada" }),
            Ev.Make("ssc", "news", start, new { title = "TBIPS - Programmer/Software Developer Level 2", buyer = "Shared Services Canada" }));
        Assert.Single(await app.BriefsAsync("&customerId=ssc&agentId=tender-detection"));

        await PostAndWaitAsync(app, Ev.Make("ssc", "news", start.AddDays(1), new { title = "TBIPS - Programmer/Software Developer Level 2", buyer = "Shared Services Canada" }));
        Assert.Single(await app.BriefsAsync("&customerId=ssc&agentId=tender-detection"));
        Assert.Equal(["cooldown"], await SuppressedAsync(app, "ssc"));

        await PostAndWaitAsync(app, Ev.Make("ssc", "news", start.AddDays(2), new { title = "Network infrastructure software and licences", buyer = "Shared Services Canada" }));
        var briefs = await app.BriefsAsync("&customerId=ssc&agentId=tender-detection");
        Assert.Equal(2, briefs.Count);
        Assert.Contains(briefs, b => b.GetProperty("headline").GetString()!.Contains("Network infrastructure software and licences", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tender_ANoticeFromAnotherBuyer_OrAnAwardNotice_GetsNoBrief()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        await PostAndWaitAsync(app,
            Ev.Make("library", "profile", now.AddDays(-30), new { name = "Capital City Library" }),
            Ev.Make("library", "news", now.AddDays(-1), new { title = "TBIPS - Programmer/Software Developer Level 2", buyer = "Department of National Defence" }),
            Ev.Make("ssc", "profile", now.AddDays(-30), new { name = "Shared Services Canada" }),
            Ev.Make("ssc", "news", now.AddDays(-1), new { title = "Contract award notice: TBIPS - Programmer/Software Developer Level 2", buyer = "Shared Services Canada", description = "Awarded to Globex." }));

        Assert.Empty(await app.BriefsAsync("&agentId=tender-detection"));
    }
}
