using System.Net;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>
/// Over real HTTP and the real SQLite file, with the built-in tender-detection: a procurement notice counts for
/// <c>noticeDays</c> (30), longer than the 14-day cooldown, and is briefed once while it counts. An unrelated event 14–30
/// days after it (a blog visit; a profile update in the same backfill) re-scored it and wrote a second "Prepare a bid"
/// brief for the same notice (QA qa37b #1). The customer's next notice still briefs.
/// </summary>
public sealed class TenderNoticeBriefedOnceTests
{
    private const string Buyer = "Canada Border Services Agency";
    private const string Notice = "Informatics professional services: Senior Programmer/Analyst (TBIPS)";

    private static async Task PostAndWaitAsync(AgentCrmApp app, IEnumerable<JsonObject> events)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
    }

    private static async Task<List<string>> BriefedNoticesAsync(AgentCrmApp app, string customerId) =>
        [.. (await app.BriefsAsync($"&customerId={customerId}&agentId=tender-detection"))
            .Select(b => b.GetProperty("reasons").EnumerateArray().First(r => r.GetProperty("field").GetString() == "news.title").GetProperty("value").GetString()!)];

    [Fact]
    public async Task ANoticeBriefed_IsNotBriefedAgainByALaterEventWhileItCounts_EvenAfterARestart_ANewNoticeBriefs()
    {
        var dir = TempDirectory.Create();
        var day = DateTimeOffset.UtcNow.Date;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            await PostAndWaitAsync(app,
            [
                Ev.Make("cbsa", "profile", day.AddDays(-40), new { name = Buyer, domain = "cbsa.gc.ca" }),
                Ev.Make("cbsa", "news", day.AddDays(-20).AddHours(9), new { title = Notice, buyer = Buyer }),
            ]);
            Assert.Equal([Notice], await BriefedNoticesAsync(app, "cbsa"));
        }

        // The actor's state is saved and read back by a new server: the notice's mark is there, with how long it holds.
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            // 16 days after the notice (past the 14-day cooldown, inside the 30 days it counts), someone reads the blog.
            await PostAndWaitAsync(app, [Ev.Make("cbsa", "web_visit", day.AddDays(-4).AddHours(9), new { url = "https://crm.example/blog/x", visitorId = "v1", visitorDomain = "cbsa.gc.ca" })]);
            Assert.Equal([Notice], await BriefedNoticesAsync(app, "cbsa"));
            // A day later the customer's segment changes: the turn before kept the notice's mark as it saved (its 14 days were over).
            await PostAndWaitAsync(app, [Ev.Make("cbsa", "profile", day.AddDays(-3).AddHours(9), new { name = Buyer, segment = "enterprise" })]);
            Assert.Equal([Notice], await BriefedNoticesAsync(app, "cbsa"));
            var held = (await app.GetJsonAsync("/v1/audit?subject=customer:cbsa&action=assessment.fired")).GetProperty("items").EnumerateArray();
            Assert.Equal(["cooldown", "cooldown"], held.Select(r => r.GetProperty("data").GetProperty("suppressedBy").GetString()));

            // Two days later the customer publishes another call: a new notice briefs at once.
            const string next = "Network infrastructure software and licences";
            await PostAndWaitAsync(app, [Ev.Make("cbsa", "news", day.AddDays(-2).AddHours(9), new { title = next, buyer = Buyer })]);
            Assert.Equal([Notice, next], (await BriefedNoticesAsync(app, "cbsa")).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task ABackfillOfANoticeAndAProfileUpdateAMonthLater_InOneRequest_BriefsTheNoticeOnce()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var day = DateTimeOffset.UtcNow.Date;
        // As QA sent it: the notice on 10-01 09:00, the profile on 11-01 00:00 (30 whole days later: the notice still counts).
        await PostAndWaitAsync(app,
        [
            Ev.Make("cbsa-b", "profile", day.AddDays(-10), new { name = Buyer }),
            Ev.Make("cbsa-b", "news", day.AddDays(-41).AddHours(9), new { title = Notice, buyer = Buyer }),
        ]);
        Assert.Equal([Notice], await BriefedNoticesAsync(app, "cbsa-b"));
    }

    /// <summary>
    /// Two notices backfilled in one request after a later event: each is judged as it arrives, so both are briefed (a turn
    /// that folded every late event before judging any judged both triggers against the newer notice: the older was never
    /// briefed, and the newer's brief carried the older's trigger).
    /// </summary>
    [Fact]
    public async Task TwoNoticesBackfilledInOneRequest_AfterALaterEvent_AreEachBriefed()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var day = DateTimeOffset.UtcNow.Date;
        const string older = "Network infrastructure software and licences";
        await PostAndWaitAsync(app,
        [
            Ev.Make("cbsa-two", "profile", day.AddDays(-40), new { name = Buyer, domain = "cbsa.gc.ca" }),
            Ev.Make("cbsa-two", "web_visit", day.AddDays(-1).AddHours(9), new { url = "https://crm.example/blog/x", visitorId = "v1", visitorDomain = "cbsa.gc.ca" }),
        ]);
        await PostAndWaitAsync(app,
        [
            Ev.Make("cbsa-two", "news", day.AddDays(-6).AddHours(9), new { title = older, buyer = Buyer }, id: "notice-older"),
            Ev.Make("cbsa-two", "news", day.AddDays(-4).AddHours(9), new { title = Notice, buyer = Buyer }, id: "notice-newer"),
        ]);

        var briefs = await app.BriefsAsync("&customerId=cbsa-two&agentId=tender-detection");
        Assert.Equal([Notice, older], (await BriefedNoticesAsync(app, "cbsa-two")).Order(StringComparer.Ordinal));
        Assert.Equal(["notice-newer", "notice-older"], briefs.Select(b => b.GetProperty("triggerEventId").GetString()).Order(StringComparer.Ordinal));
    }
}
