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
            // A CSM's: whether the account was theirs as the change was written, by its spans' key (a few rows per account).
            if (csm is not null)
                Assert.Contains("SEARCH s USING PRIMARY KEY (csm_id=? AND customer_id=? AND given_seq<?)", plan);
        }
    }

    [Fact]
    public async Task Backlog_OfASubscriptionFarBehind_ReadsABoundedNumberOfAuditRecords()
    {
        // A CSM's subscription whose receiver has been down: the records after its cursor are mostly other customers'.
        // Counting them all read the whole tail for each scrape and each GET (~1 s per million records and subscription).
        await using var app = await AgentCrmApp.StartAsync();
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        var hook = new WebhookRecord("wh_backlog", "https://example.com/hook", "carla", "renewal-risk", "secret-secret-secret", DateTimeOffset.UtcNow, "test",
            9_999_999, 0, null, null, null, 0, null);
        int StepsAfter(int records)
        {
            using (var fill = connection.CreateCommand())
            {
                fill.CommandText = """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $records)
                    INSERT OR IGNORE INTO audit (seq, at, actor, action, subject, data, prev_hash, hash)
                    SELECT 10000000 + i, '2026-12-05T00:00:00Z', 'test', 'brief.created', 'brief:none-' || i, '{"status":"delivered"}', '', '' FROM n
                    """;
                fill.Parameters.AddWithValue("$records", records);
                fill.ExecuteNonQuery();
            }
            using var cmd = connection.CreateCommand();
            WebhookStore.PrepareBacklog(cmd, hook);
            return SqliteQueries.Steps(cmd);
        }

        var atTwelveThousand = StepsAfter(12_000);
        var atFortyThousand = StepsAfter(40_000);

        Assert.True(atFortyThousand <= atTwelveThousand * 1.05, $"{atTwelveThousand} steps with 12,000 records after the cursor, {atFortyThousand} with 40,000");
    }
}
