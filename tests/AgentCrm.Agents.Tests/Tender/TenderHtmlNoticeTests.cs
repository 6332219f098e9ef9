using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tender;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>
/// An RFP sent as a <c>document</c> whose text is HTML is read as the text it shows, as compliance-check reads HTML terms:
/// the built-in scores it as it scores the same notice in plain text, and its evidence names no markup.
/// </summary>
public sealed class TenderHtmlNoticeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    private static Assessment AssessRfp(string text)
    {
        var kind = new TenderDetectionKind();
        var s = new CustomerState();
        CustomerTimeline.Apply(s, new CrmEvent("p", "c-1", "profile", Now.AddDays(-90), "test",
            JsonSerializer.SerializeToElement(new { name = "Shared Services Canada" })));
        CustomerTimeline.Apply(s, new CrmEvent("rfp-1", "c-1", "document", Now.AddDays(-2), "test", JsonSerializer.SerializeToElement(new
        {
            title = "RFP: Network monitoring software and licences", docType = "RFP", text,
        })));
        return kind.Create(kind.BuiltIn).Assess(SnapshotBuilder.Build(s, Now));
    }

    [Fact]
    public void HtmlRfp_ScoresAsItsText_AndItsEvidenceNamesNoMarkup()
    {
        const string Plain = "Shared Services Canada invites proposals for network monitoring software licences.\n"
            + "Installation, training and support for three years.";
        const string Html = "<!DOCTYPE html><html><head><title>RFP</title><style>p { margin: 0 }</style></head><body>"
            + "<div class=\"notice\"><p>Shared Services Canada invites proposals for network monitoring software licences.</p>"
            + "<p>Installation, training &amp; support for three years.</p></div></body></html>";

        var plain = AssessRfp(Plain.Replace("training and", "training &", StringComparison.Ordinal));
        var html = AssessRfp(Html);

        Assert.True(html.Fired, string.Join("; ", html.Reasons.Select(r => r.Explanation)));
        Assert.Equal(plain.Score, html.Score, 12);
        var evidence = html.Reasons[0].Explanation;
        Assert.DoesNotContain("html", evidence, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("margin", evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("<", evidence, StringComparison.Ordinal);
    }
}
