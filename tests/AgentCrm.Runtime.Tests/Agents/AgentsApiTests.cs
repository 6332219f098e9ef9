using System.Net;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Agents;

public sealed class AgentsApiTests
{
    private const string Manifest = """
        {
          "id": "churn-watch",
          "version": "1.0.0",
          "kind": "renewal-risk",
          "scenario": "renewal-risk",
          "subscribes": ["usage", "nps"],
          "reads": ["usage.trend30d", "nps.latest"],
          "purpose": "customer-success",
          "threshold": 0.7,
          "gate": { "minCases": 100, "minPrecision": 0, "minRecall": 0 },
          "vetoPolicy": "reviewBeforeDelivery",
          "knowledgeQuery": "churn",
          "parameters": { "intercept": -2.5 }
        }
        """;

    [Fact]
    public async Task Register_JsonAndYaml_ReturnsContentHashAndState_SameContentIsIdempotent()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var created = await app.Client.PostAsync("/v1/agents", new StringContent(Manifest, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/agents/churn-watch", created.Headers.Location?.OriginalString);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("registered", body.GetProperty("state").GetString());
        var hash = body.GetProperty("contentHash").GetString()!;
        Assert.StartsWith("sha256:", hash, StringComparison.Ordinal);

        // The same manifest in YAML, keys in another order: same content, same hash, nothing new.
        const string yaml = """
            version: 1.0.0
            id: churn-watch
            kind: renewal-risk
            scenario: renewal-risk
            subscribes: [usage, nps]
            reads: [usage.trend30d, nps.latest]
            purpose: customer-success
            threshold: 0.7
            gate: { minCases: 100, minPrecision: 0, minRecall: 0 }
            vetoPolicy: reviewBeforeDelivery
            knowledgeQuery: churn
            parameters:
              intercept: -2.5
            """;
        var again = await app.Client.PostAsync("/v1/agents", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(hash, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("contentHash").GetString());

        var changed = Manifest.Replace("0.7", "0.8", StringComparison.Ordinal);
        var conflict = await app.Client.PostAsync("/v1/agents", new StringContent(changed, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        // The field at fault is named: the version, which holds other content for good.
        var conflictErrors = JsonDocument.Parse(await conflict.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("versions are immutable", conflictErrors.GetProperty("version")[0].GetString(), StringComparison.Ordinal);

        var list = await app.GetJsonAsync("/v1/agents");
        var ids = list.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToList();
        Assert.Equal(["churn-watch", .. BuiltInIds], ids);
        var one = await app.GetJsonAsync("/v1/agents/churn-watch");
        Assert.Equal(JsonValueKind.Null, one.GetProperty("activeVersion").ValueKind);
    }

    public static TheoryData<string, string, string> BadManifests() => new()
    {
        { "malformed JSON", "{\"id\": ", "$" },
        { "malformed YAML", "id: [unclosed", "$" },
        { "missing kind", """{"id":"a-b","version":"1.0.0"}""", "$" },
        { "bad id", Manifest.Replace("churn-watch", "Churn Watch!", StringComparison.Ordinal), "id" },
        { "bad version", Manifest.Replace("\"1.0.0\"", "\"one\"", StringComparison.Ordinal), "version" },
        { "unknown kind", Manifest.Replace("\"kind\": \"renewal-risk\"", "\"kind\": \"crystal-ball\"", StringComparison.Ordinal), "kind" },
        { "unknown event type", Manifest.Replace("\"usage\", \"nps\"", "\"usage\", \"telepathy\"", StringComparison.Ordinal), "subscribes[1]" },
        { "unknown field", Manifest.Replace("\"nps.latest\"]", "\"mood.today\"]", StringComparison.Ordinal), "reads[1]" },
        { "threshold out of range", Manifest.Replace("0.7", "1.7", StringComparison.Ordinal), "threshold" },
        { "bad veto policy", Manifest.Replace("reviewBeforeDelivery", "never", StringComparison.Ordinal), "vetoPolicy" },
        { "unknown top-level field", Manifest.Replace("\"purpose\"", "\"purpos\": 1, \"purpose\"", StringComparison.Ordinal), "purpos" },
        { "bad parameter", Manifest.Replace("\"intercept\": -2.5", "\"intercept\": \"low\"", StringComparison.Ordinal), "parameters.intercept" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public async Task Register_BadManifest_Is400WithTheFieldAndRegistersNothing(string name, string body, string field)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var response = await app.Client.PostAsync("/v1/agents", new StringContent(body, Encoding.UTF8, name.Contains("YAML", StringComparison.Ordinal) ? "application/yaml" : "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"{name}: expected an error for '{field}' in {text}");
        var agents = await app.GetJsonAsync("/v1/agents");
        Assert.Equal(BuiltInIds, agents.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Lifecycle_PromoteRetiresPreviousActive_UnregisterRetiresAll_UnknownIs404()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.Client.PostAsync("/v1/agents", new StringContent(Manifest, Encoding.UTF8, "application/json"));
        var v2 = Manifest.Replace("1.0.0", "1.1.0", StringComparison.Ordinal);
        await app.Client.PostAsync("/v1/agents", new StringContent(v2, Encoding.UTF8, "application/json"));

        await app.EvaluateAndPromoteAsync("churn-watch", "1.0.0");
        await app.EvaluateAndPromoteAsync("churn-watch", "1.1.0");
        var agent = await app.GetJsonAsync("/v1/agents/churn-watch");
        Assert.Equal("1.1.0", agent.GetProperty("activeVersion").GetString());
        var states = agent.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("state").GetString());
        Assert.Equal("retired", states["1.0.0"]);
        Assert.Equal("active", states["1.1.0"]);

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.PostAsync("/v1/agents/churn-watch/versions/9.9.9/promote", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/nobody")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.DeleteAsync("/v1/agents/nobody")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.PostAsync("/v1/agents/churn-watch/versions/1.1.0/promote", new StringContent("{\"canaryPercent\":\"all\"}", Encoding.UTF8, "application/json"))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/churn-watch")).StatusCode);
        agent = await app.GetJsonAsync("/v1/agents/churn-watch");
        Assert.All(agent.GetProperty("versions").EnumerateArray(), v => Assert.Equal("retired", v.GetProperty("state").GetString()));
        Assert.Equal(BuiltInIds.Length, (await app.GetJsonAsync("/readyz")).GetProperty("activeAgents").GetInt32());
    }

    [Fact]
    public async Task Registry_SurvivesRestart_AndBuiltInIsNotReRegistered()
    {
        var dir = TempDirectory.Create();
        await using (var first = await AgentCrmApp.StartAsync(dir))
        {
            await first.Client.PostAsync("/v1/agents", new StringContent(Manifest, Encoding.UTF8, "application/json"));
            await first.EvaluateAndPromoteAsync("churn-watch", "1.0.0");
            await first.Client.DeleteAsync("/v1/agents/renewal-risk");
        }
        await using var second = await AgentCrmApp.StartAsync(dir);
        Assert.Equal("1.0.0", (await second.GetJsonAsync("/v1/agents/churn-watch")).GetProperty("activeVersion").GetString());
        Assert.Equal("retired", (await second.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions")[0].GetProperty("state").GetString());
        // churn-watch and the built-ins other than renewal-risk.
        Assert.Equal(BuiltInIds.Length, (await second.GetJsonAsync("/readyz")).GetProperty("activeAgents").GetInt32());
    }

    /// <summary>The agents every new install registers and activates (renewal-risk, compliance-check, tender-detection), sorted.</summary>
    internal static string[] BuiltInIds => [.. global::AgentCrm.Agents.BuiltInKinds.All.Select(k => k.BuiltIn?.Id).OfType<string>().Order(StringComparer.Ordinal)];
}
