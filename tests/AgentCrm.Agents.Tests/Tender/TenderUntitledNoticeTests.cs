using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Tests.Text;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>
/// A notice without a title (an RFP sent as a document with only a buyer and its text; a news item with a buyer and a
/// description) is named by the first words of its description, not by its buyer and its whole body: those were quoted
/// as its "title" in the reason and the headline, 10,000 characters of them (QA qa43b F3).
/// </summary>
public sealed class TenderUntitledNoticeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    private static readonly string Rfp = "REQUEST FOR PROPOSAL\nSolicitation No. HLTH-2026-0042\n\n1. Purpose. The Ministry of Health invites proposals for network software.\n"
        + string.Concat(Enumerable.Range(2, 80).Select(i => $"{i}. Requirement. The network software must support case management, reporting and single sign-on.\n"));

    private static IAgent Agent() => new TenderDetectionKind().Create(TenderDetectionKind.Template with
    {
        Threshold = 0.5,
        Parameters = TinyModels.Parameters(("model", TinyModels.Words(("match", -3, [("software", 5), ("network", 4)])))),
    });

    [Fact]
    public void RfpDocumentWithoutATitle_IsNamedByItsFirstWords_NotByItsBuyerAndBody()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, new CrmEvent("rfp-1", "c-1", "document", Now.AddDays(-1), "test",
            JsonSerializer.SerializeToElement(new { docType = "rfp", buyer = "Ministry of Health", text = Rfp })));

        var result = Agent().Assess(SnapshotBuilder.Build(s, Now));

        Assert.True(result.Fired);
        var reason = result.Reasons[0];
        Assert.StartsWith("untitled procurement notice beginning \"REQUEST FOR PROPOSAL / Solicitation No. HLTH-2026-0042 / 1. Purpose. The…\" from Ministry of Health, published 2026-12-04 (yesterday), matches our product category",
            reason.Explanation, StringComparison.Ordinal);
        Assert.Equal(("news.description", "REQUEST FOR PROPOSAL / Solicitation No. HLTH-2026-0042 / 1. Purpose. The…"), (reason.Field, reason.Value));
        Assert.Equal(["rfp-1"], reason.EventIds);
        Assert.True(reason.Explanation.Length < 300, $"expected a short reason, got {reason.Explanation.Length} characters");
    }

    [Fact]
    public void NewsItemWithOnlyABuyerAndADescription_IsNamedByItsDescriptionsFirstWords_CutOnAWord()
    {
        var description = "Shared Services Canada requires network monitoring software licences, installation and support for its data centres. "
            + string.Concat(Enumerable.Repeat("The software must report on every network device. ", 200));

        var result = Agent().Assess(TinyModels.Snapshot(("news.buyer", "Shared Services Canada"), ("news.description", description), ("news.daysSince", 2)));

        Assert.True(result.Fired);
        var reason = result.Reasons[0];
        Assert.Equal("Shared Services Canada requires network monitoring software licences…", reason.Value);
        Assert.StartsWith("untitled procurement notice beginning \"Shared Services Canada requires network monitoring software licences…\" from Shared Services Canada, published 2 days ago",
            reason.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void UntitledNoticeFromAnotherBuyer_OrAnAward_SaysWhyByTheSameName()
    {
        var other = Agent().Assess(TinyModels.Snapshot(("profile.name", "City of Ottawa"), ("news.buyer", "Parks Canada"),
            ("news.description", "Network software.\nSecond line."), ("news.daysSince", 2)));
        var award = Agent().Assess(TinyModels.Snapshot(("news.buyer", "Parks Canada"),
            ("news.description", "The network software contract was awarded to Globex Corporation."), ("news.daysSince", 2)));
        var buyerOnly = Agent().Assess(TinyModels.Snapshot(("profile.name", "City of Ottawa"), ("news.buyer", "Parks Canada"), ("news.daysSince", 2)));

        Assert.Equal("untitled procurement notice beginning \"Network software. / Second line.\" is from Parks Canada, not City of Ottawa: not this customer's notice",
            Assert.Single(other.Reasons).Explanation);
        Assert.StartsWith("untitled procurement notice beginning \"The network software contract was awarded to Globex Corporation.\" is a contract award",
            Assert.Single(award.Reasons).Explanation, StringComparison.Ordinal);
        Assert.Equal("untitled procurement notice is from Parks Canada, not City of Ottawa: not this customer's notice", Assert.Single(buyerOnly.Reasons).Explanation);
    }

    [Fact]
    public void TwoUntitledNoticesFromOneBuyer_BeginningAlike_AreTwoFindings()
    {
        var first = Agent().Assess(TinyModels.Snapshot(("news.buyer", "Parks Canada"), ("news.description", "REQUEST FOR PROPOSAL\nNetwork software for campgrounds."), ("news.daysSince", 2)));
        var second = Agent().Assess(TinyModels.Snapshot(("news.buyer", "Parks Canada"), ("news.description", "REQUEST FOR PROPOSAL\nNetwork software for visitor centres."), ("news.daysSince", 2)));

        Assert.NotEqual(first.Findings.Single().Key, second.Findings.Single().Key);
    }
}
