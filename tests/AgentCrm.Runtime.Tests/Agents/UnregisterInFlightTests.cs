using System.Net;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// README: once <c>DELETE /v1/agents/{id}</c> has answered, that agent writes nothing more. A turn that composed a
/// brief before the unregister used to store it after (the turn's state, and the brief with it, is saved after the turn
/// leaves the agent set the unregister waits for).
/// </summary>
public sealed class UnregisterInFlightTests
{
    [Fact]
    public async Task Unregister_WhileATurnOfTheAgentIsInFlight_NoBriefOfItIsStoredAfterwards()
    {
        var gated = new GatedKind();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<IAgentKind>(gated));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(GatedKind.Manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", "1.0.0");

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-1", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })])).StatusCode);
        await gated.WaitEnteredAsync();
        var unregister = app.Client.DeleteAsync("/v1/agents/gated");
        // The unregister is stored (the version shows retired) while the turn still holds the set it started with.
        for (var i = 0; (await app.GetJsonAsync("/v1/agents/gated")).GetProperty("versions")[0].GetProperty("state").GetString() != "retired"; i++)
        {
            Assert.True(i < 600, "Expected the unregister to be stored within 30 s.");
            await Task.Delay(50);
        }
        gated.Gate.Set();
        using (var answered = await unregister)
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        await app.WaitForProcessingAsync();

        Assert.Empty(await app.BriefsAsync("&agentId=gated&customerId=held-1"));
        var unregistered = (await app.GetJsonAsync("/v1/audit?subject=agent:gated&action=agent.unregistered")).GetProperty("items")[0].GetProperty("seq").GetInt64();
        var created = (await app.GetJsonAsync("/v1/audit?action=brief.created&limit=500")).GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("actor").GetString() == "agent:gated@1.0.0").Select(r => r.GetProperty("seq").GetInt64());
        Assert.All(created, seq => Assert.True(seq < unregistered, $"brief.created (seq {seq}) by the gated agent after its agent.unregistered (seq {unregistered})"));
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Contains("\"ok\":true", await verify.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASuspendedVersionPutInShadow_WritesShadowBriefs()
    {
        var gated = new GatedKind();
        var settings = new Dictionary<string, string?> { ["Reviews:Window"] = "1", ["Reviews:MinBriefs"] = "1", ["Reviews:MaxVetoRate"] = "0" };
        await using var app = await AgentCrmApp.StartAsync(settings: settings, configure: s => s.AddSingleton<IAgentKind>(gated));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(GatedKind.Manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", "1.0.0");
        await app.PostEventsAsync([Ev.Make("s-1", "usage", DateTimeOffset.UtcNow.AddMinutes(-2), new { quantity = 5 })]);
        await app.WaitForProcessingAsync();
        var brief = Assert.Single(await app.BriefsAsync("&agentId=gated")).GetProperty("id").GetString();
        // One veto over a window of one suspends the version (which withdraws it); then it runs in shadow.
        using (var vetoed = await app.Client.PostAsync($"/v1/briefs/{brief}/veto", Variants.Json("""{"reason":"wrong"}""")))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);
        Assert.Equal("suspended", (await app.GetJsonAsync("/v1/agents/gated")).GetProperty("versions")[0].GetProperty("state").GetString());
        using (var shadowed = await app.Client.PostAsync("/v1/agents/gated/versions/1.0.0/shadow", null))
            Assert.Equal(HttpStatusCode.OK, shadowed.StatusCode);

        await app.PostEventsAsync([Ev.Make("s-2", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })]);
        await app.WaitForProcessingAsync();
        Assert.Single(await app.BriefsAsync("&agentId=gated&customerId=s-2&status=shadow"));
    }
}
