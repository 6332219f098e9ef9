using System.Net;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// agent.evaluated is the lifecycle step registered → evaluated, not a record of every first evaluation: a version shadowed
/// before its first evaluation keeps its state and gets report.created alone (qa33d read the README as promising one).
/// </summary>
public sealed class EvaluatedRecordTests
{
    [Fact]
    public async Task AgentEvaluated_MarksARegisteredVersionsFirstEvaluation_AShadowVersionGetsItsReportRecordOnly()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "1.0.2");
        await Variants.RegisterAsync(app, "1.0.3");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.2/shadow", null)).StatusCode);
        await app.EvaluateAsync("renewal-risk", "1.0.2");
        await app.EvaluateAsync("renewal-risk", "1.0.3");
        await app.EvaluateAsync("renewal-risk", "1.0.3");

        async Task<List<string>> ActionsAsync(string version) =>
            (await app.GetJsonAsync($"/v1/audit?subject=agent:renewal-risk@{version}")).GetProperty("items").EnumerateArray()
                .Select(r => r.GetProperty("action").GetString()!).ToList();
        Assert.Equal(["agent.shadow", "agent.registered"], await ActionsAsync("1.0.2"));
        Assert.Equal(["agent.evaluated", "agent.registered"], await ActionsAsync("1.0.3"));
        Assert.Equal("shadow", (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.2")).GetProperty("state").GetString());
        var reports = (await app.GetJsonAsync("/v1/audit?action=report.created")).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("data").GetProperty("agentVersion").GetString()!).ToList();
        Assert.Equal(["1.0.3", "1.0.3", "1.0.2"], reports);
    }
}
