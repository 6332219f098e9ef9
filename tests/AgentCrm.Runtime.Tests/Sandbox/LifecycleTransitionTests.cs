using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// Lifecycle actions refused from the wrong state (409 saying why, nothing changed), and what rollback and
/// unregister leave behind, over HTTP. Versions are copies of the built-in renewal-risk that pass the gate
/// on a hand-written timeline.
/// </summary>
public sealed class LifecycleTransitionTests
{
    private const string Id = "renewal-risk";

    private static string Manifest(string version) => $$$"""
        {"id":"{{{Id}}}","version":"{{{version}}}","kind":"renewal-risk","scenario":"renewal-risk",
         "subscribes":["contract","usage","support_ticket","payment","nps","profile"],
         "reads":["profile.name","tenure.days","contract.type","contract.daysToEnd","contract.autoRenew","usage.trend30d","tickets.open","tickets.openHighPriority","billing.paymentFailures90d","billing.overdueInvoices","nps.latest"],
         "purpose":"customer-success","threshold":0.6,
         "gate":{"minCases":200,"minPrecision":0.8,"minRecall":0.8}}
        """;

    private static async Task<AgentCrmApp> StartWithCasesAsync()
    {
        var app = await AgentCrmApp.StartAsync();
        var (ndjson, labels) = CaseFiles.Timeline(240, DateTimeOffset.UtcNow.AddDays(-1));
        using var added = await app.Client.PostAsync("/v1/cases/hand-timeline", CaseFiles.Upload(ndjson, labels));
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        return app;
    }

