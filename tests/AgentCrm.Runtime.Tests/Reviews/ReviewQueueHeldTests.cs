using System.Net;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// The review queue's held briefs (<c>review_held</c>): a version taken back (rolled back, unregistered, suspended) keeps
/// its held briefs pendingReview for good, out of the queue. A page must not walk them, and they come back when the
/// version is active again: whether the server or the CLI (in its own process) changed the registry, and in a data
/// directory from before the table.
/// </summary>
public sealed class ReviewQueueHeldTests
{
    /// <summary>The SQLite virtual-machine steps one queue page takes on the server's own database: a bound on rows read.</summary>
    private static int QueuePageSteps(AgentCrmApp app)
    {
        using var connection = app.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = BriefStore.ReviewQueueSql;
        cmd.Parameters.AddWithValue("$delivered", true);
        cmd.Parameters.AddWithValue("$held", true);
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O"));
        cmd.Parameters.AddWithValue("$after", 0L);
        cmd.Parameters.AddWithValue("$limit", 51L);
        return SqliteQueries.Steps(cmd);
    }

    private static long Scalar(AgentCrmApp app, string sql)
    {
        using var connection = app.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    /// <summary>A brief the built-in delivered for a customer's at-risk history: the shape the copies below take.</summary>
    private static async Task<Brief> TemplateAsync(AgentCrmApp app)
    {
        await app.PostEventsAsync(Timelines.AtRisk("template", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var id = (await app.BriefsAsync("&customerId=template"))[0].GetProperty("id").GetString()!;
        return app.Services.GetRequiredService<BriefStore>().Get(id)!;
    }

    /// <summary>
    /// Briefs of <paramref name="version"/> held for review, stored as the customer actor stores them (<see cref="BriefStore.Add"/>
    /// in a write of the server's writer): thousands in seconds.
    /// </summary>
    private static async Task<List<string>> AddHeldAsync(AgentCrmApp app, Brief template, string version, string prefix, int count)
    {
        var store = app.Services.GetRequiredService<BriefStore>();
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        await app.Services.GetRequiredService<SqliteWriter>().WriteAsync(ctx =>
        {
            foreach (var id in ids)
                Assert.True(store.Add(ctx, template with
                {
                    Id = id, CustomerId = id, AgentVersion = version, Status = BriefStatus.PendingReview, CreatedAt = now, ReviewUntil = null, Review = null,
                }, []));
        });
        return ids;
    }

    /// <summary>A canary of the built-in that holds <paramref name="held"/> briefs, rolled back: withdrawn, its held briefs out of the queue for good.</summary>
    private static async Task<List<string>> WithdrawnCanaryAsync(AgentCrmApp app, Brief template, string version, int held)
    {
        await Variants.RegisterAsync(app, version);
        using (var promoted = await app.EvaluateAndPromoteAsync("renewal-risk", version, canaryPercent: 50))
            Assert.True(promoted.IsSuccessStatusCode, await promoted.Content.ReadAsStringAsync());
        var ids = await AddHeldAsync(app, template, version, version, held);
        using var rollback = await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", null);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        return ids;
    }

    /// <summary>The whole queue over HTTP, page by page with each page's cursor.</summary>
    internal static async Task<List<string>> QueueAsync(HttpClient reviewer, int limit = 7)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            using var response = await reviewer.GetAsync($"/v1/reviews?limit={limit}{(cursor is null ? "" : "&cursor=" + cursor)}");
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, page.ToString());
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return ids;
    }

    /// <summary>Promotes a copy of the built-in that holds its briefs for review, and returns the briefs it holds for <paramref name="customers"/>.</summary>
    private static async Task<List<string>> HeldBriefsOfReviewVersionAsync(AgentCrmApp app, string version, params string[] customers)
    {
        await Variants.RegisterAsync(app, version, m => m["vetoPolicy"] = "reviewBeforeDelivery");
        using (var promoted = await app.EvaluateAndPromoteAsync("renewal-risk", version))
            Assert.True(promoted.IsSuccessStatusCode, await promoted.Content.ReadAsStringAsync());
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(customers.SelectMany(c => Timelines.AtRisk(c, now)));
        await app.WaitForProcessingAsync();
        var ids = new List<string>();
        foreach (var customer in customers)
        {
            var brief = Assert.Single(await app.BriefsAsync($"&customerId={customer}"));
            Assert.Equal("pendingReview", brief.GetProperty("status").GetString());
            ids.Add(brief.GetProperty("id").GetString()!);
        }
        // In the order they were stored (the customers' turns run side by side): the queue's, oldest first.
        var stored = (await app.BriefsAsync("&agentId=renewal-risk")).Select(b => b.GetProperty("id").GetString()!).Reverse();
        return stored.Where(ids.Contains).ToList();
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, Variants.Json(json));
        return response.StatusCode;
    }

    [Fact]
    public async Task ReviewQueue_ThousandsOfHeldBriefsOfWithdrawnVersions_AreNotReadByAPage()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var template = await TemplateAsync(app);
        // Held briefs of the primary version: in the queue throughout.
        await AddHeldAsync(app, template, template.AgentVersion, "kept", 20);
        var queue = await QueueAsync(app.Client, 50);
        Assert.Equal(20, queue.Count(id => id.StartsWith("kept-", StringComparison.Ordinal)));
        await WithdrawnCanaryAsync(app, template, "1.1.0-canary", 1);
        // The page is not full (the template's briefs and 20): it reads to the end of the held briefs, any difference is what the withdrawn ones cost.
        var before = QueuePageSteps(app);

        const int more = 3000;
        await WithdrawnCanaryAsync(app, template, "1.2.0-canary", more);

