using System.Net;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Agents;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Consent;

/// <summary>A consent withdrawal racing a turn of the same customer: once the PUT has answered, no brief of that turn is delivered.</summary>
public sealed class ConsentInFlightTests
{
    [Fact]
    public async Task ConsentWithdrawn_WhileATurnOfTheCustomerIsInFlight_ItsBriefIsNotStored_AndTheBlockIsAudited()
    {
        var gated = new GatedKind();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<IAgentKind>(gated));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(GatedKind.Manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", "1.0.0");

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-c", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })])).StatusCode);
        // The turn read the consent in force (the default: everything) and runs the agent; then consent is withdrawn.
        await gated.WaitEnteredAsync();
        using (var withdrawn = await app.Client.PutAsync("/v1/customers/held-c/consent", Variants.Json("""{"grants":[]}""")))
            Assert.True(withdrawn.StatusCode == HttpStatusCode.OK, await withdrawn.Content.ReadAsStringAsync());
        gated.Gate.Set();
        await app.WaitForProcessingAsync();

        Assert.Empty(await app.BriefsAsync("&customerId=held-c"));
        var blocked = (await app.GetJsonAsync("/v1/audit?subject=customer:held-c&action=consent.blocked")).GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(blocked, r => r.GetProperty("actor").GetString() == "agent:gated@1.0.0");
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Contains("\"ok\":true", await verify.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The next turn is blocked from the start, as before.
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-c", "usage", DateTimeOffset.UtcNow, new { quantity = 6 })])).StatusCode);
        await app.WaitForProcessingAsync();
        Assert.Empty(await app.BriefsAsync("&customerId=held-c"));
    }
}
