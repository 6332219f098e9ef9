using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Tests.Text;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Tender;

public sealed class TenderAgentTests
{
    private static readonly TenderDetectionKind Kind = new();

    private static AgentManifest Manifest() => TenderDetectionKind.Template with
    {
        Threshold = 0.5,
        Parameters = TinyModels.Parameters(("model", TinyModels.Words(("match", -3, [("software", 5), ("informatics", 5), ("network", 4)])))),
    };

    [Fact]
    public void IctNotice_Fires_SayingWhatFromWhomAndWhen()
    {
        var result = Kind.Create(Manifest()).Assess(TinyModels.Snapshot(
            ("news.title", "Case management software (21120-102299/C)"), ("news.buyer", "Correctional Service of Canada"), ("news.daysSince", 3)));

        Assert.True(result.Fired);
        var reason = Assert.Single(result.Reasons);
        Assert.Equal("news.title", reason.Field);
        Assert.StartsWith("procurement notice \"Case management software (21120-102299/C)\" from Correctional Service of Canada, published 3 days ago, matches our product category (p 0.88; on: software)",
            reason.Explanation, StringComparison.Ordinal);
        Assert.StartsWith("Prepare a bid", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstructionNotice_OrStaleNotice_DoesNotFire()
    {
        var agent = Kind.Create(Manifest());

        var paving = agent.Assess(TinyModels.Snapshot(("news.title", "Campground asphalt paving"), ("news.buyer", "Parks Canada"), ("news.daysSince", 1)));
        var stale = agent.Assess(TinyModels.Snapshot(("news.title", "Network software renewal"), ("news.daysSince", 90)));

        Assert.False(paving.Fired);
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(3)), 4), paving.Score);
        Assert.False(stale.Fired);
        Assert.Empty(stale.Reasons);
    }

    [Fact]
    public void WebBurstAboveBaseline_WithNewDomainVisitors_Fires_SayingSinceWhen()
    {
        var result = Kind.Create(Manifest()).Assess(TinyModels.Snapshot(
            ("web.intentVisits7d", 12), ("web.intentWeeklyBaseline", 1), ("web.intentBaselineWeeks", 12), ("web.intentBurstDays", 5),
            ("web.intentCategories7d", "pricing 7, security 5"), ("web.newDomainVisitors14d", 2)));

        // -4 + 2·ln(13/2) + 0.8·2
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(-(-4 + 2 * Math.Log(13.0 / 2) + 1.6))), 4), result.Score);
        Assert.True(result.Fired);
        Assert.Equal(2, result.Reasons.Count);
        Assert.Equal("12 visits to buying pages (pricing 7, security 5) in 7 days, since 2026-11-15, vs 1 a week over the 12 weeks before", result.Reasons[0].Explanation);
        Assert.Equal("2 new visitors from the customer's own domain in 14 days", result.Reasons[1].Explanation);
        Assert.StartsWith("Call the sponsor", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void BusyButUsualWeek_DoesNotFire()
    {
        var result = Kind.Create(Manifest()).Assess(TinyModels.Snapshot(
            ("web.intentVisits7d", 10), ("web.intentWeeklyBaseline", 10), ("web.intentBaselineWeeks", 12), ("web.intentBurstDays", 6)));

        Assert.False(result.Fired);
        Assert.True(result.Score < 0.1);
    }

    [Fact]
    public void BadParameters_AreRejectedWithTheirPaths()
    {
        var manifest = TenderDetectionKind.Template with
        {
            Parameters = TinyModels.Parameters(("model", TinyModels.Words(("other", 0, [("x", 1)]))), ("web", new { burst = "high", colour = 1 }), ("noticeDays", -1)),
        };

        var ex = Assert.Throws<ManifestException>(() => Kind.Create(manifest));

        Assert.Contains("parameters.model.classes", ex.Errors.Keys);
        Assert.Contains("parameters.web.burst", ex.Errors.Keys);
        Assert.Contains("parameters.web.colour", ex.Errors.Keys);
        Assert.Contains("parameters.noticeDays", ex.Errors.Keys);
    }

    [Fact]
    public void BuiltIn_CarriesTheFittedNoticeModel()
    {
        var builtIn = Kind.BuiltIn;
        Assert.Equal("tender-detection", builtIn.Id);
        Assert.NotNull(TextModel.FromJson(builtIn.Parameters["model"]).Class("match"));
        var agent = Kind.Create(builtIn);

        Assert.True(agent.Assess(TinyModels.Snapshot(("news.title", "TBIPS - Programmer/Software Developer Level 2"), ("news.buyer", "Shared Services Canada"))).Fired);
        Assert.False(agent.Assess(TinyModels.Snapshot(("news.title", "Asphalt paving and joint sealing"), ("news.buyer", "Parks Canada"))).Fired);
    }
}
