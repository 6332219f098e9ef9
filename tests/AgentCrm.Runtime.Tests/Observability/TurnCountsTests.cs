using System.Net;
using System.Text.Json;
using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Agents;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>
/// A turn is counted in the agent's health and in <c>/metrics</c> when its state is saved, once: not for each run of a turn
/// run again because a version was taken back while it ran, nor for each attempt of a turn whose save failed and was retried
/// (before, each run counted: the event applied twice, the version rolled back credited with an assessment that left nothing).
/// </summary>
public sealed class TurnCountsTests
{
    [Fact]
    public async Task Rollback_WhileATurnRunsTheNewVersion_HealthAndMetricsCountTheEventOnce_ForTheVersionThatServedIt()
    {
        var gated = new GatedKind();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<IAgentKind>(gated));
        await RegisterAsync(app, "1.0.0");
        await RegisterAsync(app, "1.1.0");

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-counted", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })])).StatusCode);
        await gated.WaitEnteredAsync();
        var rollback = app.Client.PostAsync("/v1/agents/gated/rollback", null);
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

        // The turn ran 1.1.0, was refused at its save and ran again on 1.0.0: only that run was saved, and counted.
        Assert.Equal("1.0.0", Assert.Single(await app.BriefsAsync("&agentId=gated&customerId=held-counted")).GetProperty("agentVersion").GetString());
        var health = await HealthAsync(app);
        Assert.Equal((1, 1, 0), Runs(health["1.0.0"]));
        Assert.Equal((0, 0, 0), Runs(health["1.1.0"]));
        var metrics = Prometheus.Parse(await ScrapeAsync(app));
        Assert.Equal(1, metrics.Sum("agentcrm_events_applied_total"));
        Assert.Equal(1, metrics.Sum("agentcrm_agent_assessments_total", ("agent", "gated")));
        Assert.Equal(1, metrics.Sum("agentcrm_agent_fired_total", ("agent", "gated")));
        Assert.Equal(0, metrics.Sum("agentcrm_agent_assessments_total", ("agent", "gated"), ("version", "1.1.0")));
        Assert.Equal(1, metrics.Sum("agentcrm_assess_duration_milliseconds_count", ("agent", "gated")));
        Assert.Equal(1, metrics.Sum("agentcrm_event_to_assessment_milliseconds_count"));
    }

    [Fact]
    public async Task ATurnWhoseSaveFailsTwice_IsCountedOnce_WhenARetryIsSaved()
    {
        FlakyStateStore? flaky = null;
        await using var app = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.AddSingleton<IAgentKind>(new GatedKind());
            s.Replace(ServiceDescriptor.Singleton<IActorStateStore>(sp => flaky = new FlakyStateStore(ActivatorUtilities.CreateInstance<SqliteActorStateStore>(sp))));
        });
        _ = app.Services.GetRequiredService<IActorStateStore>();
        await RegisterAsync(app, "1.0.0");
        // The first attempt and the first retry fail at the save (an I/O error), the second retry is saved.
        flaky!.FailNextSaves("retried-counted", 2);

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("retried-counted", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })])).StatusCode);
        await app.WaitForProcessingAsync();

        Assert.Equal(1, await app.CustomerFieldAsync("retried-counted", "events.total"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal((1, 1, 0), Runs((await HealthAsync(app))["1.0.0"]));
        var metrics = Prometheus.Parse(await ScrapeAsync(app));
        Assert.Equal(1, metrics.Sum("agentcrm_events_applied_total"));
        Assert.Equal(1, metrics.Sum("agentcrm_agent_assessments_total", ("agent", "gated")));
    }

    private static async Task RegisterAsync(AgentCrmApp app, string version)
    {
        var manifest = GatedKind.Manifest.Replace("\"version\":\"1.0.0\"", $"\"version\":\"{version}\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", version);
    }

    private static async Task<Dictionary<string, JsonElement>> HealthAsync(AgentCrmApp app) =>
        (await app.GetJsonAsync("/v1/agents/gated/health")).GetProperty("versions").EnumerateArray()
            .ToDictionary(v => v.GetProperty("version").GetString()!, StringComparer.Ordinal);

    private static (long Evaluations, long Fired, long Errors) Runs(JsonElement version) =>
        (version.GetProperty("evaluations").GetInt64(), version.GetProperty("fired").GetInt64(), version.GetProperty("errors").GetInt64());

    /// <summary>The test's first scrape, after the turns: nothing cached from before them.</summary>
    private static async Task<string> ScrapeAsync(AgentCrmApp app)
    {
        using var response = await app.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /metrics answered {(int)response.StatusCode}: {text}");
        return text;
    }
}
