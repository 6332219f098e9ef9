using AgentCrm.Agents;
using AgentCrm.Briefs;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A template brief's headline is at most <see cref="BriefComposer.MaxHeadline"/> characters, whatever the agent's reasons or
/// own headline hold: a list row, a console row, a webhook or Slack message shows it whole (QA qa43b F3: a notice's text made
/// a 10,213-character headline).
/// </summary>
public sealed class BriefHeadlineTests
{
    private static readonly AgentManifest Manifest = new() { Id = "expansion", Version = "1.0.0", Kind = "rules", Scenario = "expansion-opportunity", Threshold = 0.5 };

    private static string Words(string word, int count) => string.Join(' ', Enumerable.Repeat(word, count));

    [Fact]
    public void Template_LongReasons_AreCutOnAWord_WithAnEllipsis()
    {
        Reason[] reasons = [new("web.lastPage", "x", 0.6, ["e-1"], "visited " + Words("pricing", 60)), new("email.subject", "y", 0.3, ["e-2"], Words("inquiry", 60))];

        var (headline, body) = BriefComposer.Template(Manifest, "ACME", new Assessment(0.9, true, reasons, "Call them."), []);

        Assert.Equal(300, BriefComposer.MaxHeadline);
        Assert.True(headline.Length <= BriefComposer.MaxHeadline, $"expected at most {BriefComposer.MaxHeadline} characters, got {headline.Length}");
        Assert.StartsWith("Expansion opportunity 0.90 for ACME — visited pricing pricing", headline, StringComparison.Ordinal);
        Assert.EndsWith(" pricing…", headline, StringComparison.Ordinal);
        Assert.Contains(Words("pricing", 60), body, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_AnAgentsOwnLongHeadline_IsCutToo_AShortOneIsKeptAsItIs()
    {
        var own = new Assessment(0.9, true, [], "") { Headline = "Tickets piling up at ACME: " + Words("escalation", 400) };
        var shortOne = new Assessment(0.9, true, [], "") { Headline = "Tickets piling up at ACME" };

        var cut = BriefComposer.Template(Manifest, "ACME", own, []).Headline;

        Assert.True(cut.Length <= BriefComposer.MaxHeadline, $"expected at most {BriefComposer.MaxHeadline} characters, got {cut.Length}");
        Assert.EndsWith(" escalation…", cut, StringComparison.Ordinal);
        Assert.Equal("Tickets piling up at ACME", BriefComposer.Template(Manifest, "ACME", shortOne, []).Headline);
    }
}
