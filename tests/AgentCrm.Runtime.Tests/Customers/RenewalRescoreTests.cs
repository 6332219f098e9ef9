using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Actors;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>The customer actor's renewal re-score reminder through the real server: at least once, even when its turn fails.</summary>
public sealed class RenewalRescoreTests
{
    // Fires on every contract assessment and never waits out a cooldown, so each re-score leaves a (shadow) brief.
    private const string Watcher = """
        {
          "id": "contract-watch", "version": "1.0.0", "kind": "rules", "scenario": "test",
          "subscribes": ["contract"],
          "reads": ["contract.daysToEnd"],
          "purpose": "customer-success",
          "threshold": 0.5,
          "cooldownDays": 0,
          "rules": { "conditions": [ { "name": "ending", "when": "contract.daysToEnd >= 0", "weight": 1 } ] }
        }
        """;

    [Fact]
    public void RescoreTrigger_NamesThePointReScored_NotTheDayTheFiringRan()
    {
        var state = JsonSerializer.Deserialize<CustomerState>(
            """{"customerId":"acme","contract":{"end":"2027-03-31T00:00:00+00:00","eventId":"c1"}}""", new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var sixtyDaysBefore = new DateTimeOffset(2027, 1, 30, 23, 59, 0, TimeSpan.Zero);

        // A firing retried after midnight (its first try's brief may already be written) names the same brief.
        Assert.Equal("reminder:renewal-rescore:20270331-60d", CustomerActor.RescoreTrigger(state, sixtyDaysBefore));
        Assert.Equal("reminder:renewal-rescore:20270331-60d", CustomerActor.RescoreTrigger(state, sixtyDaysBefore.AddMinutes(2)));
        Assert.Equal("reminder:renewal-rescore:20270331-90d", CustomerActor.RescoreTrigger(state, new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal("reminder:renewal-rescore:20270331-30d", CustomerActor.RescoreTrigger(state, new DateTimeOffset(2027, 4, 2, 0, 0, 0, TimeSpan.Zero)));
        // Without a contract end (removed since the reminder was set) the day names it, as before.
        Assert.Equal("reminder:renewal-rescore:20270130", CustomerActor.RescoreTrigger(new CustomerState { CustomerId = "acme" }, sixtyDaysBefore));
    }

    [Fact]
    public async Task AContractEndingInYearOne_IsApplied_NotADeadLetter()
    {
        await using var app = await AgentCrmApp.StartAsync();

        // 0001-01-01 is what many exports write for an empty date; intake accepts it as a date.
        using (var post = await app.PostEventsAsync([Ev.Make("year-one", "contract", DateTimeOffset.UtcNow.AddMinutes(-1),
            new { contractType = "annual", endDate = "0001-01-01", value = 1000 })]))
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        await app.WaitForProcessingAsync();

        var deadLetters = await app.GetJsonAsync("/v1/dead-letters");
        Assert.True(deadLetters.GetProperty("items").GetArrayLength() == 0, $"the event's turn failed: {deadLetters}");
        Assert.True(await app.CustomerFieldAsync("year-one", "contract.daysToEnd") < 0);
    }

    [Fact]
    public async Task RescoreReminder_ItsTurnFailsOnce_FiresAgainAndTheRescoreBriefIsWritten()
    {
        FlakyStateStore? flaky = null;
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.Replace(ServiceDescriptor.Singleton<IActorStateStore>(sp =>
            flaky = new FlakyStateStore(ActivatorUtilities.CreateInstance<SqliteActorStateStore>(sp)))));
        _ = app.Services.GetRequiredService<IActorStateStore>();
        using (var register = await app.Client.PostAsync("/v1/agents", new StringContent(Watcher, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        using (var shadow = await app.Client.PostAsync("/v1/agents/contract-watch/versions/1.0.0/shadow", null))
            Assert.Equal(HttpStatusCode.OK, shadow.StatusCode);

        // The first re-score (90 days before the end) is due a few seconds from now.
        var now = DateTimeOffset.UtcNow;
        var end = now.AddDays(90).AddSeconds(6);
        await app.PostEventsAsync([Ev.Make("rescored", "contract", now.AddMinutes(-1),
            new { contractType = "annual", startDate = "2026-01-01T00:00:00Z", endDate = end.ToString("yyyy-MM-ddTHH:mm:ssZ"), value = 1000 })]);
        await app.WaitForProcessingAsync();
        Assert.Single(await app.BriefsAsync("&agentId=contract-watch&status=shadow"));

        // The re-score's turn fails once (its state, brief included, is not saved).
        flaky!.FailNextSaves("rescored", 1);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<System.Text.Json.JsonElement> briefs;
        while ((briefs = await app.BriefsAsync("&agentId=contract-watch&status=shadow")).Count < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        // Retried: the failed turn did not move the reminder on to 60 days before the end.
        Assert.Equal(2, briefs.Count);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, (await app.BriefsAsync("&agentId=contract-watch&status=shadow")).Count);
    }
}
