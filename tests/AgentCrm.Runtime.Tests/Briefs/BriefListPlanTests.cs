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
                                // "Not yet acknowledged" tests each brief the walk finds by the responses' primary key, never leads.
                                if (!first.Contains(expected, StringComparison.Ordinal) || (since is not null && !plan.Contains("briefs_created", StringComparison.Ordinal))
                                    || (acknowledged is not null && !plan.Contains("SEARCH r USING PRIMARY KEY (brief_id=? AND responder=?)", StringComparison.Ordinal)))
                                    failures.Add($"{caller.Role} customer={customer} agent={agent} scenario={scenario} status={status} since={since is not null} acknowledged={acknowledged}: {plan} (expected {expected})");
                            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
