using System.Net;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A rollback while a turn runs the version it takes back: that version's brief is not stored (it was rolled back before
/// the turn's save), and the event is assessed by the version serving after the rollback. Before, the turn was saved without
/// the brief, so no version ever assessed the events in flight (qa26a: 119 of 50,000 events at one rollback under load).
/// </summary>
public sealed class RollbackInFlightTests
{
    [Fact]
    public async Task Rollback_WhileATurnRunsTheNewVersion_TheEventIsAssessedByTheVersionRolledBackTo()
    {
        var gated = new GatedKind();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<IAgentKind>(gated));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(GatedKind.Manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", "1.0.0");
        var next = GatedKind.Manifest.Replace("\"version\":\"1.0.0\"", "\"version\":\"1.1.0\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(next))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", "1.1.0");

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-r", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })])).StatusCode);
        await gated.WaitEnteredAsync();
        var rollback = app.Client.PostAsync("/v1/agents/gated/rollback", null);
        // The rollback is stored (1.0.0 active again) while the turn still runs 1.1.0.
        for (var i = 0; !(await app.GetJsonAsync("/v1/agents/gated")).GetProperty("versions").EnumerateArray()
                 .Any(v => v.GetProperty("version").GetString() == "1.0.0" && v.GetProperty("state").GetString() == "active"); i++)
        {
            Assert.True(i < 600, "Expected the rollback to be stored within 30 s.");
            await Task.Delay(50);
        }
        gated.Gate.Set();
        using (var answered = await rollback)
            Assert.True(answered.StatusCode == HttpStatusCode.OK, await answered.Content.ReadAsStringAsync());
        await app.WaitForProcessingAsync();

        var briefs = await app.BriefsAsync("&agentId=gated&customerId=held-r");
        var brief = Assert.Single(briefs);
        Assert.Equal("1.0.0", brief.GetProperty("agentVersion").GetString());
        Assert.Equal("delivered", brief.GetProperty("status").GetString());
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Contains("\"ok\":true", await verify.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
