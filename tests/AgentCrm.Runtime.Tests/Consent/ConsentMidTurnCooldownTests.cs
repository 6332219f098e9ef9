using System.Net;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Agents;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Consent;

/// <summary>
/// A brief kept out at its save because consent was withdrawn while its turn ran leaves no cooldown mark: once consent is
/// given back, the agent's next firing is not silenced by (nor audited as suppressed by) a brief that was never stored.
/// </summary>
public sealed class ConsentMidTurnCooldownTests
{
    private const string Manifest = """
        {"id":"gatedcd","version":"1.0.0","kind":"gated","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["usage"],"reads":["usage.last30d"],
         "threshold":0.5,"cooldownDays":30,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
        """;

    [Fact]
    public async Task ConsentWithdrawnMidTurn_ThenRestored_NextFiringWritesABrief()
    {
        var gated = new GatedKind();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<IAgentKind>(gated));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(Manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gatedcd", "1.0.0");

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-m", "usage", DateTimeOffset.UtcNow.AddMinutes(-2), new { quantity = 5 })])).StatusCode);
        await gated.WaitEnteredAsync();
        using (var withdrawn = await app.Client.PutAsync("/v1/customers/held-m/consent", Variants.Json("""{"grants":[]}""")))
            Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        gated.Gate.Set();
        await app.WaitForProcessingAsync();
        Assert.Empty(await app.BriefsAsync("&customerId=held-m"));
        var blocked = (await app.GetJsonAsync("/v1/audit?subject=customer:held-m&action=consent.blocked")).GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(blocked, r => r.GetProperty("actor").GetString() == "agent:gatedcd@1.0.0");

        // Consent given back: the agent's next firing has no brief of its own to cool down from.
        using (var restored = await app.Client.PutAsync("/v1/customers/held-m/consent",
            Variants.Json("""{"grants":[{"purpose":"customer-success","categories":["usage"]}]}""")))
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-m", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 6 })])).StatusCode);
        await app.WaitForProcessingAsync();
        var suppressed = (await app.GetJsonAsync("/v1/audit?subject=customer:held-m&action=assessment.fired")).GetProperty("items").GetArrayLength();
        Assert.True(suppressed == 0, $"{suppressed} firing(s) audited as suppressed by the cooldown of a brief that was never stored");
        Assert.Single(await app.BriefsAsync("&customerId=held-m"));
    }
}
