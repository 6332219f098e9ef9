using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

public sealed class SnapshotPlanForAgentsTests
{
    [Fact]
    public async Task TheActorsSnapshotPlan_GivesEveryRunningAgentExactlyTheFieldsAFullSnapshotWould()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var set = app.Services.GetRequiredService<AgentRegistry>().Current;
        Assert.True(set.Live.Count >= 3, "expected the built-in agents to be running");
        var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        var state = new CustomerState { CustomerId = "c-1" };
        var n = 0;
        void E(string type, double daysAgo, object attributes) =>
            CustomerTimeline.Apply(state, new CrmEvent($"e{++n}", "c-1", type, now.AddDays(-daysAgo), "test", JsonSerializer.SerializeToElement(attributes)));
        E("profile", 300, new { name = "ACME", domain = "acme.com" });
        E("contract", 200, new { contractType = "Month-to-month", endDate = now.AddDays(30).ToString("O") });
        for (var d = 80; d >= 1; d -= 4)
            E("usage", d, new { quantity = d });
        for (var week = 1; week <= 13; week++)
            E("web_visit", 7 * week + 1, new { url = "https://vendor.example/pricing", visitorId = "v-old" });
        E("web_visit", 1, new { url = "https://vendor.example/security", visitorId = "v-new", visitorEmail = "new@acme.com" });
        E("support_ticket", 6, new { ticketId = "T1", status = "open", priority = "high" });
        E("nps", 2, new { score = 3 });
        E("document", 8, new { text = "We may change these terms at any time without notice.", docType = "ToS" });
        E("news", 2, new { title = "Network equipment and software licences", buyer = "ACME", description = "Switches" });

        var full = SnapshotBuilder.Build(state, now);
        var checkedRuns = 0;
        foreach (var type in EventTypes.All)
        {
            var planned = SnapshotBuilder.Build(state, now, set.PlanFor(type));
            foreach (var run in set.For(type, "c-1"))
            {
                var manifest = run.Agent.Record.Manifest;
                var reads = manifest.Reads.Concat(manifest.OptionalReads).ToList();
                var want = full.Only(reads).Fields;
                var got = planned.Only(reads).Fields;
                Assert.Equal(want.Keys.Order(), got.Keys.Order());
                foreach (var (name, field) in want)
                    Assert.True(field.Number == got[name].Number && field.Text == got[name].Text, $"{manifest.Id} on {type}: {name}");
                Assert.Equal(full.Text("profile.name"), planned.Text("profile.name"));
                checkedRuns++;
            }
        }
        Assert.True(checkedRuns >= 5, $"expected the built-ins to run on several event types, checked {checkedRuns}");
    }
}
