using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// Every passage a brief cites answers one of its reasons, over real HTTP with the bundled documents (QA29b): no section
/// that only shares a number ("6. New customers", which reads "90 days", for a customer since 2022 with a failed payment),
/// a topic word (the business-contract cap rules for a consumer limitation of liability) or nothing at all (18F's Agile
/// section beside a web burst) with a reason, and no playbook's opening text to fill the three slots.
/// </summary>
public sealed class BriefCitationTopicTests
{
    private static readonly Dictionary<string, string?> Bundled = new() { ["Knowledge:IngestBundled"] = "true" };

    [Fact]
    public async Task RenewalBrief_LongstandingCustomerWithAFailedPayment_CitesItsReasonsSectionsOnly()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Bundled);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = new List<JsonObject>
        {
            Ev.Make("since22", "profile", now.AddDays(-60), new { name = "Since 2022 Ltd", customerSince = "2022-03-01" }),
            Ev.Make("since22", "contract", now.AddDays(-60), new { contractType = "one-year", startDate = now.AddDays(-304).ToString("yyyy-MM-dd"), endDate = now.AddDays(61).ToString("yyyy-MM-dd"), autoRenew = false }),
            Ev.Make("since22", "invoice", now.AddDays(-50), new { invoiceId = "I1", amount = 4800, dueDate = now.AddDays(-35).ToString("yyyy-MM-dd"), status = "open" }),
            Ev.Make("since22", "invoice", now.AddDays(-30), new { invoiceId = "I2", amount = 1200, dueDate = now.AddDays(-15).ToString("yyyy-MM-dd"), status = "open" }),
            Ev.Make("since22", "payment", now.AddDays(-3), new { invoiceId = "I1", amount = 4800, status = "failed" }),
            Ev.Make("since22", "invoice", now.AddDays(-2), new { invoiceId = "I2", status = "overdue" }),
            Ev.Make("since22", "support_ticket", now.AddDays(-20), new { ticketId = "T1", status = "open", priority = "high" }),
            Ev.Make("since22", "support_ticket", now.AddDays(-15), new { ticketId = "T2", status = "open", priority = "normal" }),
            Ev.Make("since22", "nps", now.AddDays(-1), new { score = 4 }),
        };
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var brief = (await app.BriefsAsync("&customerId=since22&agentId=renewal-risk"))[0];
        Assert.DoesNotContain(Reasons(brief), r => r.StartsWith("customer for only", StringComparison.Ordinal));
        // Two reasons share the billing section; the next reason's own section fills the slot, not a runner-up of theirs.
        var sections = Sections(brief);
        Assert.Contains("1. Contract ending soon", sections);
        Assert.Contains("4. Failed payments and overdue invoices", sections);
        Assert.All(sections, s => Assert.Contains(s, (string[])["1. Contract ending soon", "3. Unresolved support tickets", "4. Failed payments and overdue invoices", "5. Low NPS"]));
    }

    [Fact]
    public async Task ComplianceBrief_ConsumerTermsLimitingLiability_CitesTheConsumerSectionNotTheBusinessCapRules()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Bundled);
        const string terms = """
            Under no circumstances shall we be liable for any loss of data, profit or revenue, even if caused by our gross negligence.
            In no event shall the Company be liable for any indirect, incidental or consequential damages arising out of your use of the service.
            Our total liability to you for any claim is limited to the amount you paid us in the last month.
            """;
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("tos", "document", now, new { text = terms, docType = "terms", title = "Terms" })])).StatusCode);
        await app.WaitForProcessingAsync();

        var brief = (await app.BriefsAsync("&customerId=tos&agentId=compliance-check"))[0];
        Assert.StartsWith("limitation of liability clause", Reasons(brief)[0], StringComparison.Ordinal);
        var sections = Sections(brief);
        Assert.Contains("6. Limitation of liability", sections);
        Assert.DoesNotContain("11. Cap on liability (required clause)", sections);
        Assert.DoesNotContain("12. Uncapped liability", sections);
        Assert.DoesNotContain("Contract terms playbook", sections);
    }

    [Fact]
    public async Task TenderBrief_BurstOfVisitsToBuyingPages_CitesTheTenderPlaybookNotTheFieldGuide()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Bundled);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = new List<JsonObject> { Ev.Make("burst", "profile", now.AddDays(-100), new { name = "Burst Tools", domain = "burst.example" }) };
        // One visit a week for twelve weeks, then fifteen in the last few days from three new people at the customer.
        for (var week = 12; week >= 2; week--)
            events.Add(Ev.Make("burst", "web_visit", now.AddDays(-7 * week), new { url = "https://vendor.example/pricing", category = "pricing", visitorId = "old", visitorDomain = "burst.example" }));
        string[] pages = ["pricing", "security", "pricing", "integration", "security"];
        for (var i = 0; i < 15; i++)
            events.Add(Ev.Make("burst", "web_visit", now.AddDays(-3).AddMinutes(i * 30), new { url = $"https://vendor.example/{pages[i % 5]}", category = pages[i % 5], visitorId = $"v{i % 3}", visitorDomain = "burst.example" }));
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var brief = (await app.BriefsAsync("&customerId=burst&agentId=tender-detection"))[0];
        Assert.Contains(Reasons(brief), r => r.Contains("visits to buying pages", StringComparison.Ordinal));
        var cited = brief.GetProperty("citations").EnumerateArray().ToList();
        Assert.NotEmpty(cited);
        Assert.All(cited, c => Assert.Equal("tender-playbook", c.GetProperty("documentId").GetString()));
        Assert.Contains("2. A burst of visits to buying pages", Sections(brief));
    }

    private static List<string> Reasons(JsonElement brief) =>
        [.. brief.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("explanation").GetString()!)];

    private static List<string> Sections(JsonElement brief) =>
        [.. brief.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("section").GetString()!)];
}
