using System.Net;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// The built-in renewal-risk never scores the customer's name, so it reads it as optional (1.0.1): a customer whose consent
/// leaves out identity is still assessed and briefed by id (qa36d #1: 1.0.0 required it, and such a customer got no brief,
/// only consent.blocked). A directory an earlier build started keeps its 1.0.0 active and gets 1.0.1 registered beside it.
/// </summary>
public sealed class RenewalRiskOptionalNameTests
{
    /// <summary>renewal-risk as the earlier build shipped it: 1.0.0, with profile.name among its required reads.</summary>
    private sealed class EarlierRenewalRiskKind : IAgentKind
    {
        private readonly RenewalRiskKind _kind = new();

        public string Name => _kind.Name;

        public AgentManifest BuiltIn => _kind.BuiltIn with { Version = "1.0.0", Reads = ["profile.name", .. _kind.BuiltIn.Reads], OptionalReads = [] };

        public IAgent Create(AgentManifest manifest) => _kind.Create(manifest);
    }

    private static Dictionary<string, string> States(JsonElement agent) =>
        agent.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("state").GetString()!);

    [Fact]
    public async Task AtRiskCustomer_WhoseConsentLeavesOutIdentity_GetsARenewalBriefNamedByItsId()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string customer = "noid-1";
        using (var consent = await app.Client.PutAsync($"/v1/customers/{customer}/consent", Variants.Json("""
            {"grants":[{"purpose":"customer-success","categories":["contract","usage","support","billing","feedback","documents","news","web","activity"]}]}
            """)))
            Assert.Equal(HttpStatusCode.OK, consent.StatusCode);

        await app.PostEventsAsync(Timelines.AtRisk(customer, DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();

        var briefs = await app.BriefsAsync($"&customerId={customer}&agentId=renewal-risk");
        Assert.NotEmpty(briefs);
        Assert.All(briefs, b =>
        {
            Assert.Equal("1.0.1", b.GetProperty("agentVersion").GetString());
            Assert.Equal(JsonValueKind.Null, b.GetProperty("customerName").ValueKind);
            Assert.Contains(customer, b.GetProperty("headline").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("ACME", b.GetProperty("headline").GetString() + b.GetProperty("body").GetString(), StringComparison.Ordinal);
        });
        var blocked = (await app.GetJsonAsync("/v1/audit?action=consent.blocked")).GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("actor").GetString()!.StartsWith("agent:renewal-risk@", StringComparison.Ordinal)).ToList();
        Assert.Empty(blocked);
    }

    [Fact]
    public async Task Start_OnADirectoryWithRenewalRisk100_Registers101_NotPromoted()
    {
        string dir;
        await using (var earlier = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.Remove(s.Single(d => d.ServiceType == typeof(IAgentKind) && d.ImplementationInstance is RenewalRiskKind));
            s.AddSingleton<IAgentKind>(new EarlierRenewalRiskKind());
        }))
            dir = earlier.DataDirectory;

        await using var app = await AgentCrmApp.StartAsync(dir);

        var agent = await app.GetJsonAsync("/v1/agents/renewal-risk");
        Assert.Equal("1.0.0", agent.GetProperty("activeVersion").GetString());
        Assert.Equal(new Dictionary<string, string> { ["1.0.0"] = "active", ["1.0.1"] = "registered" }, States(agent));
        var stored = (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.0")).GetProperty("manifest");
        Assert.Contains("profile.name", stored.GetProperty("reads").EnumerateArray().Select(e => e.GetString()));
        var shipped = (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1")).GetProperty("manifest");
        Assert.DoesNotContain("profile.name", shipped.GetProperty("reads").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["profile.name"], shipped.GetProperty("optionalReads").EnumerateArray().Select(e => e.GetString()));
        var audit = (await app.GetJsonAsync("/v1/audit?subject=agent:renewal-risk@1.0.1")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(AgentRegistry.UpgradeActor, Assert.Single(audit).GetProperty("actor").GetString());
    }
}
