using System.Net;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// Over real HTTP, with the built-in tender-detection: a customer's web history sent in one request after its burst (a
/// backfill) is all counted before any of it is judged. Each of its visits is judged as of the burst's last day; judged one
/// by one, the first old visit saw 12 weeks of history with nothing in them and wrote a burst brief "vs 0 a week" that the
/// same request contradicted (QA qa37b #5).
/// </summary>
public sealed class BackfillJudgedWholeTests
{
    private static async Task PostAndWaitAsync(AgentCrmApp app, IEnumerable<JsonObject> events)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
    }

    [Fact]
    public async Task AWebHistoryBackfilledAfterTheBurst_InOneRequest_TheBurstBriefStatesTheBaselineOfTheWholeRequest()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var start = now.Date.AddDays(-100);
        // The burst first: 24 visits to buying pages over four days, half of them by four new people. No history yet, so
        // no baseline: nothing to judge it against, no brief.
        string[] burst = ["pricing", "security", "integration", "procurement"];
        var events = new List<JsonObject> { Ev.Make("initech", "profile", start, new { name = "Initech", domain = "initech.example" }) };
        for (var k = 0; k < 24; k++)
            events.Add(Ev.Make("initech", "web_visit", now.Date.AddDays(-6 + k % 4).AddMinutes(600 + 60 * (k % 8) + k),
                new { url = $"https://vendor.example/{burst[k % 4]}/x", visitorId = k < 12 ? $"new{k % 4}" : "v1", visitorEmail = $"{(k < 12 ? $"new{k % 4}" : "v1")}@initech.example" }));
        await PostAndWaitAsync(app, events);
        Assert.Empty(await app.BriefsAsync("&customerId=initech&agentId=tender-detection"));

        // Then the three months before, in one request: a few visits a week by two known people.
        string[] quiet = ["pricing", "docs", "blog", "security"];
        var history = new List<JsonObject>();
        for (var day = 0; day < 90; day += 2)
            history.Add(Ev.Make("initech", "web_visit", start.AddDays(day).AddHours(10),
                new { url = $"https://vendor.example/{quiet[day % 4]}", visitorId = $"v{day % 3 % 2 + 1}", visitorDomain = "initech.example" }));
        await PostAndWaitAsync(app, history);

        var baseline = await app.CustomerFieldAsync("initech", "web.intentWeeklyBaseline");
        Assert.InRange(baseline!.Value, 0.5, 5);
        var brief = Assert.Single(await app.BriefsAsync("&customerId=initech&agentId=tender-detection"));
        var visits = brief.GetProperty("reasons").EnumerateArray().First(r => r.GetProperty("field").GetString() == "web.intentVisits7d");
        Assert.Contains(FormattableString.Invariant($"vs {baseline:0.#} a week over the 12 weeks before"), visits.GetProperty("explanation").GetString(), StringComparison.Ordinal);
    }
}
