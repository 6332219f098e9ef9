using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Tests.Text;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>Notices that are no open call from this customer, web bursts without a baseline, and what a tender finding is.</summary>
public sealed class TenderNoticeChecksTests
{
    private static readonly TenderDetectionKind Kind = new();

    private static IAgent Agent(params (string Key, object Value)[] extra) => Kind.Create(TenderDetectionKind.Template with
    {
        Threshold = 0.5,
        Parameters = TinyModels.Parameters([("model", TinyModels.Words(("match", -3, [("software", 5), ("network", 4)]))), .. extra]),
    });

    [Fact]
    public void BuiltIn_ReadsTheCustomerName_Optionally()
    {
        Assert.Contains("profile.name", Kind.BuiltIn.OptionalReads);
        Assert.DoesNotContain("profile.name", Kind.BuiltIn.Reads);
    }

    [Fact]
    public void NoticeFromAnotherBuyer_DoesNotFire_AndSaysWhy()
    {
        var result = Agent().Assess(TinyModels.Snapshot(("profile.name", "Capital City Library"),
            ("news.title", "Case management software"), ("news.buyer", "Department of National Defence"), ("news.daysSince", 2)));

        Assert.False(result.Fired);
        Assert.Equal(0, result.Score);
        var reason = Assert.Single(result.Reasons);
        Assert.Equal("procurement notice \"Case management software\" is from Department of National Defence, not Capital City Library: not this customer's notice", reason.Explanation);
        Assert.Equal(0, reason.Weight);
    }

    [Theory]
    [InlineData("The Capital City Library Inc.", "CAPITAL CITY LIBRARY")]
    [InlineData("Capital City Library", "Capital-City Library Board")]
    [InlineData("Acme & Sons GmbH", "acme and sons")]
    [InlineData("Ville de Montréal", "Ville de Montreal")]
    public void NoticeFromTheCustomer_UnderAnotherSpelling_Fires(string customer, string buyer)
    {
        var result = Agent().Assess(TinyModels.Snapshot(("profile.name", customer), ("news.title", "Network software"), ("news.buyer", buyer), ("news.daysSince", 2)));

        Assert.True(result.Fired);
        Assert.StartsWith("Prepare a bid", result.NextStep, StringComparison.Ordinal);
    }

    // QA qa43b F4: the shipped model is fitted on Canadian notices, whose buyers are named in either official language and
    // often in the inverted "X, City of" form.
    [Theory]
    [InlineData("Shared Services Canada", "Services partagés Canada")]
    [InlineData("City of Ottawa", "Ottawa, City of")]
    [InlineData("City of Ottawa", "Ville d'Ottawa")]
    [InlineData("Government of Canada", "Canada, Government of")]
    [InlineData("Health Canada", "Santé Canada")]
    [InlineData("Employment and Social Development Canada", "Emploi et Développement social Canada")]
    [InlineData("Public Health Agency of Canada", "Agence de la santé publique du Canada")]
    [InlineData("Ottawa", "Ville d’Ottawa")]
    // A public body's two usual English forms (rev43c L2).
    [InlineData("County of Los Angeles", "Los Angeles County")]
    [InlineData("Ministry of Health", "Health Ministry")]
    [InlineData("Department of Health", "Health Department")]
    [InlineData("City of Montreal", "Montreal City")]
    public void NoticeFromTheCustomer_InTheOtherOfficialLanguageOrInvertedForm_Fires(string customer, string buyer)
    {
        var result = Agent().Assess(TinyModels.Snapshot(("profile.name", customer), ("news.title", "Network software"), ("news.buyer", buyer), ("news.daysSince", 2)));

        Assert.True(result.Fired, string.Join("; ", result.Reasons.Select(r => r.Explanation)));
    }

