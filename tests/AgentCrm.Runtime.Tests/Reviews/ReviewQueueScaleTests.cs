using AgentCrm.Briefs;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// The review queue after months: a delivered brief nobody reviews keeps a null verdict for good once its veto window
/// has closed, so the unreviewed briefs grow with the history. A queue page must read what is open now, not all of them.
/// </summary>
public sealed class ReviewQueueScaleTests
{
    /// <summary>The SQLite virtual-machine steps one queue page takes on the server's own database: a bound on rows read.</summary>
    private static int QueuePageSteps(AgentCrmApp app)
    {
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = BriefStore.ReviewQueueSql;
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O"));
        cmd.Parameters.AddWithValue("$after", 0L);
        cmd.Parameters.AddWithValue("$limit", 51L);
        return SqliteQueries.Steps(cmd);
    }

    [Fact]
    public async Task ReviewQueue_BriefsWhoseWindowClosedUnreviewed_AreNotReadByAPage()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // A version whose veto window closes as it delivers: each brief is delivered, never reviewed, and out of the queue at once.
        await Variants.RegisterAsync(app, "1.0.1", m => m["vetoWindowHours"] = 0);
        Assert.True((await app.EvaluateAndPromoteAsync("renewal-risk", "1.0.1")).IsSuccessStatusCode);
        var now = DateTimeOffset.UtcNow;

        await app.PostEventsAsync(Timelines.AtRisk("closed-0", now));
        await app.WaitForProcessingAsync();
        var before = QueuePageSteps(app);

        const int more = 40;
        await app.PostEventsAsync(Enumerable.Range(1, more).SelectMany(i => Timelines.AtRisk($"closed-{i}", now)));
        await app.WaitForProcessingAsync();
        Assert.Equal(more + 1, (await app.BriefsAsync("&agentId=renewal-risk")).Count(b => b.GetProperty("agentVersion").GetString() == "1.0.1"));
        var queue = await app.GetJsonAsync("/v1/reviews?limit=500");
        Assert.Empty(queue.GetProperty("items").EnumerateArray());

        // Before, the page joined every unreviewed brief (brief_reviews by verdict IS NULL), some twenty steps each.
        var after = QueuePageSteps(app);
        Assert.True(after - before < more, $"a queue page took {before} steps with 1 closed brief and {after} with {more + 1}: it reads every unreviewed brief");
    }
}