        // Before, a page read every held brief by state and seq and dropped the withdrawn ones: some 20 steps each.
        var after = QueuePageSteps(app);
        Assert.True(after - before < 100, $"a queue page took {before} steps with 1 held brief of a withdrawn version and {after} with {more + 1}: it reads every held brief");
        Assert.Equal(queue, await QueueAsync(app.Client));
        Assert.Equal(queue, await QueueAsync(app.Client, 50));
    }

    [Fact]
    public async Task HeldBriefs_OfASuspendedVersion_LeaveTheQueue_AndComeBackWhenItIsPromotedAgain()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Reviews:MinBriefs"] = "3",
            ["Reviews:Window"] = "4",
            ["Reviews:MaxVetoRate"] = "0.5",
        });
        using var reviewer = await app.ClientAsync("reviewer");
        var held = await HeldBriefsOfReviewVersionAsync(app, "1.1.0-review", "a1", "a2", "a3", "a4");
        Assert.Equal(held, await QueueAsync(reviewer, 2));

        // Three vetoes of four briefs: the version is suspended (auto-suspension), and its fourth held brief leaves the queue.
        foreach (var id in held.Take(3))
            Assert.Equal(HttpStatusCode.OK, await PostAsync(reviewer, $"/v1/briefs/{id}/veto", """{"reason":"wrong"}"""));
        Assert.Equal("suspended", app.Services.GetRequiredService<AgentRegistry>().Find("renewal-risk", "1.1.0-review").State.ToString().ToLowerInvariant());
        Assert.Empty(await QueueAsync(reviewer));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(reviewer, $"/v1/briefs/{held[3]}/approve", "{}"));

        // Resumed through the gate: its held brief is back, and can be approved.
        using (var resumed = await app.EvaluateAndPromoteAsync("renewal-risk", "1.1.0-review"))
            Assert.True(resumed.IsSuccessStatusCode, await resumed.Content.ReadAsStringAsync());
        Assert.Equal([held[3]], await QueueAsync(reviewer));
        Assert.Equal(1, Scalar(app, "SELECT count(*) FROM review_held"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(reviewer, $"/v1/briefs/{held[3]}/approve", "{}"));
        Assert.Empty(await QueueAsync(reviewer));
        Assert.Equal(0, Scalar(app, "SELECT count(*) FROM review_held"));
    }

    [Fact]
    public async Task HeldBriefs_OfAVersionTheCliPromotesOrRollsBack_RejoinOrLeaveTheRunningServersQueue()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer");
        var held = await HeldBriefsOfReviewVersionAsync(app, "1.1.0-review", "initech", "umbrella");
        await app.Services.GetRequiredService<AgentRegistry>().SuspendAsync("renewal-risk", "1.1.0-review", "test", "checked by hand");
        Assert.Empty(await QueueAsync(reviewer));

        // The CLI changes the registry in its own process and commits the queue's rows with it: the server reads them as they are.
        var promote = await CliRunner.RunAsync(["agents", "promote", "renewal-risk@1.1.0-review", "--data", app.DataDirectory]);
        Assert.True(promote.ExitCode == 0, promote.Stderr);
        Assert.Equal(held, await QueueAsync(reviewer, 1));

        var rollback = await CliRunner.RunAsync(["agents", "rollback", "renewal-risk", "--data", app.DataDirectory]);
        Assert.True(rollback.ExitCode == 0, rollback.Stderr);
        Assert.Empty(await QueueAsync(reviewer));
        Assert.Equal(0, Scalar(app, "SELECT count(*) FROM review_held"));
    }

    [Fact]
    public async Task ReviewQueue_OfADirectoryFromBeforeReviewHeld_ListsTheHeldBriefs_AfterTheUpgrade_AndAfterAnOlderBuildWroteToIt()
    {
        var dir = TempDirectory.Create();
        List<string> open;
        string vetoed;
        List<string> withdrawn;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var template = await TemplateAsync(app);
            var queued = await QueueAsync(app.Client, 50);
            var kept = await AddHeldAsync(app, template, template.AgentVersion, "kept", 10);
            withdrawn = await WithdrawnCanaryAsync(app, template, "1.1.0-canary", 5);
            vetoed = kept[3];
            Assert.Equal(HttpStatusCode.OK, await PostAsync(app.Client, $"/v1/briefs/{vetoed}/veto", """{"reason":"wrong"}"""));
            open = [.. queued, .. kept.Where(id => id != vetoed)];
            Assert.Equal(open, await QueueAsync(app.Client));
        }

        // As the database was before the table existed (or after an older build held briefs without it).
        DataDb.Execute(dir, "DROP TABLE review_held;");
        for (var start = 0; start < 2; start++)
        {
            await using var again = await AgentCrmApp.StartAsync(dir);
            Assert.Equal(open, await QueueAsync(again.Client));
            Assert.Equal(9, Scalar(again, "SELECT count(*) FROM review_held"));
        }

        // As an older build leaves the table: it held a brief without a row, and a verdict and a withdrawal left theirs.
        DataDb.Execute(dir, $"""
            DELETE FROM review_held WHERE seq = (SELECT seq FROM briefs WHERE id = 'kept-0');
            INSERT INTO review_held (seq) SELECT seq FROM briefs WHERE id IN ('{vetoed}', '{withdrawn[0]}');
            """);
        await using var upgraded = await AgentCrmApp.StartAsync(dir);
        Assert.Equal(open, await QueueAsync(upgraded.Client));
        Assert.Equal(9, Scalar(upgraded, "SELECT count(*) FROM review_held"));
    }
}