    [Theory]
    [InlineData("Health Canada", "Public Health Agency of Canada")]
    [InlineData("Health Canada", "Agence de la santé publique du Canada")]
    [InlineData("City of Ottawa", "Toronto, City of")]
    [InlineData("City of Ottawa", "Ville de Gatineau")]
    [InlineData("Shared Services Canada", "Services publics et Approvisionnement Canada")]
    [InlineData("Health Canada", "Ministère de la Santé")]
    // Two English names of the same words in another order are two organisations (rev43a R4: the order-free rule took them as one).
    [InlineData("University of Miami", "Miami University")]
    [InlineData("University of Washington", "Washington University")]
    [InlineData("Bank of China", "China Bank")]
    [InlineData("Bank of the West", "West Bank")]
    public void NoticeFromAnotherOrganisation_InEitherLanguageOrForm_StillDoesNotFire(string customer, string buyer)
    {
        var result = Agent().Assess(TinyModels.Snapshot(("profile.name", customer), ("news.title", "Network software"), ("news.buyer", buyer), ("news.daysSince", 2)));

        Assert.False(result.Fired);
        Assert.EndsWith("not this customer's notice", Assert.Single(result.Reasons).Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Contract award notice: network software", null)]
    [InlineData("Network software (21120-1)", "The contract was awarded to Globex Corporation.")]
    [InlineData("Notice of award - network software", null)]
    [InlineData("Tender results: network software", null)]
    public void AwardOrResultNotice_DoesNotFire(string title, string? description)
    {
        var fields = new List<(string, object)> { ("news.title", title), ("news.buyer", "Shared Services Canada"), ("news.daysSince", 1) };
        if (description is not null)
            fields.Add(("news.description", description));

        var result = Agent().Assess(TinyModels.Snapshot([.. fields]));

        Assert.False(result.Fired);
        Assert.Contains("contract award or result notice, not an open call", Assert.Single(result.Reasons).Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Request for Proposal - network software", "The contract will be awarded to the highest-ranked compliant bidder.")]
    [InlineData("Invitation to tender: network software", "Bid results will be posted after closing.")]
    [InlineData("RFP for network software", "Evaluation and award results notice will follow.")]
    [InlineData("RFP for network software", "A notice of award will be published once the evaluation is complete.")]
    public void OpenCall_SayingHowItWillBeAwarded_StillFires(string title, string description)
    {
        var result = Agent().Assess(TinyModels.Snapshot(("news.title", title), ("news.description", description), ("news.daysSince", 1)));

        Assert.True(result.Fired, string.Join("; ", result.Reasons.Select(r => r.Explanation)));
    }

    [Theory]
    [InlineData("Public Works and Government Services Canada", "PWGSC")]
    [InlineData("Canada Border Services Agency", "CBSA")]
    public void NoticeFromTheCustomer_UnderItsAcronym_Fires(string customer, string buyer)
    {
        var result = Agent().Assess(TinyModels.Snapshot(("profile.name", customer), ("news.title", "Network software"), ("news.buyer", buyer), ("news.daysSince", 2)));

        Assert.True(result.Fired);
    }

    [Fact]
    public void AdvanceContractAwardNotice_IsStillAnOpenNotice()
    {
        var result = Agent().Assess(TinyModels.Snapshot(("news.title", "ADVANCE CONTRACT AWARD NOTICE (ACAN) - network software"), ("news.daysSince", 1)));

        Assert.True(result.Fired);
    }

    [Fact]
    public void NoTitleOfTheCanadianTenderCaseSet_IsAnAwardNotice_SoItsReplayFiguresStand()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        Assert.True(dir is not null, "expected the repository root (AgentCrm.sln) above the test binaries");
        var lines = File.ReadLines(Path.Combine(dir.FullName, "sandbox", "data", "tender", "canada-buyandsell", "buyandsell_tenders_2010_2014.csv")).Skip(1).ToList();

        // The title is the third column; an award pattern anywhere in the line would be found too, so the check is conservative.
        Assert.Equal(4000, lines.Count(l => l.Length > 0));
        Assert.Empty(lines.Where(l => AgentCrm.Agents.Tender.NoticeChecks.IsAward(l)).ToList());
        Assert.Equal(5, lines.Count(l => l.Contains("Advance Contract Award Notice", StringComparison.OrdinalIgnoreCase)));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(12, true)]
    public void WebBurst_NeedsFourWeeksOfHistory_ThenATriplingWithNewVisitorsFires(int weeks, bool fires)
    {
        var result = Agent().Assess(TinyModels.Snapshot(("web.intentVisits7d", 6), ("web.intentWeeklyBaseline", weeks == 0 ? 0 : 2),
            ("web.intentBaselineWeeks", weeks), ("web.intentBurstDays", 5), ("web.newDomainVisitors14d", 3)));

        Assert.Equal(fires, result.Fired);
        if (!fires)
            Assert.DoesNotContain(result.Reasons, r => r.Field == "web.intentVisits7d");
    }

    [Fact]
    public void WebMinBaselineWeeks_IsAParameter_WithinTheBaselineWindow()
    {
        var coldStart = TinyModels.Snapshot(("web.intentVisits7d", 5), ("web.intentBaselineWeeks", 0), ("web.newDomainVisitors14d", 3));

        Assert.True(Agent(("web", new { minBaselineWeeks = 0 })).Assess(coldStart).Fired);
        var ex = Assert.Throws<ManifestException>(() => Agent(("web", new { minBaselineWeeks = 13 })));
        Assert.Contains("parameters.web.minBaselineWeeks", ex.Errors.Keys);
    }

    [Fact]
    public void FindingKey_IsTheNotice_OrTheWebBurst()
    {
        var agent = Agent();
        var first = agent.Assess(TinyModels.Snapshot(("news.title", "Network software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1)));
        var again = agent.Assess(TinyModels.Snapshot(("news.title", "Network  Software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 4)));
        var next = agent.Assess(TinyModels.Snapshot(("news.title", "Case management software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1)));
        var burst = agent.Assess(TinyModels.Snapshot(("web.intentVisits7d", 12), ("web.intentWeeklyBaseline", 1), ("web.intentBaselineWeeks", 12), ("web.newDomainVisitors14d", 2)));

        Assert.Equal(first.Findings.Single().Key, again.Findings.Single().Key);
        Assert.NotEqual(first.Findings.Single().Key, next.Findings.Single().Key);
        Assert.Equal("web-burst", burst.Findings.Single().Key);
    }
}
