using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// Cooldown marks of agents other than the one writing (a shadow version's, an agent's whose versions changed) are dropped
/// once expired when a turn saves, not kept in every customer's state for good. Over HTTP and the real SQLite file.
/// </summary>
public sealed class CooldownMarksPruneTests
{
    // A shadow version that fires on every usage event and cools down for a day; it does not run on logins.
    private const string ShadowAgent = """
        {
          "id": "mark-shadow", "version": "1.0.0", "kind": "rules", "scenario": "test",
          "subscribes": ["usage"],
          "reads": ["usage.last30d"],
          "purpose": "customer-success",
          "threshold": 0.5,
          "cooldownDays": 1,
          "rules": { "conditions": [ { "name": "used", "when": "usage.last30d >= 0", "weight": 1 } ] }
        }
        """;

    private const string ShadowMark = "mark-shadow@1.0.0#shadow";

    [Fact]
    public async Task Turn_AShadowVersionsMarkExpired_TheSavedStateNoLongerHoldsIt()
    {
        var now = DateTimeOffset.UtcNow;
        await using var app = await AgentCrmApp.StartAsync();
        using (var register = await app.Client.PostAsync("/v1/agents", new StringContent(ShadowAgent, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        using (var shadow = await app.Client.PostAsync("/v1/agents/mark-shadow/versions/1.0.0/shadow", null))
            Assert.Equal(HttpStatusCode.OK, shadow.StatusCode);

        await app.PostEventsAsync([Ev.Make("marks-1", "usage", now.AddDays(-3), new { quantity = 5 })]);
        await app.WaitForProcessingAsync();
        Assert.Single(await app.BriefsAsync("&agentId=mark-shadow&status=shadow"));
        Assert.Contains(Marks(app.DataDirectory, "marks-1"), k => k.StartsWith(ShadowMark, StringComparison.Ordinal));

        // Three days on (the mark's day of cooldown long over), a turn the shadow version takes no part in saves the state.
        await app.PostEventsAsync([Ev.Make("marks-1", "login", now.AddMinutes(-1))]);
        await app.WaitForProcessingAsync();
        var marks = Marks(app.DataDirectory, "marks-1");
        Assert.True(!marks.Any(k => k.StartsWith(ShadowMark, StringComparison.Ordinal)), $"an expired mark is still saved: {string.Join(", ", marks)}");
    }

    private static List<string> Marks(string dir, string customerId) =>
        [.. JsonSerializer.Deserialize<CustomerState>(SavedStateJsonTests.Load(dir, customerId), new JsonSerializerOptions(JsonSerializerDefaults.Web))!.LastBriefs.Keys];
}
