using System.Text.Json;
using AgentCrm.Briefs;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// The review queue after months: a delivered brief nobody reviews keeps a null verdict for good once its veto window
/// has closed, so the unreviewed briefs grow with the history; and a 72-hour window holds every brief of three days. A
/// queue page must read about what it returns, not every brief still in its window, with the same briefs in the same order.
/// </summary>
public sealed class ReviewQueueScaleTests
{
    /// <summary>The SQLite virtual-machine steps one queue page takes on the server's own database: a bound on rows read.</summary>
    private static int QueuePageSteps(AgentCrmApp app, long after = 0)
    {
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = BriefStore.ReviewQueueSql;
        cmd.Parameters.AddWithValue("$delivered", true);
        cmd.Parameters.AddWithValue("$held", true);
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O"));
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", 51L);
        return SqliteQueries.Steps(cmd);
    }

    [Fact]
    public async Task ReviewQueue_BriefsWhoseWindowClosedUnreviewed_AreNotReadByAPage()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // A version whose veto window closes as it delivers: each brief is delivered, never reviewed, and out of the queue at once.
        await Variants.RegisterAsync(app, "1.0.2", m => m["vetoWindowHours"] = 0);
        Assert.True((await app.EvaluateAndPromoteAsync("renewal-risk", "1.0.2")).IsSuccessStatusCode);
        var now = DateTimeOffset.UtcNow;

        await app.PostEventsAsync(Timelines.AtRisk("closed-0", now));
        await app.WaitForProcessingAsync();
        var before = QueuePageSteps(app);

        const int more = 40;
        await app.PostEventsAsync(Enumerable.Range(1, more).SelectMany(i => Timelines.AtRisk($"closed-{i}", now)));
        await app.WaitForProcessingAsync();
        Assert.Equal(more + 1, (await app.BriefsAsync("&agentId=renewal-risk")).Count(b => b.GetProperty("agentVersion").GetString() == "1.0.2"));
        var queue = await app.GetJsonAsync("/v1/reviews?limit=500");
        Assert.Empty(queue.GetProperty("items").EnumerateArray());

