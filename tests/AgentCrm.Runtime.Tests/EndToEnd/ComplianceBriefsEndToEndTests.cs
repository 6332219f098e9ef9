using System.Net;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// The built-in compliance-check over real HTTP: terms sent again with one word changed are no new finding; terms it cannot
/// read (not English) get a brief that says so; every brief's headline names the document and stays short.
/// </summary>
public sealed class ComplianceBriefsEndToEndTests
{
    private const string Terms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "To the fullest extent permitted by law, Acme shall not be liable for any indirect, incidental or consequential damages, loss of data or loss of profits. " +
        "Acme reserves the right to terminate or suspend your account at any time, for any reason, without notice. " +
        "We hope you enjoy the service.";

    private const string German =
        "Wir können diese Nutzungsbedingungen jederzeit und ohne vorherige Ankündigung ändern. Wir haften nicht für Schäden jeglicher Art, " +
        "einschließlich entgangenen Gewinns oder Datenverlusts. Wir können Ihr Konto jederzeit ohne Angabe von Gründen kündigen oder sperren. " +
        "Gerichtsstand für alle Streitigkeiten ist ausschließlich Dublin, Irland. Mit der Nutzung des Dienstes erklären Sie sich mit diesen Bedingungen einverstanden.";

    private static async Task PostAndWaitAsync(AgentCrmApp app, params JsonObject[] events)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
    }

    [Fact]
    public async Task TermsWithOneWordChanged_AreNoNewFinding_GermanTermsGetANotCheckedBrief()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var start = DateTimeOffset.UtcNow.AddDays(-3);
        await PostAndWaitAsync(app, Ev.Make("acme", "profile", start.AddDays(-1), new { name = "ACME" }),
            Ev.Make("acme", "document", start, new { docType = "Terms of Service", title = "Acme Cloud terms", text = Terms }),
            Ev.Make("fab", "document", start, new { docType = "terms", title = "AGB", text = German }));

        var first = Assert.Single(await app.BriefsAsync("&customerId=acme&agentId=compliance-check"));
        var headline = first.GetProperty("headline").GetString()!;
        Assert.True(headline.Length <= 200, headline);
        Assert.StartsWith("Compliance check ", headline, StringComparison.Ordinal);
        Assert.Contains("\"Acme Cloud terms\" (customer-facing terms)", headline, StringComparison.Ordinal);

        // The same terms, one word changed: the findings are the same, so the cooldown holds (audited as suppressed).
        await PostAndWaitAsync(app, Ev.Make("acme", "document", start.AddDays(1),
            new { docType = "terms", title = "Acme Cloud terms v2", text = Terms.Replace("reserves the right", "reserves its right", StringComparison.Ordinal) }));
        Assert.Single(await app.BriefsAsync("&customerId=acme&agentId=compliance-check"));
        var fired = (await app.GetJsonAsync("/v1/audit?subject=customer:acme&action=assessment.fired")).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("data").GetProperty("suppressedBy").GetString()).ToList();
        Assert.Equal(["cooldown"], fired);

        var notChecked = Assert.Single(await app.BriefsAsync("&customerId=fab&agentId=compliance-check"));
        Assert.Contains("not checked", notChecked.GetProperty("headline").GetString()!, StringComparison.Ordinal);
        var reason = Assert.Single(notChecked.GetProperty("reasons").EnumerateArray());
        Assert.StartsWith("not checked: \"AGB\" reads as German", reason.GetProperty("explanation").GetString()!, StringComparison.Ordinal);
        Assert.Contains("Next step: Have legal review \"AGB\" by hand", notChecked.GetProperty("body").GetString()!, StringComparison.Ordinal);
    }
}
