using AgentCrm.Access;
using AgentCrm.Briefs;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// GET /v1/briefs after months holds every brief ever written; a filter few briefs meet (a rare state such as vetoed, a
/// rare scenario, a recent since) must read through an index, and a CSM's list must stay on their accounts' briefs
/// ("not yet acknowledged" included).
/// The plans are SQLite's own for the query the server runs, on the server's database, for every mix of filters.
/// </summary>
public sealed class BriefListPlanTests
{
    private static string Plan(AgentCrmApp app, BriefQuery q)
    {
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        BriefStore.Prepare(cmd, q);
        return string.Join("; ", SqliteQueries.Plan(cmd));
    }

    [Fact]
    public async Task BriefList_EveryMixOfFilters_ReadsThroughTheLeadingFiltersIndex()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var csm = new Caller("csm-1", Roles.Csm, "key");
        var ops = new Caller("ops-1", Roles.Ops, "key");
        var failures = new List<string>();
        foreach (var caller in new[] { ops, csm })
            foreach (var customer in new[] { null, "c-1" })
                foreach (var agent in new[] { null, "renewal-risk" })
                    foreach (var scenario in new[] { null, "tender-detection" })
                        foreach (var status in new BriefStatus?[] { null, BriefStatus.Vetoed, BriefStatus.Delivered })
                            foreach (var since in new DateTimeOffset?[] { null, DateTimeOffset.UtcNow })
                            foreach (var acknowledged in new bool?[] { null, false })
                            {
                                var q = new BriefQuery(customer, agent, scenario, status, since, 50, null) { VisibleTo = caller, Acknowledged = acknowledged };
                                var plan = Plan(app, q);
                                var expected = caller.ScopedToAccounts || customer is not null ? "USING INDEX briefs_customer"
                                    : status is BriefStatus.Vetoed ? "USING INDEX briefs_status"
                                    : agent is not null ? "USING INDEX briefs_agent"
                                    : scenario is not null ? "USING INDEX briefs_scenario"
                                    : status is not null ? "USING INDEX briefs_status"
                                    : since is not null ? "USING INTEGER PRIMARY KEY"
                                    : "SCAN briefs";
                                var first = plan.Split("; ")[0];
                                // "Not yet acknowledged" tests each brief a CSM's walk finds by the responses' primary key, never leads (ops
                                // have no responses: the filter adds nothing to their walk).
                                if (!first.Contains(expected, StringComparison.Ordinal) || (since is not null && !plan.Contains("briefs_created", StringComparison.Ordinal))
                                    || (acknowledged is not null && caller.ScopedToAccounts && !plan.Contains("SEARCH r USING PRIMARY KEY (brief_id=? AND responder=?)", StringComparison.Ordinal)))
                                    failures.Add($"{caller.Role} customer={customer} agent={agent} scenario={scenario} status={status} since={since is not null} acknowledged={acknowledged}: {plan} (expected {expected})");
                            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task AcknowledgedTrue_ForAReaderWhoAcknowledgedAFew_ReadsTheirResponses_NotEveryBrief()
    {
        // A CSM's (or an admin's) "acknowledged" list after months: a few briefs they answered among thousands of their
        // accounts'. It used to test every brief of the accounts against the responses, on every page.
        await using var app = await AgentCrmApp.StartAsync();
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        SeedBriefs(connection, "brf_ack_", "ack-");
        using (var seed = connection.CreateCommand())
        {
            seed.CommandText = """
                INSERT INTO csm_accounts (csm_id, customer_id) SELECT 'csm-1', 'ack-' || i FROM (WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < 49) SELECT i FROM m);
                INSERT INTO brief_responses (brief_id, responder, agent_id, agent_version, acknowledged_at)
                VALUES ('brf_ack_10', 'csm-1', 'plan-agent', '1.0.0', '2026-01-02T00:00:00Z'), ('brf_ack_4000', 'csm-1', 'plan-agent', '1.0.0', '2026-01-02T00:00:00Z'),
                       ('brf_ack_20', 'admin:root', 'plan-agent', '1.0.0', '2026-01-02T00:00:00Z'), ('brf_ack_30', 'someone-else', 'plan-agent', '1.0.0', '2026-01-02T00:00:00Z');
                """;
            seed.ExecuteNonQuery();
        }
        int Steps(BriefQuery q)
        {
            using var cmd = connection.CreateCommand();
            BriefStore.Prepare(cmd, q);
            return SqliteQueries.Steps(cmd);
        }
        var readers = new[] { (new Caller("csm-1", Roles.Csm, "key"), new[] { "brf_ack_4000", "brf_ack_10" }), (new Caller("root", Roles.Admin, "key"), ["brf_ack_20"]) };
        var before = readers.Select(r => Steps(new BriefQuery(null, null, null, null, null, 50, null) { VisibleTo = r.Item1, Acknowledged = true })).ToList();
        SeedBriefs(connection, "brf_more_", "ack-");
        foreach (var ((caller, expected), i) in readers.Select((r, i) => (r, i)))
        {
            var q = new BriefQuery(null, null, null, null, null, 50, null) { VisibleTo = caller, Acknowledged = true };
            // 5,000 more briefs of the reader's accounts, none answered: the page reads no more.
            Assert.True(Steps(q) <= before[i] + 10, $"{caller.Role}: acknowledged=true took {before[i]} steps at 5,000 briefs, {Steps(q)} at 10,000");
            // Newest first, the reader's own only (the seeded bodies are empty: compared by seq).
            using var read = connection.CreateCommand();
            BriefStore.Prepare(read, q);
            var seqs = new List<long>();
            using (var reader = read.ExecuteReader())
                while (reader.Read())
                    seqs.Add(reader.GetInt64(0));
            Assert.Equal(expected.Select(id => SeqOf(connection, id)), seqs);
        }
    }

    /// <summary>5,000 delivered briefs of one agent over the customers <paramref name="customers"/>-0 … -49, ids <paramref name="ids"/>1 …</summary>
    private static void SeedBriefs(Microsoft.Data.Sqlite.SqliteConnection connection, string ids, string customers)
    {
        using var seed = connection.CreateCommand();
        seed.CommandText = """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
            INSERT INTO briefs (id, customer_id, agent_id, agent_version, scenario, status, created_at, body)
            SELECT $ids || i, $customers || (i % 50), 'plan-agent', '1.0.0', 'plan', 'delivered', '2026-01-01T00:00:00Z', '{}' FROM n
            """;
        seed.Parameters.AddWithValue("$ids", ids);
        seed.Parameters.AddWithValue("$customers", customers);
        seed.ExecuteNonQuery();
    }

    private static long SeqOf(Microsoft.Data.Sqlite.SqliteConnection connection, string id)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT seq FROM briefs WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task AcknowledgedTrue_ForACallerWhoNeverResponds_ReadsNoBriefs()
    {
        // An ops or reviewer credential cannot acknowledge: "?acknowledged=true" is empty for it without testing every brief
        // ever written against the responses (a walk of the whole table for each page), and "false" costs what no filter costs.
        await using var app = await AgentCrmApp.StartAsync();
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        SeedBriefs(connection, "brf_plan_", "plan-");
        int Steps(Caller caller, bool? acknowledged)
        {
            using var cmd = connection.CreateCommand();
            BriefStore.Prepare(cmd, new BriefQuery(null, null, null, null, null, 50, null) { VisibleTo = caller, Acknowledged = acknowledged });
            return SqliteQueries.Steps(cmd);
        }
        foreach (var caller in new[] { new Caller("rita", Roles.Reviewer, "key"), new Caller("ops-1", Roles.Ops, "jwt") })
        {
            var unfiltered = Steps(caller, null);
            Assert.True(Steps(caller, true) < 100, $"{caller.Role}: acknowledged=true took {Steps(caller, true)} steps");
            Assert.Equal(unfiltered, Steps(caller, false));
        }
    }
}
