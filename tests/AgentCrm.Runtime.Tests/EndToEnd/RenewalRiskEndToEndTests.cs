using System.Net;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.EndToEnd;

public sealed class RenewalRiskEndToEndTests
{
    [Fact]
    public async Task Timeline_CustomerAtRisk_GetsBriefWithReasons_HealthyCustomerGetsNone()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await AtRiskScenarioAsync(app, () => app.WaitForProcessingAsync());
    }

    /// <summary>The foundation scenario: events in, customer actors, a brief with its reasons out. Run on both actor hosts.</summary>
    internal static async Task AtRiskScenarioAsync(AgentCrmApp app, Func<Task> waitForProcessing, bool ordered = true)
    {
        var now = DateTimeOffset.UtcNow;
        var risky = Timelines.AtRisk("acme", now);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(risky)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(Timelines.Healthy("globex", now))).StatusCode);
        await waitForProcessing();

        Assert.Empty(await app.BriefsAsync("&customerId=globex"));
        var briefs = await app.BriefsAsync("&customerId=acme&agentId=renewal-risk");
        Assert.NotEmpty(briefs);
        var latest = briefs[0];
        Assert.Equal("delivered", latest.GetProperty("status").GetString());
        Assert.Equal("renewal-risk", latest.GetProperty("scenario").GetString());
        Assert.True(latest.GetProperty("score").GetDouble() >= latest.GetProperty("threshold").GetDouble());
        var headline = latest.GetProperty("headline").GetString()!;
        Assert.StartsWith("Renewal risk 0.", headline, StringComparison.Ordinal);
        // The profile names the customer; out of order, a brief written before the profile arrived names it by id.
        Assert.True(headline.Contains("for ACME", StringComparison.Ordinal) || (!ordered && headline.Contains("for acme", StringComparison.Ordinal)), headline);

        // The cooldown may hold back a re-brief as later events arrive, so read each factor from the newest brief that has it.
        var reasons = briefs.SelectMany(b => b.GetProperty("reasons").EnumerateArray())
            .GroupBy(r => r.GetProperty("field").GetString()!).ToDictionary(g => g.Key, g => g.First());
        // Under Dapr pub/sub a customer's events may arrive out of order, so a brief may reflect a partial
        // history; the reasons must agree with the events they name, and the final snapshot is order-independent.
        Assert.Contains("usage.trend30d", reasons.Keys);
        Assert.True(reasons["usage.trend30d"].GetProperty("value").GetDouble() < 0);
        Assert.Contains("usage down", reasons["usage.trend30d"].GetProperty("explanation").GetString(), StringComparison.Ordinal);
        if (reasons.TryGetValue("contract.type", out var type))
            Assert.Equal("month-to-month", type.GetProperty("value").GetString());
        // Snapshots use event time: the last event is 2 to 6 days old, so the contract ends 43 to 47 days after it.
        Assert.InRange((await app.CustomerFieldAsync("acme", "contract.daysToEnd"))!.Value, 43, 48);
        Assert.Equal(-0.5, (await app.CustomerFieldAsync("acme", "usage.trend30d"))!.Value, 2);
        Assert.Equal(2, await app.CustomerFieldAsync("acme", "tickets.open"));
        Assert.Equal(1, await app.CustomerFieldAsync("acme", "billing.paymentFailures90d"));
        Assert.Equal(3, await app.CustomerFieldAsync("acme", "nps.latest"));
        var failedPaymentId = risky.Single(e => (string)e["type"]! == "payment")["id"]!.GetValue<string>();
        // Evidence: the failed payment is named by the reason that counts it, wherever a brief has that reason
        // (under Dapr a brief may have been written before the payment arrived).
        if (reasons.TryGetValue("billing.paymentFailures90d", out var failures))
            Assert.Contains(failedPaymentId, failures.GetProperty("eventIds").EnumerateArray().Select(x => x.GetString()));

        var id = latest.GetProperty("id").GetString();
        var one = await app.GetJsonAsync($"/v1/briefs/{id}");
        Assert.Equal(headline, one.GetProperty("headline").GetString());
        var evidence = await app.GetJsonAsync($"/v1/briefs/{id}/evidence");
        Assert.Equal(latest.GetProperty("contentHash").GetString(), evidence.GetProperty("contentHash").GetString());
        var evidenceIds = evidence.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        // The evidence is the customer's own events; the failed payment is among them whenever the brief counts it. A turn
        // assesses its events in occurredAt order (since 2026-12-06), so the brief may be written at an event older than the
        // payment, whatever order they were sent in (and under Dapr the newest brief may predate the payment's delivery).
        Assert.All(evidenceIds, eventId => Assert.Contains(eventId, risky.Select(e => e["id"]!.GetValue<string>())));
        if (latest.GetProperty("reasons").EnumerateArray().Any(r => r.GetProperty("field").GetString() == "billing.paymentFailures90d"))
            Assert.Contains(failedPaymentId, evidenceIds);
        if (ordered || evidence.GetProperty("snapshotFields").TryGetProperty("profile.name", out _))
            Assert.Equal("ACME", evidence.GetProperty("snapshotFields").GetProperty("profile.name").GetString());
    }

    [Fact]
    public async Task Cooldown_RepeatedEvents_DoNotRebriefTheSameFinding()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("acme", now.AddDays(-1)));
        await app.WaitForProcessingAsync();
        var before = (await app.BriefsAsync("&customerId=acme")).Count;
        await app.PostEventsAsync(Enumerable.Range(0, 10).Select(i => Ev.Make("acme", "nps", now.AddMinutes(-60 + i), new { score = 3 })));
        await app.WaitForProcessingAsync();
        Assert.Equal(before, (await app.BriefsAsync("&customerId=acme")).Count);
    }

    [Fact]
    public async Task Briefs_UnknownIdAndBadFilters_AreProblemDetails()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var missing = await app.Client.GetAsync("/v1/briefs/brf_nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        var bad = await app.Client.GetAsync("/v1/briefs?status=maybe&limit=9999&since=yesterday&cursor=zzz");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        foreach (var field in new[] { "status", "limit", "since", "cursor" })
            Assert.True(errors.TryGetProperty(field, out _), $"expected an error for {field}");
    }

    [Fact]
    public async Task Server_OperationsEndpoints_Answer()
    {
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal("ok", (await app.GetJsonAsync("/healthz")).GetProperty("status").GetString());
        var ready = await app.GetJsonAsync("/readyz");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(Agents.AgentsApiTests.BuiltInIds.Length, ready.GetProperty("activeAgents").GetInt32());
        var openApi = await app.GetJsonAsync("/openapi/v1.json");
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/v1/events", out _));
        // limit and k bind as strings (to name them in errors) but are documented as the integers they are.
        AssertIntegerQuery(openApi, "/v1/briefs", "limit", 1, 500);
        AssertIntegerQuery(openApi, "/v1/knowledge/search", "k", 1, 50);
    }

    private static void AssertIntegerQuery(JsonElement openApi, string path, string name, int min, int max)
    {
        var parameter = openApi.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters")
            .EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
        var schema = parameter.GetProperty("schema");
        Assert.Equal("integer", schema.GetProperty("type").GetString());
        Assert.Equal(min, schema.GetProperty("minimum").GetInt32());
        Assert.Equal(max, schema.GetProperty("maximum").GetInt32());
    }
}