    private static async Task RegisterAsync(AgentCrmApp app, string version)
    {
        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(Manifest(version), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostAsync(AgentCrmApp app, string path, string? json = null) =>
        await app.Client.PostAsync(path, json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<Dictionary<string, (string State, int Canary)>> VersionsAsync(AgentCrmApp app) =>
        (await app.GetJsonAsync($"/v1/agents/{Id}")).GetProperty("versions").EnumerateArray()
            .ToDictionary(v => v.GetProperty("version").GetString()!, v => (v.GetProperty("state").GetString()!, v.GetProperty("canaryPercent").GetInt32()));

    private static async Task<string> ConflictDetailAsync(HttpResponseMessage response)
    {
        using (response)
            return (await response.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task Shadow_OnTheActiveOrARetiredVersion_Is409SayingWhy_AndChangesNothing()
    {
        await using var app = await StartWithCasesAsync();
        var before = (await app.GetJsonAsync($"/v1/agents/{Id}")).ToString();

        var detail = await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/versions/1.0.1/shadow"));
        Assert.Contains("renewal-risk@1.0.1 is active", detail, StringComparison.Ordinal);
        Assert.Equal(before, (await app.GetJsonAsync($"/v1/agents/{Id}")).ToString());
        // The agent has not gone dark: the next turn still delivers.
        await app.PostEventsAsync(Timelines.AtRisk("still-served", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var delivered = await app.BriefsAsync($"&customerId=still-served&agentId={Id}");
        Assert.NotEmpty(delivered);
        Assert.All(delivered, b => Assert.Equal(("1.0.1", "delivered"), (b.GetProperty("agentVersion").GetString(), b.GetProperty("status").GetString())));

        // 1.1.0 replaces it: 1.0.1 is retired, and neither shadow nor promote brings it back.
        await RegisterAsync(app, "1.1.0");
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        Assert.Contains("renewal-risk@1.0.1 is retired", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/versions/1.0.1/shadow")), StringComparison.Ordinal);
        Assert.Contains("renewal-risk@1.0.1 is retired", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/versions/1.0.1/promote", "{}")), StringComparison.Ordinal);
        var versions = await VersionsAsync(app);
        Assert.Equal("retired", versions["1.0.1"].State);
        Assert.Equal("active", versions["1.1.0"].State);

        // A version that delivers nothing still goes to shadow, and asking twice is the same answer.
        await RegisterAsync(app, "1.2.0");
        foreach (var _ in new[] { 1, 2 })
        {
            using var shadow = await PostAsync(app, $"/v1/agents/{Id}/versions/1.2.0/shadow");
            Assert.Equal(HttpStatusCode.OK, shadow.StatusCode);
        }
        Assert.Equal("shadow", (await VersionsAsync(app))["1.2.0"].State);
    }

    [Fact]
    public async Task Rollback_DuringACanary_PullsOnlyTheCanary_ThenWalksBackThroughThePromotions()
    {
        await using var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await RegisterAsync(app, "1.2.0");
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        await app.EvaluateAndPromoteAsync(Id, "1.2.0", "hand-timeline", canaryPercent: 10);

        using (var rollback = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
        {
            Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
            var serving = JsonDocument.Parse(await rollback.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("1.1.0", "active", 100), (serving.GetProperty("version").GetString(), serving.GetProperty("state").GetString(), serving.GetProperty("canaryPercent").GetInt32()));
        }
        var versions = await VersionsAsync(app);
        Assert.Equal("retired", versions["1.0.1"].State);
        Assert.Equal(("active", 100), versions["1.1.0"]);
        Assert.Equal("retired", versions["1.2.0"].State);
        Assert.Equal("1.1.0", (await app.GetJsonAsync($"/v1/agents/{Id}")).GetProperty("activeVersion").GetString());
        // A customer in the canary's share is served by 1.1.0 again.
        var inCanary = Enumerable.Range(0, 1000).Select(i => $"bucket-{i}").First(c => AgentSet.CanaryBucket(Id, c) < 10);
        await app.PostEventsAsync(Timelines.AtRisk(inCanary, DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var briefs = await app.BriefsAsync($"&customerId={inCanary}&agentId={Id}");
        Assert.NotEmpty(briefs);
        Assert.All(briefs, b => Assert.Equal("1.1.0", b.GetProperty("agentVersion").GetString()));

        // The next rollback undoes the promotion of 1.1.0 (not back to the pulled canary); then nothing is left to undo.
        using (var rollback = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
            Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        versions = await VersionsAsync(app);
        Assert.Equal([("active", 100), ("retired", 100), ("retired", 10)], new[] { versions["1.0.1"], versions["1.1.0"], versions["1.2.0"] });
        Assert.Contains("no previously active version", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback")), StringComparison.Ordinal);
        Assert.Equal(versions, await VersionsAsync(app));
    }

    [Fact]
    public async Task Suspension_OfThePrimaryDuringACanary_GivesTheCanaryEveryCustomer_AndRollbackNeverRevivesAPulledCanary()
    {
        await using var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await RegisterAsync(app, "1.2.0");
        // 1.1.0 tried as a canary and pulled; then 1.2.0 as a canary beside 1.0.1.
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline", canaryPercent: 10);
        using (var pulled = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        await app.EvaluateAndPromoteAsync(Id, "1.2.0", "hand-timeline", canaryPercent: 50);

        // The veto rate suspends the primary (the auto-suspension's own call): nothing ran before it, so the canary serves
        // every customer, and its share says so.
        var registry = app.Services.GetRequiredService<AgentRegistry>();
        var fallback = await registry.SuspendAsync(Id, "1.0.1", "system:auto-suspension", "veto rate 0.55 > 0.3");
        Assert.Equal(("1.2.0", 100), (fallback?.Version, fallback?.CanaryPercent));
        var versions = await VersionsAsync(app);
        Assert.Equal([("suspended", 100), ("retired", 10), ("active", 100)], new[] { versions["1.0.1"], versions["1.1.0"], versions["1.2.0"] });
        var takeover = (await app.GetJsonAsync($"/v1/audit?subject=agent:{Id}@1.2.0&action=agent.active")).GetProperty("items")[0];
        Assert.Equal("system:auto-suspension", takeover.GetProperty("actor").GetString());
        Assert.Equal(100, takeover.GetProperty("data").GetProperty("canaryPercent").GetInt32());

        // Undoing 1.2.0 would bring back what ran before it: 1.0.1 is suspended, and the pulled canary 1.1.0 replaced nothing.
        Assert.Contains("no previously active version", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback")), StringComparison.Ordinal);
        Assert.Equal(versions, await VersionsAsync(app));
    }

    [Fact]
    public async Task Promote_CanaryOutOfRange_Is400NamingTheField_AndTheRegistryRefusesItToo()
    {
        await using var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await app.EvaluateAsync(Id, "1.1.0", "hand-timeline");
        foreach (var share in new[] { 0, 101 })
        {
            using var response = await PostAsync(app, $"/v1/agents/{Id}/versions/1.1.0/promote", $$"""{"canaryPercent":{{share}}}""");
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.Equal(["canaryPercent must be between 1 and 100."], problem.GetProperty("errors").GetProperty("canaryPercent").EnumerateArray().Select(e => e.GetString()));
        }
        // Below the front doors, one rule too: no clamping into range.
        var registry = app.Services.GetRequiredService<AgentRegistry>();
        foreach (var share in new[] { 0, 101 })
        {
            var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => registry.PromoteAsync(Id, "1.1.0", "test", canaryPercent: share));
            Assert.StartsWith("canaryPercent must be between 1 and 100.", refused.Message, StringComparison.Ordinal);
        }
        var versions = await VersionsAsync(app);
        Assert.Equal("evaluated", versions["1.1.0"].State);
        Assert.Equal(("active", 100), versions["1.0.1"]);
    }

    [Fact]
    public async Task Unregister_IsFinal_RollbackAfterwardsIs409_ANewVersionStartsAFreshHistory()
    {
        await using var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        using (var deleted = await app.Client.DeleteAsync($"/v1/agents/{Id}"))
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        Assert.Contains("was unregistered", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback")), StringComparison.Ordinal);
        Assert.Contains("is retired", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/versions/1.1.0/promote", "{}")), StringComparison.Ordinal);
        Assert.Contains("is retired", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/versions/1.0.1/shadow")), StringComparison.Ordinal);
        using (var again = await app.Client.DeleteAsync($"/v1/agents/{Id}"))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("was unregistered", await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback")), StringComparison.Ordinal);
        var agent = await app.GetJsonAsync($"/v1/agents/{Id}");
        Assert.Equal(JsonValueKind.Null, agent.GetProperty("activeVersion").ValueKind);
        Assert.All(agent.GetProperty("versions").EnumerateArray(), v => Assert.Equal("retired", v.GetProperty("state").GetString()));
        await app.PostEventsAsync(Timelines.AtRisk("after-unregister", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        Assert.Empty(await app.BriefsAsync($"&customerId=after-unregister&agentId={Id}"));

        // A new version may start the agent again; rollback still does not reach back past the unregister.
        await RegisterAsync(app, "2.0.0");
        await app.EvaluateAndPromoteAsync(Id, "2.0.0", "hand-timeline");
        // The advice fits what serves: 2.0.0 is that new version, so the answer does not ask for another.
        var detail = await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback"));
        Assert.Contains($"{Id}@2.0.0 is the first version since {Id} was unregistered", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Register a new version", detail, StringComparison.Ordinal);
        var versions = await VersionsAsync(app);
        Assert.Equal(("active", 100), versions["2.0.0"]);
        Assert.Equal(["retired", "retired"], new[] { versions["1.0.1"].State, versions["1.1.0"].State });
        var audit = await app.GetJsonAsync($"/v1/audit?subject=agent:{Id}&action=agent.unregistered");
        Assert.Single(audit.GetProperty("items").EnumerateArray());
    }

    /// <summary>1.1.0 promoted and rolled back by ops; then 1.0.1, the version it was rolled back to, suspended with nothing to hand over to.</summary>
    private static async Task<AgentCrmApp> StartWithARolledBackVersionAndNothingActiveAsync()
    {
        var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        using (var back = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Null(await app.Services.GetRequiredService<AgentRegistry>().SuspendAsync(Id, "1.0.1", "system:auto-suspension", "veto rate 0.55 > 0.5"));
        return app;
    }

    [Fact]
    public async Task Rollback_WithNothingActiveAfterASuspension_Is409_AndNeverRevivesTheVersionOpsRolledBack()
    {
        await using var app = await StartWithARolledBackVersionAndNothingActiveAsync();

        var detail = await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback"));
        Assert.Contains("no previously active version", detail, StringComparison.Ordinal);
        Assert.Contains($"{Id}@1.0.1 is suspended", detail, StringComparison.Ordinal);
        var versions = await VersionsAsync(app);
        Assert.Equal(["suspended", "retired"], new[] { versions["1.0.1"].State, versions["1.1.0"].State });
    }

    [Fact]
    public async Task Rollback_AndAutoSuspension_OfAVersionThatReplacedNothing_NeverReviveTheVersionOpsRolledBack()
    {
        await using var app = await StartWithARolledBackVersionAndNothingActiveAsync();
        // 1.2.0 is promoted while nothing is active: it replaced nothing.
        await RegisterAsync(app, "1.2.0");
        await app.EvaluateAndPromoteAsync(Id, "1.2.0", "hand-timeline");

        var detail = await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback"));
        Assert.Contains("no previously active version", detail, StringComparison.Ordinal);
        Assert.Equal(("active", 100), (await VersionsAsync(app))["1.2.0"]);

        // Nor does the veto rate's suspension of 1.2.0 hand its customers over to 1.1.0, with nobody asking.
        var fallback = await app.Services.GetRequiredService<AgentRegistry>().SuspendAsync(Id, "1.2.0", "system:auto-suspension", "veto rate 0.55 > 0.5");
        Assert.Null(fallback);
        var versions = await VersionsAsync(app);
        Assert.Equal(["suspended", "retired", "suspended"], new[] { versions["1.0.1"].State, versions["1.1.0"].State, versions["1.2.0"].State });
    }

    [Fact]
    public async Task Rollback_OfACanaryThatTookOverFromASuspendedPrimary_Is409NamingThePrimary_NotTheVersionOpsRolledBack()
    {
        await using var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await RegisterAsync(app, "1.2.0");
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        using (var back = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        await app.EvaluateAndPromoteAsync(Id, "1.2.0", "hand-timeline", canaryPercent: 10);
        // The primary 1.0.1 is suspended; nothing ran before it, so the canary takes every customer.
        var fallback = await app.Services.GetRequiredService<AgentRegistry>().SuspendAsync(Id, "1.0.1", "system:auto-suspension", "veto rate 0.55 > 0.5");
        Assert.Equal(("1.2.0", 100), (fallback?.Version, fallback?.CanaryPercent));

        // What 1.2.0 took over from is suspended: promote it to resume it; 1.1.0, rolled back by ops, stays retired.
        var detail = await ConflictDetailAsync(await PostAsync(app, $"/v1/agents/{Id}/rollback"));
        Assert.Contains($"{Id}@1.0.1 is suspended", detail, StringComparison.Ordinal);
        var versions = await VersionsAsync(app);
        Assert.Equal([("suspended", 100), ("retired", 100), ("active", 100)], new[] { versions["1.0.1"], versions["1.1.0"], versions["1.2.0"] });
    }

    [Fact]
    public async Task Promote_OfThePrimaryAt100DuringACanary_RetiresTheCanary_Audited_AndKeepsTheRollbackHistory()
    {
        await using var app = await StartWithCasesAsync();
        await RegisterAsync(app, "1.1.0");
        await RegisterAsync(app, "1.2.0");
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        await app.EvaluateAndPromoteAsync(Id, "1.2.0", "hand-timeline", canaryPercent: 10);

        using (var promote = await PostAsync(app, $"/v1/agents/{Id}/versions/1.1.0/promote", "{}"))
        {
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
            var serving = JsonDocument.Parse(await promote.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("1.1.0", "active", 100), (serving.GetProperty("version").GetString(), serving.GetProperty("state").GetString(), serving.GetProperty("canaryPercent").GetInt32()));
        }
        var versions = await VersionsAsync(app);
        Assert.Equal([("retired", 100), ("active", 100), ("retired", 10)], new[] { versions["1.0.1"], versions["1.1.0"], versions["1.2.0"] });
        var retired = (await app.GetJsonAsync($"/v1/audit?subject=agent:{Id}@1.2.0&action=agent.retired")).GetProperty("items");
        Assert.Single(retired.EnumerateArray());
        Assert.Contains("1.1.0 serves every customer", retired[0].GetProperty("data").GetProperty("reason").GetString(), StringComparison.Ordinal);
        // 1.1.0 was not promoted again (no transition of its own): a rollback still undoes its promotion over 1.0.1.
        Assert.Single((await app.GetJsonAsync($"/v1/audit?subject=agent:{Id}@1.1.0&action=agent.active")).GetProperty("items").EnumerateArray());
        using (var rollback = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
            Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        versions = await VersionsAsync(app);
        Assert.Equal(["active", "retired", "retired"], new[] { versions["1.0.1"].State, versions["1.1.0"].State, versions["1.2.0"].State });
    }

    /// <summary>
    /// rev45a: 1.1.0 suspended with nothing to hand over to; 1.2.0 promoted then (it replaced nothing); 1.1.0 promoted again over
    /// 1.2.0 and rolled back by ops (1.2.0 serves again). "Not retired now" is no proof that the newest entry was replaced by the
    /// current version: 1.1.0's suspension is still the newest entry before 1.2.0's promotion, and 1.1.0 is retired now — by the
    /// rollback that took it back — so a second rollback, or 1.2.0's suspension, brings back the version ops rolled back.
    /// </summary>
    private static async Task<AgentCrmApp> StartWithAVersionRolledBackAfterItsSuspensionAsync()
    {
        var app = await StartWithCasesAsync();
        var registry = app.Services.GetRequiredService<AgentRegistry>();
        await RegisterAsync(app, "1.1.0");
        await RegisterAsync(app, "1.2.0");
        // 1.0.1 suspended with nothing before it: nothing active. 1.1.0 promoted, then suspended: nothing before it serves either.
        Assert.Null(await registry.SuspendAsync(Id, "1.0.1", "system:auto-suspension", "veto rate 0.55 > 0.5"));
        await app.EvaluateAndPromoteAsync(Id, "1.1.0", "hand-timeline");
        Assert.Null(await registry.SuspendAsync(Id, "1.1.0", "system:auto-suspension", "veto rate 0.55 > 0.5"));
        // 1.2.0 promoted while nothing is active (it replaced nothing); then ops resume 1.1.0 over it, and roll that back.
        await app.EvaluateAndPromoteAsync(Id, "1.2.0", "hand-timeline");
        using (var resumed = await PostAsync(app, $"/v1/agents/{Id}/versions/1.1.0/promote", "{}"))
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        using (var back = await PostAsync(app, $"/v1/agents/{Id}/rollback"))
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        var versions = await VersionsAsync(app);
        Assert.Equal(["retired", "active"], new[] { versions["1.1.0"].State, versions["1.2.0"].State });
        return app;
    }

    [Fact]
    public async Task Rollback_AfterOpsRolledBackAResumedVersion_NeverRevivesIt()
    {
        await using var app = await StartWithAVersionRolledBackAfterItsSuspensionAsync();

        using var response = await PostAsync(app, $"/v1/agents/{Id}/rollback");
        var body = await response.Content.ReadAsStringAsync();
        var versions = await VersionsAsync(app);
        // Today: 200 "rollback: 1.2.0 rolled back to 1.1.0" — the version ops rolled back one call earlier serves again.
        Assert.Equal("retired", versions["1.1.0"].State);
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, body);
    }

    [Fact]
    public async Task AutoSuspension_AfterOpsRolledBackAResumedVersion_DoesNotHandOverToIt()
    {
        await using var app = await StartWithAVersionRolledBackAfterItsSuspensionAsync();

        var fallback = await app.Services.GetRequiredService<AgentRegistry>().SuspendAsync(Id, "1.2.0", "system:auto-suspension", "veto rate 0.55 > 0.5");
        // Today: fallback 1.1.0, re-activated by system:auto-suspension.
        Assert.Null(fallback?.Version);
        Assert.Equal("retired", (await VersionsAsync(app))["1.1.0"].State);
    }
}
