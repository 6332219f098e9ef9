using System.Net;
using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// An unregister from the CLI while a turn of the server runs that agent: the server's set still holds the version until its
/// registry reloads, so the turn's re-run met it again. The registry now reloads as soon as a turn meets a version taken
/// back, instead of at its next 2 s poll: the turn is re-run on the reloaded set and never fails (before, it failed after
/// its runs and the dispatcher logged and retried it).
/// </summary>
public sealed class CliUnregisterInFlightTests
{
    [Fact]
    public async Task CliUnregister_WhileATurnRunsTheAgent_TheTurnIsRerunWithoutIt_AndNeverFails()
    {
        var gated = new GatedKind();
        var logs = new CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.AddSingleton<IAgentKind>(gated);
            s.AddSingleton(logs.Provider());
        });
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(GatedKind.Manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("gated", "1.0.0");

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make("held-cli", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })])).StatusCode);
        await gated.WaitEnteredAsync();
        var unregistered = await Cli.CliRunner.RunAsync(["agents", "unregister", "gated", "--data", app.DataDirectory]);
        Assert.True(unregistered.ExitCode == 0, unregistered.Stderr);
        gated.Gate.Set();
        await app.WaitForProcessingAsync();

        Assert.Empty(await app.BriefsAsync("&agentId=gated&customerId=held-cli"));
        Assert.DoesNotContain(logs.Entries, e => e.Exception is TurnConflictException);
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }
}
