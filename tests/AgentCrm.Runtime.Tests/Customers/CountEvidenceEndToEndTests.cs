using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// An activity count names the events it counted, over real HTTP and the real SQLite files: each window of
/// <c>events.countNd.*</c> (and <c>logins.last30d</c>) cites the newest events of its own days, at most ten, and a brief's
/// reason and evidence copy them. Each count used to name only the newest event: "3 inquiries in 30 days" cited one email.
/// </summary>
public sealed class CountEvidenceEndToEndTests
{
    private const string Manifest = """
        {"id":"inquiry-count","version":"1.0.0","kind":"rules","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["email"],"reads":["events.count30d.email.inquiry"],"threshold":0.5,"cooldownDays":0,
         "gate":{"minCases":1,"minPrecision":0,"minRecall":0},
         "rules":{"conditions":[{"name":"inquiries","when":"events.count30d.email.inquiry >= 3","weight":1,"explain":"{events.count30d.email.inquiry} inquiries in 30 days"}]}}
        """;

    private static List<string> Ids(JsonElement field) => field.GetProperty("eventIds").EnumerateArray().Select(e => e.GetString()!).ToList();

    [Fact]
    public async Task ACountInASnapshotAndABrief_CitesEveryEventItCountedInItsWindow()
    {
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", new StringContent(Manifest, Encoding.UTF8, "application/json"))).StatusCode);
        await app.EvaluateAndPromoteAsync("inquiry-count", "1.0.0");

        // Inquiries 40, 20, 10 and 2 days ago (the one 40 days ago is outside 30 days); logins 45 and 3 days ago. Only the
        // last inquiry's turn sees 3 in 30 days: one brief. The snapshot read is as of the newest event (2 days ago).
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = new List<JsonObject>();
        foreach (var days in new[] { 2, 10, 20, 40 })
            events.Insert(0, Ev.Make("asker", "email", now.AddDays(-days), new { category = "inquiry" }, id: $"inq-{days}"));
        events.Add(Ev.Make("asker", "login", now.AddDays(-45), id: "login-45"));
        events.Add(Ev.Make("asker", "login", now.AddDays(-3), id: "login-3"));
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var fields = (await app.GetJsonAsync("/v1/customers/asker")).GetProperty("fields");
        Assert.Equal(3, fields.GetProperty("events.count30d.email.inquiry").GetProperty("number").GetDouble());
        Assert.Equal(["inq-20", "inq-10", "inq-2"], Ids(fields.GetProperty("events.count30d.email.inquiry")));
        Assert.Equal(["inq-20", "inq-10", "inq-2"], Ids(fields.GetProperty("events.count30d.email")));
        Assert.Equal(["inq-40", "inq-20", "inq-10", "inq-2"], Ids(fields.GetProperty("events.count90d.email.inquiry")));
        Assert.Equal(["inq-2"], Ids(fields.GetProperty("events.count7d.email.inquiry")));
        Assert.Equal(["login-45", "login-3"], Ids(fields.GetProperty("events.count90d.login")));
        Assert.Equal(["login-3"], Ids(fields.GetProperty("logins.last30d")));

        var brief = Assert.Single(await app.BriefsAsync("&customerId=asker&agentId=inquiry-count"));
        var reason = Assert.Single(brief.GetProperty("reasons").EnumerateArray());
        Assert.Equal("3 inquiries in 30 days", reason.GetProperty("explanation").GetString());
        Assert.Equal(["inq-20", "inq-10", "inq-2"], Ids(reason));
        var evidence = await app.GetJsonAsync($"/v1/briefs/{brief.GetProperty("id").GetString()}/evidence");
        Assert.Equal(["inq-10", "inq-2", "inq-20"], evidence.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ACountOverManyEvents_CitesTheTenNewest()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        // 15 visits, one a day; sent shuffled, so the ten kept are the newest by event time, not the last to arrive.
        var events = Enumerable.Range(1, 15).Select(d => Ev.Make("visitor", "web_visit", now.AddDays(-d), new { url = "https://vendor.example/pricing" }, id: $"visit-{d:00}"))
            .Select((e, i) => (Event: e, Order: (i + 1) * 7 % 15)).OrderBy(p => p.Order).Select(p => p.Event).ToList();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var fields = (await app.GetJsonAsync("/v1/customers/visitor")).GetProperty("fields");
        Assert.Equal(15, fields.GetProperty("events.count30d.web_visit.pricing").GetProperty("number").GetDouble());
        Assert.Equal(Enumerable.Range(1, 10).Reverse().Select(d => $"visit-{d:00}"), Ids(fields.GetProperty("events.count30d.web_visit.pricing")));
        // The snapshot is as of the newest event (a day ago): its 7 days hold the visits 1 to 7 days ago.
        Assert.Equal(Enumerable.Range(1, 7).Reverse().Select(d => $"visit-{d:00}"), Ids(fields.GetProperty("events.count7d.web_visit")));
    }
}
