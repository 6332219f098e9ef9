using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Tests.Text;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>
/// A notice and a web burst seen together are two findings, each at its own score (each has its own cooldown), and the
/// brief leads with a notice that is one (a notice's weight is a probability, the web's are logit terms: by weight the
/// visits led).
/// </summary>
public sealed class TenderFindingsTests
{
    private static readonly TenderDetectionKind Kind = new();

    private static IAgent Agent() => Kind.Create(TenderDetectionKind.Template with
    {
        Threshold = 0.5,
        Parameters = TinyModels.Parameters(("model", TinyModels.Words(("match", -3, [("software", 5), ("network", 4)])))),
    });

    // At 12 visits -4 + 2·ln(13/2) + 0.8·2: p 0.79, its reasons weigh +3.74 and +1.60.
    private static (string, object)[] Burst(int visits = 12) =>
        [("web.intentVisits7d", visits), ("web.intentWeeklyBaseline", 1), ("web.intentBaselineWeeks", 12), ("web.intentBurstDays", 5), ("web.newDomainVisitors14d", 2)];

    private static readonly double BurstScore = Math.Round(1 / (1 + Math.Exp(-(-4 + 2 * Math.Log(13.0 / 2) + 1.6))), 4);

    [Fact]
    public void ANoticeDuringABurst_IsAFindingOfItsOwn_BesideTheBurst_EachAtItsOwnScore()
    {
        var notice = Agent().Assess(TinyModels.Snapshot(("news.title", "Network software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1))).Score;
        var result = Agent().Assess(TinyModels.Snapshot([("news.title", "Network software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1), .. Burst()]));

        Assert.True(result.Fired);
        Assert.InRange(notice, BurstScore, 1);
        Assert.Equal(notice, result.Score);
        // The notice's brief holds it back while it counts (noticeDays 30, in whole days since: 31 days), the burst's the cooldown.
        Assert.Equal([new Finding("notice:network software|city of ottawa", notice) { CooldownDays = 31 }, new Finding(TenderAgent.WebBurstFinding, BurstScore)], result.Findings);
    }

    [Fact]
    public void ANoticeBelowTheThreshold_IsNoFinding_TheBurstIs()
    {
        // "paving": -3, p 0.05 — seen, not a finding: a new weak notice must not let the burst brief again in its cooldown.
        var result = Agent().Assess(TinyModels.Snapshot([("news.title", "Paving"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1), .. Burst()]));

        Assert.Equal(BurstScore, result.Score);
        Assert.Equal([new Finding(TenderAgent.WebBurstFinding, BurstScore)], result.Findings);
        Assert.Equal(["web.intentVisits7d", "web.newDomainVisitors14d", "news.title"], result.Reasons.Select(r => r.Field));
        Assert.StartsWith("Call the sponsor", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheNoticeScoresTheBrief_ItsReasonLeads_ThenTheBurstsByWeight()
    {
        var result = Agent().Assess(TinyModels.Snapshot([("news.title", "Network software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1), .. Burst()]));

        Assert.Equal(["news.title", "web.intentVisits7d", "web.newDomainVisitors14d"], result.Reasons.Select(r => r.Field));
        Assert.StartsWith("Prepare a bid", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void ANoticeAtTheThreshold_Leads_AStrongerBurstToo()
    {
        // "software" alone: -3 + 5 = 2, p 0.88 — over the threshold, under the burst made stronger (20 visits: p 0.91).
        var result = Agent().Assess(TinyModels.Snapshot([("news.title", "Software"), ("news.buyer", "City of Ottawa"), ("news.daysSince", 1), .. Burst(20)]));

        Assert.True(result.Score > result.Findings[0].Score, string.Join(", ", result.Findings));
        Assert.Equal(["news.title", "web.intentVisits7d", "web.newDomainVisitors14d"], result.Reasons.Select(r => r.Field));
        Assert.StartsWith("Prepare a bid", result.NextStep, StringComparison.Ordinal);
    }
}
