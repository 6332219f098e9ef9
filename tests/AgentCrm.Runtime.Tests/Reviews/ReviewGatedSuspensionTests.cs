using System.Net;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// Auto-suspension of a reviewBeforeDelivery version that keeps writing briefs: its veto rate is over the briefs a reviewer
/// decided. Counting the latest briefs by seq, held ones included as not vetoed, it never fired (QA: 115 of 115 reviewed
/// briefs vetoed, oldest first as the queue serves them, 39,177 still pending; the version stayed active).
/// </summary>
public sealed class ReviewGatedSuspensionTests
{
    [Fact]
    public async Task AReviewGatedVersion_WhoseReviewedBriefsAreVetoed_IsSuspended_ThoughMoreArePending()
    {
        // The defaults: more than half of the latest 20 vetoed, once there are 10.
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "1.1.0", m => m["vetoPolicy"] = "reviewBeforeDelivery");
        using (var promoted = await app.EvaluateAndPromoteAsync("renewal-risk", "1.1.0"))
            Assert.True(promoted.IsSuccessStatusCode, await promoted.Content.ReadAsStringAsync());
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Enumerable.Range(0, 40).SelectMany(i => Timelines.AtRisk($"held-{i}", now)));
        await app.WaitForProcessingAsync();

        using var reviewer = await app.ClientAsync("reviewer");
        var queue = await QueueAsync(reviewer);
        Assert.Equal(40, queue.Count);

        // The reviewer works the queue oldest first and vetoes each: 30 briefs newer than those stay pending.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("active", await VersionStateAsync(app));
            using var veto = await reviewer.PostAsync($"/v1/briefs/{queue[i]}/veto", Variants.Json("""{"reason":"wrong"}"""));
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
        }

        Assert.Equal("suspended", await VersionStateAsync(app));
        var log = await app.GetJsonAsync("/v1/audit?subject=agent:renewal-risk@1.1.0&action=agent.suspended");
        var record = Assert.Single(log.GetProperty("items").EnumerateArray());
        Assert.Equal("system:auto-suspension", record.GetProperty("actor").GetString());
        Assert.Contains("veto rate 1.00 over its latest 10 briefs", record.GetProperty("data").GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReviewGatedVersion_WithFewVetoesAmongItsApprovals_StaysActive()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "1.1.0", m => m["vetoPolicy"] = "reviewBeforeDelivery");
        using (var promoted = await app.EvaluateAndPromoteAsync("renewal-risk", "1.1.0"))
            Assert.True(promoted.IsSuccessStatusCode, await promoted.Content.ReadAsStringAsync());
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Enumerable.Range(0, 30).SelectMany(i => Timelines.AtRisk($"held-{i}", now)));
        await app.WaitForProcessingAsync();

        using var reviewer = await app.ClientAsync("reviewer");
        var queue = await QueueAsync(reviewer);
        // Approved briefs count as decided and not vetoed: 4 vetoes of 12 decided is a rate of 0.33.
        for (var i = 0; i < 12; i++)
        {
            using var verdict = i % 3 == 0
                ? await reviewer.PostAsync($"/v1/briefs/{queue[i]}/veto", Variants.Json("""{"reason":"wrong"}"""))
                : await reviewer.PostAsync($"/v1/briefs/{queue[i]}/approve", Variants.Json("{}"));
            Assert.Equal(HttpStatusCode.OK, verdict.StatusCode);
        }

        Assert.Equal("active", await VersionStateAsync(app));
    }

    private static async Task<string?> VersionStateAsync(AgentCrmApp app) =>
        (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray()
            .Single(v => v.GetProperty("version").GetString() == "1.1.0").GetProperty("state").GetString();

    /// <summary>The review queue's ids over HTTP, oldest first, page by page.</summary>
    private static Task<List<string>> QueueAsync(HttpClient reviewer) => ReviewQueueHeldTests.QueueAsync(reviewer, 50);
}
