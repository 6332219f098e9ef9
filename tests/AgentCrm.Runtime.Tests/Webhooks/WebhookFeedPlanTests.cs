using AgentCrm.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A subscription's feed reads the audit log from its cursor, in order, by the primary key: through audit_action it would
/// read every brief record after the cursor and sort them, for each batch of a large backlog.
/// </summary>
public sealed class WebhookFeedPlanTests
{
    [Fact]
    public async Task Feed_EveryFilter_WalksTheAuditByItsPrimaryKey_AndFindsEachBriefById()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        foreach (var (csm, agent) in new[] { ((string?)null, (string?)null), ("carla", null), (null, "renewal-risk"), ("carla", "renewal-risk") })
        {
            var hook = new WebhookRecord("wh_plan", "https://example.com/hook", csm, agent, "secret-secret-secret", DateTimeOffset.UtcNow, "test",
                0, 0, null, null, null, 0, null);
            using var cmd = connection.CreateCommand();
            WebhookStore.PrepareChanges(cmd, hook, 10, long.MaxValue, 100);
            var plan = string.Join("; ", SqliteQueries.Plan(cmd));
            Assert.Contains("SEARCH a USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)", plan);
            Assert.Contains("SEARCH b USING INDEX sqlite_autoindex_briefs_1 (id=?)", plan);
            Assert.DoesNotContain("audit_action", plan);
            Assert.DoesNotContain("TEMP B-TREE", plan);
        }
    }
}
