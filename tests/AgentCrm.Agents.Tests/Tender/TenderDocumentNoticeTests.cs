using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Tests.Text;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>
/// A tender notice sent as a <c>document</c> event (issue 6: "news or document event with title, buyer, description") is a
/// notice like one sent as news; a contract or terms document is not. And what a notice's brief says: its date, and terms a
/// CSM can read as evidence.
/// </summary>
public sealed class TenderDocumentNoticeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    [Fact]
    public void RfpDocument_IsANotice_AndTheBuiltInBriefsIt()
    {
        var kind = new TenderDetectionKind();
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("p", "profile", Now.AddDays(-90), new { name = "Shared Services Canada" }));
        CustomerTimeline.Apply(s, E("rfp-1", "document", Now.AddDays(-2), new
        {
            title = "RFP: Network monitoring software and licences", docType = "RFP",
            text = "Shared Services Canada invites proposals for network monitoring software licences, installation and support.",
        }));

        var snapshot = SnapshotBuilder.Build(s, Now);
        var result = kind.Create(kind.BuiltIn).Assess(snapshot);

        Assert.Contains("document", kind.BuiltIn.Subscribes);
        Assert.Equal("RFP: Network monitoring software and licences", snapshot.Text("news.title"));
        Assert.Equal(["rfp-1"], snapshot.EventIds("news.title"));
        Assert.True(result.Fired, string.Join("; ", result.Reasons.Select(r => r.Explanation)));
        Assert.StartsWith("Prepare a bid", result.NextStep, StringComparison.Ordinal);
        Assert.Contains("published 2026-12-03 (2 days ago)", result.Reasons[0].Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RFP", true)]
    [InlineData("Request for Proposal (RFP)", true)]
    [InlineData("request_for_quotation", true)]
    [InlineData("Call-for-Tenders", true)]
    [InlineData("notice", true)]
    [InlineData("contract", false)]
    [InlineData("termination notice", false)]
    [InlineData(null, false)]
    public void DocumentNotice_IsByItsDocType_AsComplianceReadsIt(string? docType, bool notice)
    {
        // One rule: what tender-detection files among the notices is what compliance-check leaves to it.
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("d-1", "document", Now.AddDays(-3), new { title = "CRM software", docType, text = "Licences and support." }));

        var snapshot = SnapshotBuilder.Build(s, Now);

        Assert.Equal(notice, snapshot.Text("news.title") is not null);
        Assert.Equal(notice, AgentCrm.Agents.Compliance.DocumentTypes.Of(docType, "CRM software", "Licences and support.") == AgentCrm.Agents.Compliance.DocumentKind.Notice);
    }

    [Fact]
    public void DocumentNamingABuyer_WithoutANoticeType_IsNoNotice()
    {
        // Integrators may already send a buyer on contracts (unknown attributes were allowed): those stay documents, and an
        // RFP with a buyer and no type is not filed as a notice while compliance judges it.
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("n-1", "document", Now.AddDays(-3), new { title = "CRM software", buyer = "City of Ottawa", description = "Licences and support." }));
        CustomerTimeline.Apply(s, E("c-1", "document", Now.AddDays(-1), new { title = "Master services agreement", docType = "contract", buyer = "City of Ottawa", text = "Software licence and support terms." }));
        CustomerTimeline.Apply(s, E("r-1", "document", Now.AddDays(-2), new { title = "CRM licences", docType = "Request for Proposal (RFP)", buyer = "City of Ottawa", description = "Licences and support." }));

        var snapshot = SnapshotBuilder.Build(s, Now);

        Assert.Equal("CRM licences", snapshot.Text("news.title"));
        Assert.Equal("City of Ottawa", snapshot.Text("news.buyer"));
        Assert.Equal("Licences and support.", snapshot.Text("news.description"));
        Assert.Equal(1, snapshot.Number("news.count30d"));
        Assert.Equal("Master services agreement", snapshot.Text("documents.title"));
    }

    [Fact]
    public void DocumentWithANonTextBuyer_IsAccepted_AsBefore()
    {
        var attributes = JsonSerializer.SerializeToElement(new { title = "MSA", docType = "contract", buyer = new { id = 7 }, description = 42 });

        Assert.Empty(EventAttributes.Problems("document", attributes));
    }

    [Fact]
    public void BackfilledNotice_SaysItsDate_AndItsEvidenceIsNoNumberNorTheBuyersName()
    {
        var agent = new TenderDetectionKind().Create(TenderDetectionKind.Template with
        {
            Threshold = 0.5,
            Parameters = TinyModels.Parameters(("model", TinyModels.Words(("match", -3,
                [("w6369", 6), ("shared", 5), ("services", 5), ("canada", 4), ("software", 3), ("informatics", 2)])))),
        });

        var result = agent.Assess(TinyModels.Snapshot(("news.title", "Informatics software (W6369)"), ("news.buyer", "Shared Services Canada"),
            ("news.description", "Shared Services Canada requires software."), ("news.date", "2026-11-19"), ("news.daysSince", 0)));

        var reason = Assert.Single(result.Reasons);
        Assert.Contains("published 2026-11-19 (today)", reason.Explanation, StringComparison.Ordinal);
        Assert.EndsWith("; on: software, informatics)", reason.Explanation, StringComparison.Ordinal);
    }
}
