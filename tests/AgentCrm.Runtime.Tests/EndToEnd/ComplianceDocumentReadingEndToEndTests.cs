using System.Net;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// How the built-in compliance-check reads a <c>document</c> event on a real server with the shipped knowledge: HTML terms
/// as the text they show (every clause a sentence, quotes without markup); terms in another script not judged as English
/// but briefed as not checked, naming the script; and such a brief cites nothing off its reason.
/// </summary>
public sealed class ComplianceDocumentReadingEndToEndTests
{
    private static readonly string[] Clauses =
    [
        "To the fullest extent permitted by law, QuickApp shall not be liable for any indirect, incidental or consequential damages, loss of data or loss of profits.",
        "QuickApp may terminate or suspend your account at any time, for any reason, without notice.",
        "Any dispute arising out of these terms shall be resolved by binding arbitration, and you waive your right to a class action.",
        "We may change these terms at any time without notice, and your continued use of the service means you accept the changes.",
    ];

    private static readonly string Plain = "QuickApp Terms of Service\n" + string.Join("\n", Clauses) + "\nWe hope you enjoy QuickApp.";

    // All on one line, as a CMS exports it: the sentences end at "</p><p>", with no space after the full stop.
    private static readonly string Html = "<!DOCTYPE html><html><head><title>QuickApp Terms</title><style>p { margin: 0 }</style></head><body>" +
        "<h1>QuickApp Terms of Service</h1>" + string.Concat(Clauses.Select(c => "<p>" + c.Replace("QuickApp", "Quick&amp;App", StringComparison.Ordinal) + "</p>")) +
        "<p>We hope you enjoy Quick&amp;App.</p></body></html>";

    private const string Russian =
        "Мы можем изменить настоящие условия в любое время без предварительного уведомления. Мы не несем ответственности за любой ущерб, " +
        "включая упущенную выгоду и потерю данных. Мы можем прекратить или приостановить вашу учетную запись в любое время без объяснения причин. " +
        "Все споры подлежат рассмотрению исключительно в судах Дублина, Ирландия. Используя сервис, вы соглашаетесь с настоящими условиями.";

    private static Task<AgentCrmApp> StartAsync() =>
        AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" });

    private static List<string> Quotes(JsonElement brief) =>
        [.. brief.GetProperty("reasons").EnumerateArray().Where(r => r.GetProperty("weight").GetDouble() > 0).Select(r => r.GetProperty("value").GetString()!)];

    [Fact]
    public async Task HtmlTerms_AreReadAsTheirText_RussianTerms_AreNotCheckedAndCiteNothingOffTheReason()
    {
        await using var app = await StartAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
            Ev.Make("plain", "document", now, new { docType = "terms", title = "QuickApp terms", text = Plain }),
            Ev.Make("html", "document", now, new { docType = "terms", title = "QuickApp terms", text = Html }),
            Ev.Make("ru", "document", now, new { docType = "terms", title = "Условия", text = Russian })])).StatusCode);
        await app.WaitForProcessingAsync();

        // The HTML terms give the findings the plain text gives, each quote plain text of the document (entities decoded).
        var plain = Quotes(Assert.Single(await app.BriefsAsync("&customerId=plain&agentId=compliance-check")));
        var html = Quotes(Assert.Single(await app.BriefsAsync("&customerId=html&agentId=compliance-check")));
        Assert.True(plain.Count >= 3, string.Join(" | ", plain));
        Assert.Equal(plain.Select(q => q.Replace("QuickApp", "Quick&App", StringComparison.Ordinal)), html);
        Assert.All(html, q => Assert.DoesNotContain('<', q));

        var ru = Assert.Single(await app.BriefsAsync("&customerId=ru&agentId=compliance-check"));
        var reason = Assert.Single(ru.GetProperty("reasons").EnumerateArray());
        Assert.StartsWith("not checked: \"Условия\" is written in Cyrillic script", reason.GetProperty("explanation").GetString()!, StringComparison.Ordinal);
        Assert.Contains("not checked", ru.GetProperty("headline").GetString()!, StringComparison.Ordinal);
        // The shipped playbook has no passage on documents it cannot read: the brief cites none (it cited "Cap on liability").
        Assert.Empty(ru.GetProperty("citations").EnumerateArray());
    }
}
