using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Agents;
using AgentCrm.Agents.RenewalRisk;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A registry change (another agent registered, promoted, unregistered) leaves the running versions' agents as they are:
/// creating them anew each time parsed every fitted model again and ran every plugin's code again, and a creation that
/// failed then (a plugin with no free thread) dropped a running version until the next change (qa21c).
/// </summary>
public sealed class LiveAgentReuseTests
{
    /// <summary>The renewal-risk agent under a kind of its own that counts the agents it creates.</summary>
    private sealed class CountingKind : IAgentKind
    {
        private readonly RenewalRiskKind _inner = new();
        private int _created;

        public int Created => Volatile.Read(ref _created);

        public string Name => "counting";

        public AgentManifest? BuiltIn => null;

        public IAgent Create(AgentManifest manifest)
        {
            Interlocked.Increment(ref _created);
            return _inner.Create(manifest);
        }
    }

    [Fact]
    public async Task OtherAgentsChanging_DoesNotCreateARunningVersionsAgentAgain()
    {
        var counting = new CountingKind();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<IAgentKind>(counting));
        var manifest = JsonNode.Parse((await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1")).GetProperty("manifest").GetRawText())!.AsObject();
        manifest["id"] = "counted";
        manifest["version"] = "1.0.0";
        manifest["kind"] = "counting";
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(app, "/v1/agents", manifest)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "/v1/agents/counted/versions/1.0.0/shadow", null)).StatusCode);
        var running = app.Services.GetRequiredService<AgentRegistry>().Current.Live.Single(a => a.Record.AgentId == "counted");
        var created = counting.Created;

        // Three registry changes of other agents.
        for (var i = 1; i <= 3; i++)
        {
            manifest["id"] = $"other-{i}";
            manifest["kind"] = "renewal-risk";
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(app, "/v1/agents", manifest)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, $"/v1/agents/other-{i}/versions/1.0.0/shadow", null)).StatusCode);
        }

        var now = app.Services.GetRequiredService<AgentRegistry>().Current.Live.Single(a => a.Record.AgentId == "counted");
        Assert.Equal(created, counting.Created);
        Assert.Same(running.Agent, now.Agent);
        Assert.Equal("shadow", AgentRegistry.Name(now.Record.State));
    }

    private static Task<HttpResponseMessage> PostAsync(AgentCrmApp app, string path, JsonObject? body) =>
        app.Client.PostAsync(path, new StringContent(body?.ToJsonString() ?? "{}", Encoding.UTF8, "application/json"));
}
