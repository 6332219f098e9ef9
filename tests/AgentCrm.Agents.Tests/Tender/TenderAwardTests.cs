using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Tests.Text;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>A notice that reports a contract already given, however it is worded, is nothing to bid on; an open call stays one.</summary>
public sealed class TenderAwardTests
{
    private static IAgent Agent() => new TenderDetectionKind().Create(TenderDetectionKind.Template with
    {
        Threshold = 0.5,
        Parameters = TinyModels.Parameters(("model", TinyModels.Words(("match", -3, [("software", 5), ("crm", 4)])))),
    });

    private static Assessment Assess(string title, string? description)
    {
        var fields = new List<(string, object)> { ("news.title", title), ("news.buyer", "Shared Services Canada"), ("news.daysSince", 1), ("profile.name", "Shared Services Canada") };
        if (description is not null)
            fields.Add(("news.description", description));
        return Agent().Assess(TinyModels.Snapshot([.. fields]));
    }

    [Theory]
    // The QA's news item: a headline and a description that both report the result.
    [InlineData("SSC selects Contoso for enterprise CRM software licences",
        "Shared Services Canada has selected Contoso as the winning bidder for its CRM software licences; the contract was signed last week.")]
    [InlineData("SSC selects Contoso for enterprise CRM software licences", null)]
    [InlineData("Enterprise CRM software licences", "Shared Services Canada has selected Contoso as the winning bidder.")]
    [InlineData("Enterprise CRM software licences", "The contract was signed with Contoso on 2026-11-30.")]
    [InlineData("Enterprise CRM software licences", "Contoso was selected as the supplier of CRM software.")]
    [InlineData("Enterprise CRM software licences", "Contoso is the successful bidder.")]
    [InlineData("Enterprise CRM software licences", "After evaluation, SSC has chosen Contoso.")]
    [InlineData("Enterprise CRM software licences", "Contoso was awarded the CRM software contract.")]
    [InlineData("Enterprise CRM software licences", "SSC has signed a five-year CRM software contract with Contoso.")]
    [InlineData("Results of the tender for CRM software licences", null)]
    [InlineData("Enterprise CRM software licences", "Contoso was named the preferred supplier.")]
    [InlineData("SSC awards CRM software contract to Contoso", null)]
    [InlineData("Logiciel CRM", "Le contrat a été attribué à Contoso.")]
    public void AwardOrResult_InAnyCommonWording_DoesNotFire(string title, string? description)
    {
        var result = Assess(title, description);

        Assert.False(result.Fired);
        Assert.Equal(0, result.Score);
        Assert.Contains("contract award or result notice, not an open call", Assert.Single(result.Reasons).Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RFP: enterprise CRM software", "The selected supplier will deliver CRM software licences and training.")]
    [InlineData("RFP: enterprise CRM software", "The successful bidder must hold a valid security clearance.")]
    [InlineData("RFP: enterprise CRM software", "The winning bidder will be notified in writing.")]
    [InlineData("Phase 2: enterprise CRM software", "Suppliers who have been selected to submit a proposal in phase 2 are invited to bid.")]
    [InlineData("RFP: enterprise CRM software", "Results of the tender will be posted on the buyer's site.")]
    [InlineData("RFP: enterprise CRM software", "The contract will be signed by the selected supplier within 10 days.")]
    [InlineData("Highway signs and CRM software", null)]
    [InlineData("Awards gala registration software (CRM)", null)]
    // An RFP sent as a document: its description is the RFP's opening, which says how the process goes.
    [InlineData("RFP: enterprise CRM software", "The results of the RFP evaluation will be communicated to all bidders.")]
    [InlineData("RFP: enterprise CRM software", "Results of the procurement process will be posted on CanadaBuys.")]
    [InlineData("RFP: enterprise CRM software", "A Fairness Monitor has been retained to observe the evaluation.")]
    [InlineData("RFP: enterprise CRM software", "The previous contract was awarded to ABC Inc. in 2021.")]
    [InlineData("RFP: enterprise CRM software", "Canada has selected a two-phase process for this requirement.")]
    [InlineData("RFP: enterprise CRM software", "Bidders who have chosen to submit a bid must register.")]
    [InlineData("Supply of Road Signs - Standing Offer Agreement (CRM software)", null)]
    [InlineData("Traffic Signs Supply Contract (CRM software)", null)]
    public void OpenCall_SayingHowTheChoiceWillBeMade_StillFires(string title, string? description)
    {
        var result = Assess(title, description);

        Assert.True(result.Fired, string.Join("; ", result.Reasons.Select(r => r.Explanation)));
        Assert.StartsWith("Prepare a bid", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void RfpSentAsADocument_WithAwardWordingPastItsOpening_StillFires()
    {
        // A document's description is the RFP's first 10,000 characters: the incumbent's award deep in its background
        // section is not this notice's result.
        var rfp = "Shared Services Canada requires enterprise CRM software licences, installation and support. "
            + string.Concat(Enumerable.Repeat("The Contractor must provide the services described in Annex A. ", 10))
            + "Background: the current contract has been awarded to Contoso and expires in 2027. Contoso was selected as the supplier in 2021.";

        var result = Assess("RFP: enterprise CRM software", rfp);

        Assert.True(result.Fired, string.Join("; ", result.Reasons.Select(r => r.Explanation)));
    }

    [Fact]
    public void NoNoticeOfTheCanadianTenderCaseSet_IsTakenForAnAward_TitleHeadlinesIncluded()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        var lines = File.ReadLines(Path.Combine(dir.FullName, "sandbox", "data", "tender", "canada-buyandsell", "buyandsell_tenders_2010_2014.csv")).Skip(1).Where(l => l.Length > 0).ToList();

        // Each whole line read as a title (the headline check included): conservative, as the title is one of its columns.
        Assert.Equal(4000, lines.Count);
        Assert.Empty(lines.Where(l => NoticeChecks.IsAward(l, null)).ToList());
    }
}
