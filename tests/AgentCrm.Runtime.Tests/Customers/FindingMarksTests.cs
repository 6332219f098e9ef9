using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// An assessment with several findings (<see cref="Assessment.Findings"/>) briefs while one of them is new, and its brief
/// marks only those: a tender notice during a burst briefed already, a burst after a notice; a document's categories, of
/// which fewer than were briefed wait. Marks of earlier builds (the whole agent, the whole set of categories) still hold.
/// </summary>
public sealed class FindingMarksTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly AgentManifest Tender = new() { Id = "tender-detection", Version = "1.0.0", Kind = "tender-detection", CooldownDays = 14 };

    private static readonly AgentManifest Compliance = new() { Id = "compliance-check", Version = "1.0.0", Kind = "compliance-check", CooldownDays = 30 };

    private static Assessment Of(params Finding[] findings) => new(findings.Max(f => f.Score), true, []) { Findings = findings };

    private static List<string> Brief(CustomerState state, AgentManifest manifest, Assessment assessment, DateTimeOffset at)
    {
        var marks = CustomerActor.MarksToLeave(state, manifest.Id, manifest, assessment, at);
        foreach (var (key, mark) in marks)
            state.LastBriefs[key] = mark;
        return [.. marks.Select(m => m.Key)];
    }

    private static string Key(string agent, string finding) => CustomerActor.CooldownKey(agent, finding);

    [Fact]
    public void Tender_ANewNoticeDuringABurstBriefedAlready_Briefs_AndMarksOnlyTheNotice()
    {
        var state = new CustomerState();
        Assert.Equal([Key(Tender.Id, "web-burst")], Brief(state, Tender, Of(new Finding("web-burst", 0.97)), Now));

        // Two days on, the burst still scores 0.99 and a notice from the customer scores 0.99: the notice is new.
        var withNotice = Of(new Finding("notice:network software|acme", 0.99), new Finding("web-burst", 0.99));
        Assert.Equal([Key(Tender.Id, "notice:network software|acme")], Brief(state, Tender, withNotice, Now.AddDays(2)));
        Assert.Equal(Now, state.LastBriefs[Key(Tender.Id, "web-burst")].At);

        // The same notice and burst again: both wait.
        Assert.Empty(Brief(state, Tender, withNotice, Now.AddDays(3)));
    }

    [Fact]
    public void Tender_ABurstAfterANoticeBriefedAlready_Briefs_AndItsRiseIsMeasuredOnItsOwnScore()
    {
        var rescore = Tender with { Parameters = new Dictionary<string, System.Text.Json.JsonElement> { ["rescoreRise"] = System.Text.Json.JsonSerializer.SerializeToElement(0.5) } };
        var state = new CustomerState();
        Brief(state, rescore, Of(new Finding("notice:n|acme", 0.99)), Now);

        Assert.Equal([Key(Tender.Id, "web-burst")], Brief(state, rescore, Of(new Finding("notice:n|acme", 0.99), new Finding("web-burst", 0.45)), Now.AddDays(1)));
        // The notice's 0.99 is no rise of the burst (briefed at 0.45): it waits until it rises by 0.5 itself.
        Assert.Empty(Brief(state, rescore, Of(new Finding("notice:n|acme", 0.99), new Finding("web-burst", 0.9)), Now.AddDays(2)));
        Assert.Equal([Key(Tender.Id, "web-burst")], Brief(state, rescore, Of(new Finding("notice:n|acme", 0.99), new Finding("web-burst", 0.96)), Now.AddDays(3)));
    }

    [Fact]
    public void Compliance_FewerOfTheCategoriesBriefed_Wait_ANewCategoryBriefs_AndMarksOnlyIt()
    {
        var state = new CustomerState();
        var all = Of(new Finding("document:soylent terms\nunfair:unilateral termination", 0.9), new Finding("document:soylent terms\nunfair:unilateral change", 0.8),
            new Finding("document:soylent terms\nunfair:arbitration", 0.85));
        Assert.Equal(3, Brief(state, Compliance, all, Now).Count);

        Assert.Empty(Brief(state, Compliance, Of(new Finding("document:soylent terms\nunfair:unilateral termination", 0.9), new Finding("document:soylent terms\nunfair:unilateral change", 0.8)), Now.AddDays(1)));
        Assert.Equal([Key(Compliance.Id, "document:soylent terms\nunfair:jurisdiction")],
            Brief(state, Compliance, Of(new Finding("document:soylent terms\nunfair:unilateral termination", 0.9), new Finding("document:soylent terms\nunfair:jurisdiction", 0.7)), Now.AddDays(2)));
        // Another document with the same categories is another finding.
        Assert.Equal(2, Brief(state, Compliance, Of(new Finding("document:globex terms\nunfair:unilateral termination", 0.9), new Finding("document:globex terms\nunfair:arbitration", 0.8)), Now.AddDays(2)).Count);
    }

    [Fact]
    public void MarksOfEarlierBuilds_TheWholeSetOfCategories_OrTheWholeAgent_StillHoldTheirFindings()
    {
        // An earlier build marked the document and its whole set of categories as one key.
        const string whole = "document:soylent terms\nunfair:arbitration\nunfair:unilateral termination";
        var state = new CustomerState();
        state.LastBriefs[Key(Compliance.Id, whole)] = new BriefMark(Now.AddDays(-5), 0.9);
        var same = Of(new Finding("document:soylent terms\nunfair:arbitration", 0.9), new Finding("document:soylent terms\nunfair:unilateral termination", 0.85)) with { FindingKey = whole };
        var more = Of(new Finding("document:soylent terms\nunfair:arbitration", 0.9), new Finding("document:soylent terms\nunfair:jurisdiction", 0.85)) with { FindingKey = "document:soylent terms\nunfair:arbitration\nunfair:jurisdiction" };

        Assert.Empty(CustomerActor.MarksToLeave(state, Compliance.Id, Compliance, same, Now));
        Assert.Equal(2, CustomerActor.MarksToLeave(state, Compliance.Id, Compliance, more, Now).Count);

        // A mark of the whole agent (saved before findings were named) holds every finding while it lasts.
        state.LastBriefs[Compliance.Id] = new BriefMark(Now.AddDays(-1), 0.9);
        Assert.Empty(CustomerActor.MarksToLeave(state, Compliance.Id, Compliance, more, Now));
        Assert.Equal(2, CustomerActor.MarksToLeave(state, Compliance.Id, Compliance, more, Now.AddDays(29)).Count);
    }

    [Fact]
    public void MoreFindingsThanTheMarksBound_KeepEveryMarkTheTurnLeft_SoNoneBriefsAgainOnTheNextEvent()
    {
        var state = new CustomerState();
        var many = Of([.. Enumerable.Range(0, CustomerActor.MaxMarksPerAgent + 8).Select(i => new Finding($"clause-{i}", 0.9))]);
        Assert.Equal(CustomerActor.MaxMarksPerAgent + 8, Brief(state, Compliance, many, Now).Count);

        // The turn's save trims the agent's marks: 8 of the 40 just written went, and briefed again on every event.
        CustomerActor.ForgetExpiredMarks(state, Compliance.Id, Compliance.CooldownDays, Now);
        Assert.Empty(Brief(state, Compliance, many, Now.AddHours(1)));

        // Marks of an earlier turn past the bound still go, oldest first.
        CustomerActor.ForgetExpiredMarks(state, Compliance.Id, Compliance.CooldownDays, Now.AddHours(1));
        Assert.Equal(CustomerActor.MaxMarksPerAgent, state.LastBriefs.Count);
    }

    [Fact]
    public void OneFinding_AsBefore_MarksItsKey_OrTheAgent()
    {
        var state = new CustomerState();
        var renewal = Compliance with { Id = "renewal-risk", CooldownDays = 7 };

        Assert.Equal(["renewal-risk"], Brief(state, renewal, new Assessment(0.8, true, []), Now));
        Assert.Empty(Brief(state, renewal, new Assessment(0.8, true, []), Now.AddDays(1)));
        Assert.Equal([Key(Compliance.Id, "x")], Brief(state, Compliance, new Assessment(0.8, true, []) { FindingKey = "x" }, Now));
    }
}
