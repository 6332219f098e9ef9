using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// The same events sent to a server over HTTP and replayed as a timeline case set: a version fires in the sandbox on the
/// cases it fired on live. The sandbox judged a case at its cutoff, where no live turn ever judges it.
/// </summary>
public sealed class TimelineReplayLikeLiveTests
{
    /// <summary>Fires when the customer has been quiet for 30 days: live, a turn judges as of its own event, so never.</summary>
    private const string Silence = """
        id: silence
        version: 1.0.0
        kind: rules
        scenario: test
        subscribes: [login]
        reads: [events.daysSinceLast]
        purpose: customer-success
        threshold: 0.5
        rules:
          conditions:
            - name: quiet
              when: events.daysSinceLast >= 30
              weight: 1
        """;

    /// <summary>Fires on an email in the last 7 days: live, on the email's own turn.</summary>
    private const string RecentEmail = """
        id: recent-email
        version: 1.0.0
        kind: rules
        scenario: test
        subscribes: [email]
        reads: [events.count7d.email]
        purpose: customer-success
        threshold: 0.5
        rules:
          conditions:
            - name: emailed
              when: events.count7d.email >= 1
              weight: 1
        """;

    [Fact]
    public async Task TimelineCase_FiresInTheSandboxExactlyWhereTheLiveTurnsFired()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var cutoff = DateTimeOffset.UtcNow;
        // A login 45 days before the cutoff, an email 30 days before it (the QA report's 10-01 events, cutoffs 11-15 and 10-31).
        JsonObject[] events =
        [
            Ev.Make("quiet", "login", cutoff.AddDays(-45), new { }),
            Ev.Make("mailed", "email", cutoff.AddDays(-30), new { category = "inquiry", subject = "Renewal terms?" }),
        ];
        foreach (var manifest in new[] { Silence, RecentEmail })
        {
            using var registered = await app.Client.PostAsync("/v1/agents", new StringContent(manifest, Encoding.UTF8, "application/yaml"));
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
            var id = manifest.Split('\n')[0]["id: ".Length..].Trim();
            using var shadow = await app.Client.PostAsync($"/v1/agents/{id}/versions/1.0.0/shadow", null);
            Assert.Equal(HttpStatusCode.OK, shadow.StatusCode);
        }

        // Live: the server judges each event as it arrives.
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
        async Task<(long Evaluations, long Fired)> LiveAsync(string id)
        {
            var v = (await app.GetJsonAsync($"/v1/agents/{id}/health")).GetProperty("versions")[0];
            return (v.GetProperty("evaluations").GetInt64(), v.GetProperty("fired").GetInt64());
        }
        Assert.Equal((1L, 0L), await LiveAsync("silence"));
        Assert.Equal((1L, 1L), await LiveAsync("recent-email"));

        // The sandbox: the same events, both customers labelled "should have fired by the cutoff".
        var labels = $"customerId,cutoff,label\nquiet,{cutoff:yyyy-MM-ddTHH:mm:ssZ},1\nmailed,{cutoff:yyyy-MM-ddTHH:mm:ssZ},1\n";
        using (var added = await app.Client.PostAsync("/v1/cases/like-live", CaseFiles.Upload(string.Join("\n", events.Select(e => e.ToJsonString())), labels)))
            Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        static (int Tp, int Fn) Counts(JsonElement report) => (
            report.GetProperty("confusion").GetProperty("truePositives").GetInt32(),
            report.GetProperty("confusion").GetProperty("falseNegatives").GetInt32());

        // Quiet for 45 days at the cutoff, but never judged so: no true positive the live agent would not have scored.
        var silence = await app.EvaluateAsync("silence", "1.0.0", "like-live");
        Assert.True(Counts(silence) == (0, 2), silence.ToString());
        // The email's own turn fired (its 7-day window is long over at the cutoff): a true positive, not a false negative.
        var email = await app.EvaluateAsync("recent-email", "1.0.0", "like-live");
        Assert.True(Counts(email) == (1, 1), email.ToString());
    }
}
