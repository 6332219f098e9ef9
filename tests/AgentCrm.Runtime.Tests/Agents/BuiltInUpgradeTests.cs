using System.Net;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Tender;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// Built-ins are activated on a directory's first start only; a later build's new built-in version reaches a directory an
/// earlier build started as a registered version (to evaluate and promote), once — never over the stored one, and not
/// for an agent ops unregistered.
/// </summary>
public sealed class BuiltInUpgradeTests
{
    /// <summary>tender-detection as an earlier build shipped it: its own content under <paramref name="version"/>.</summary>
    private sealed class EarlierTenderKind(string version) : IAgentKind
    {
        private readonly TenderDetectionKind _kind = new();

        public string Name => _kind.Name;

        public AgentManifest BuiltIn => _kind.BuiltIn with
        {
            Version = version,
            Subscribes = ["news", "web_visit", "profile"],
            Parameters = _kind.BuiltIn.Parameters.Where(p => p.Key != "rescoreRise").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };

        public IAgent Create(AgentManifest manifest) => _kind.Create(manifest);
    }

    /// <summary>A directory first started by an earlier build, whose tender-detection built-in was <paramref name="version"/>.</summary>
    private static async Task<string> EarlierDirectoryAsync(string version, Func<AgentCrmApp, Task>? then = null)
    {
        await using var earlier = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.Remove(s.Single(d => d.ServiceType == typeof(IAgentKind) && d.ImplementationInstance is TenderDetectionKind));
            s.AddSingleton<IAgentKind>(new EarlierTenderKind(version));
        });
        if (then is not null)
            await then(earlier);
        return earlier.DataDirectory;
    }

    private static Dictionary<string, string> States(JsonElement agent) =>
        agent.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("state").GetString()!);

    [Fact]
    public async Task Start_OnADirectoryWithTheEarlierBuiltIn_RegistersTheShippedVersion_NotPromoted_OnceAcrossRestarts()
    {
        var shipped = new TenderDetectionKind().BuiltIn;
        Assert.Equal("1.0.1", shipped.Version);
        var dir = await EarlierDirectoryAsync("1.0.0");

        var logs = new CapturedLogs();
        await using (var app = await AgentCrmApp.StartAsync(dir, configure: s => s.AddSingleton(logs.Provider())))
        {
            var agent = await app.GetJsonAsync("/v1/agents/tender-detection");
            // The earlier version runs on; the shipped one waits for the gate.
            Assert.Equal("1.0.0", agent.GetProperty("activeVersion").GetString());
            Assert.Equal(new Dictionary<string, string> { ["1.0.0"] = "active", ["1.0.1"] = "registered" }, States(agent));
            var version = await app.GetJsonAsync("/v1/agents/tender-detection/versions/1.0.1");
            Assert.Contains("document", version.GetProperty("manifest").GetProperty("subscribes").EnumerateArray().Select(e => e.GetString()));
            var audit = (await app.GetJsonAsync("/v1/audit?subject=agent:tender-detection@1.0.1")).GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(AgentRegistry.UpgradeActor, Assert.Single(audit).GetProperty("actor").GetString());
        }
        Assert.Contains(logs.Entries, e => e.Message.Contains("tender-detection@1.0.1", StringComparison.Ordinal)
            && e.Message.Contains("evaluate and promote it to use it", StringComparison.Ordinal));

        await using (var again = await AgentCrmApp.StartAsync(dir))
        {
            var audit = (await again.GetJsonAsync("/v1/audit?subject=agent:tender-detection@1.0.1")).GetProperty("items").EnumerateArray().ToList();
            Assert.Single(audit);
            Assert.Equal(new Dictionary<string, string> { ["1.0.0"] = "active", ["1.0.1"] = "registered" }, States(await again.GetJsonAsync("/v1/agents/tender-detection")));
        }
    }

    [Fact]
    public async Task Start_WhenOpsUnregisteredTheAgent_LeavesItUnregistered()
    {
        var dir = await EarlierDirectoryAsync("1.0.0", async app =>
            Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/tender-detection")).StatusCode));

        await using var app = await AgentCrmApp.StartAsync(dir);

        Assert.Equal(new Dictionary<string, string> { ["1.0.0"] = "retired" }, States(await app.GetJsonAsync("/v1/agents/tender-detection")));
    }

    [Fact]
    public async Task Start_WhenTheShippedVersionIsStoredWithOtherContent_KeepsTheStoredOne_AndWarns()
    {
        var dir = await EarlierDirectoryAsync("1.0.1");
        var stored = await Hash(dir);

        var logs = new CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(dir, configure: s => s.AddSingleton(logs.Provider()));

        var version = await app.GetJsonAsync("/v1/agents/tender-detection/versions/1.0.1");
        Assert.Equal(stored, version.GetProperty("contentHash").GetString());
        Assert.Equal("active", version.GetProperty("state").GetString());
        Assert.Contains(logs.Entries, e => e.Message.Contains("tender-detection@1.0.1 shipped by this build is not registered", StringComparison.Ordinal));
    }

    private static async Task<string> Hash(string dir)
    {
        await using var app = await AgentCrmApp.StartAsync(dir, configure: s =>
        {
            s.Remove(s.Single(d => d.ServiceType == typeof(IAgentKind) && d.ImplementationInstance is TenderDetectionKind));
            s.AddSingleton<IAgentKind>(new EarlierTenderKind("1.0.1"));
        });
        return (await app.GetJsonAsync("/v1/agents/tender-detection/versions/1.0.1")).GetProperty("contentHash").GetString()!;
    }
}