        // Before, the page joined every unreviewed brief (brief_reviews by verdict IS NULL), some twenty steps each.
        var after = QueuePageSteps(app);
        Assert.True(after - before < more, $"a queue page took {before} steps with 1 closed brief and {after} with {more + 1}: it reads every unreviewed brief");
    }

    /// <summary>
    /// Copies of a real brief, stored as the customer actor stores its briefs (<see cref="BriefStore.Add"/> in a write of
    /// the server's writer): thousands in seconds, where the agent pipeline takes a customer history each.
    /// </summary>
    private static async Task<List<string>> AddBriefsAsync(AgentCrmApp app, Brief template, string prefix, int count, Func<int, DateTimeOffset, Brief> shape)
    {
        var store = app.Services.GetRequiredService<BriefStore>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        await app.Services.GetRequiredService<SqliteWriter>().WriteAsync(ctx =>
        {
            for (var i = 0; i < count; i++)
                Assert.True(store.Add(ctx, shape(i, time.GetUtcNow()) with { Id = ids[i], CustomerId = ids[i] }, []));
        });
        return ids;
    }

    private static Brief Delivered(Brief template, DateTimeOffset now, TimeSpan window) =>
        template with { Status = BriefStatus.Delivered, CreatedAt = now, ReviewUntil = now + window, Review = null };

    /// <summary>A brief the built-in delivered for a customer's at-risk history (it re-briefs as the score rises: all are in the queue), with its 72-hour veto window.</summary>
    private static async Task<Brief> DeliveredBriefAsync(AgentCrmApp app, string customerId)
    {
        await app.PostEventsAsync(Timelines.AtRisk(customerId, DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var id = (await app.BriefsAsync($"&customerId={customerId}"))[0].GetProperty("id").GetString()!;
        var brief = app.Services.GetRequiredService<BriefStore>().Get(id)!;
        Assert.Equal(BriefStatus.Delivered, brief.Status);
        return brief;
    }

    /// <summary>The whole queue over HTTP, page by page with each page's cursor.</summary>
    private static async Task<List<string>> QueueAsync(HttpClient reviewer, int limit)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            using var response = await reviewer.GetAsync($"/v1/reviews?limit={limit}{(cursor is null ? "" : "&cursor=" + cursor)}");
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, page.ToString());
            var items = page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
            Assert.True(items.Count <= limit);
            ids.AddRange(items);
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return ids;
    }

    private static long Scalar(AgentCrmApp app, string sql)
    {
        using var connection = app.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [Fact]
    public async Task ReviewQueue_ThousandsOfDeliveredBriefsInTheirWindow_AreNotReadByAPage()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var template = await DeliveredBriefAsync(app, "template");
        var queued = await QueueAsync(app.Client, 50);
        var first = await AddBriefsAsync(app, template, "early", 100, (_, now) => Delivered(template, now, TimeSpan.FromHours(72)));
        // Both pages are full (51 rows read): any difference is what the briefs beyond the page cost.
        var before = QueuePageSteps(app);
        var deepBefore = QueuePageSteps(app, Scalar(app, "SELECT seq FROM briefs WHERE id = 'early-10'"));

        const int more = 3000;
        await AddBriefsAsync(app, template, "later", more, (_, now) => Delivered(template, now, TimeSpan.FromHours(72)));

        // Before, a page read every brief in its window by the window's end and sorted them by seq: some 18 steps each.
        var after = QueuePageSteps(app);
        var deepAfter = QueuePageSteps(app, Scalar(app, "SELECT seq FROM briefs WHERE id = 'early-10'"));
        Assert.True(after - before < 100, $"a queue page took {before} steps with 101 briefs in their window and {after} with {more + 101}: it reads every brief in its window");
        Assert.True(deepAfter - deepBefore < 100, $"a later page took {deepBefore} steps with 101 briefs in their window and {deepAfter} with {more + 101}");
        var page = await app.GetJsonAsync("/v1/reviews?limit=50");
        Assert.Equal(queued.Concat(first).Take(50), page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
    }

    /// <summary>The server's clock moved on by <see cref="Shift"/> (its timers are the system's).</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + Shift;
    }

    [Fact]
    public async Task ReviewQueue_PagesExactlyOldestFirst_AndABriefLeavesWhenItsWindowCloses_SweptOrNot()
    {
        var clock = new ShiftedClock();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<TimeProvider>(clock));
        using var reviewer = await app.ClientAsync("reviewer");
        var template = await DeliveredBriefAsync(app, "template");
        var queued = await QueueAsync(reviewer, 50);
        // Delivered with a 1-hour or a 72-hour window in turn, and every fifth held for review, interleaved by seq.
        var ids = await AddBriefsAsync(app, template, "mixed", 40, (i, now) => i % 5 == 4
            ? template with { Status = BriefStatus.PendingReview, CreatedAt = now, ReviewUntil = null, Review = null }
            : Delivered(template, now, TimeSpan.FromHours(i % 2 == 0 ? 1 : 72)));
        var held = ids.Where((_, i) => i % 5 == 4).ToList();
        var shortWindow = ids.Where((_, i) => i % 5 != 4 && i % 2 == 0).ToList();
        // Reviewed briefs leave the queue: one approved (short window), one vetoed (long window), one held approved.
        Assert.True((await reviewer.PostAsync($"/v1/briefs/{ids[0]}/approve", Variants.Json("{}"))).IsSuccessStatusCode);
        Assert.True((await reviewer.PostAsync($"/v1/briefs/{ids[1]}/veto", Variants.Json("""{"reason":"wrong customer"}"""))).IsSuccessStatusCode);
        Assert.True((await reviewer.PostAsync($"/v1/briefs/{ids[4]}/approve", Variants.Json("{}"))).IsSuccessStatusCode);
        List<string> open = [.. queued, .. ids.Where((_, i) => i is not (0 or 1 or 4))];
        foreach (var limit in new[] { 1, 7, 50 })
            Assert.Equal(open, await QueueAsync(reviewer, limit));

        // Past the short windows, before any sweep: those briefs leave the queue at once.
        clock.Shift = TimeSpan.FromHours(2);
        var stillOpen = open.Where(id => !shortWindow.Contains(id)).ToList();
        foreach (var limit in new[] { 1, 7, 50 })
            Assert.Equal(stillOpen, await QueueAsync(reviewer, limit));

        // The sweep (every minute; here at once) leaves only the rows of delivered briefs still in their window, and the same queue.
        await app.Services.GetRequiredService<BriefStore>().SweepClosedWindowsAsync();
        Assert.Equal(stillOpen.Except(held).Count(), Scalar(app, "SELECT count(*) FROM review_windows"));
        Assert.Equal(stillOpen, await QueueAsync(reviewer, 7));
    }

    [Fact]
    public async Task ReviewQueue_OfADirectoryFromBeforeReviewWindows_ListsTheBriefsInTheirWindow_AfterTheUpgrade()
    {
        var dir = TempDirectory.Create();
        List<string> open;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var template = await DeliveredBriefAsync(app, "template");
            var queued = await QueueAsync(app.Client, 50);
            var inWindow = await AddBriefsAsync(app, template, "open", 20, (_, now) => Delivered(template, now, TimeSpan.FromHours(72)));
            // Delivered two hours ago with a one-hour window: closed, unreviewed, never in the queue again.
            await AddBriefsAsync(app, template, "closed", 5, (_, now) => Delivered(template, now.AddHours(-2), TimeSpan.FromHours(1)));
            open = [.. queued, .. inWindow];
            Assert.Equal(open, await QueueAsync(app.Client, 7));
        }
        // As the database was before the table existed (or after an older build delivered briefs without it).
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "DROP TABLE review_windows;";
            cmd.ExecuteNonQuery();
        }

        for (var start = 0; start < 2; start++)
        {
            await using var again = await AgentCrmApp.StartAsync(dir);
            Assert.Equal(open, await QueueAsync(again.Client, 7));
            Assert.Equal(open.Count, Scalar(again, "SELECT count(*) FROM review_windows"));
        }
    }
}
