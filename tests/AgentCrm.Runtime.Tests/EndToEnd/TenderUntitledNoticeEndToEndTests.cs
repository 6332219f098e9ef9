using System.Net;
using AgentCrm.Briefs;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// Over real HTTP and SQLite, with the built-in tender-detection: a notice without a title — an RFP sent as a document with
/// a buyer and its text, a news item with a buyer and a description — is briefed under a short name made of its first
/// words, and the headline stays short. Both made a 10,000-character headline of the buyer and the notice's body (QA qa43b F3).
/// </summary>
public sealed class TenderUntitledNoticeEndToEndTests
{
    private const string Buyer = "Ministry of Health";

    private static readonly string Rfp = "REQUEST FOR PROPOSAL\nSolicitation No. HLTH-2026-0042\n\n1. Purpose. The Ministry of Health invites proposals for a cloud-based customer relationship management (CRM) software solution for its public inquiry contact centre.\n"
        + string.Concat(Enumerable.Range(2, 60).Select(i => $"{i}. Requirement. The solution must support case management, omnichannel contact centre integration, reporting and analytics, single sign-on, data residency in Canada and accessibility conformance, and the bidder must provide implementation services, training and support for 800 agents.\n"));

    private static readonly string Description = string.Concat(Enumerable.Repeat("The buyer requires a cloud-based customer relationship management software solution, including case management, contact centre integration, reporting and analytics, implementation services, training and ongoing support for 5,000 users. ", 45));

    [Fact]
    public async Task UntitledRfpDocument_AndUntitledNewsItem_AreBriefedUnderTheirFirstWords_WithAShortHeadline()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var day = DateTimeOffset.UtcNow.Date;
        Assert.True(Rfp.Length > 10_000 && Description.Length > 10_000);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(
        [
            Ev.Make("moh-doc", "profile", day.AddDays(-40), new { name = Buyer }),
            Ev.Make("moh-doc", "document", day.AddDays(-1).AddHours(9), new { docType = "rfp", buyer = Buyer, text = Rfp }),
            Ev.Make("moh-news", "profile", day.AddDays(-40), new { name = Buyer }),
            Ev.Make("moh-news", "news", day.AddDays(-1).AddHours(9), new { buyer = Buyer, description = Description }),
        ])).StatusCode);
        await app.WaitForProcessingAsync();

        var document = Assert.Single(await app.BriefsAsync("&customerId=moh-doc&agentId=tender-detection")).GetProperty("headline").GetString()!;
        var news = Assert.Single(await app.BriefsAsync("&customerId=moh-news&agentId=tender-detection")).GetProperty("headline").GetString()!;

        Assert.Contains($"— untitled procurement notice beginning \"REQUEST FOR PROPOSAL / Solicitation No. HLTH-2026-0042 / 1. Purpose. The…\" from {Buyer}, published ",
            document, StringComparison.Ordinal);
        Assert.Contains($"— untitled procurement notice beginning \"The buyer requires a cloud-based customer relationship management software…\" from {Buyer}, published ",
            news, StringComparison.Ordinal);
        Assert.All([document, news], h => Assert.True(h.Length <= BriefComposer.MaxHeadline, $"expected at most {BriefComposer.MaxHeadline} characters, got {h.Length}: {h[..Math.Min(h.Length, 400)]}"));
    }
}
