using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>Agents:MaxManifestBytes, and the one nesting rule (32 levels, no YAML aliases) for every body, in and out of process.</summary>
public sealed class BodyLimitsTests
{
    private const string SmallManifest = """
        {"id":"limit-agent","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps"],
         "reads":["nps.latest"],"purpose":"customer-success","threshold":0.5}
        """;

    private static readonly string AliasBomb = YamlBombs.Aliases("id: bomb-agent\nversion: 1.0.0");

    private static readonly string HundredThousandBrackets = "id: deep-agent\nparameters: " + new string('[', 100_000) + "\n";

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>An events body whose attributes make the whole document <paramref name="depth"/> levels deep.</summary>
    private static string EventsAtDepth(int depth, string id) =>
        $$$"""[{"id":"{{{id}}}","customerId":"deep","type":"nps","occurredAt":"2026-01-05T10:00:00Z","source":"test","attributes":{"score":8,"deep":{{{new string('[', depth - 3)}}}1{{{new string(']', depth - 3)}}}}}]""";

    /// <summary>The fitted compliance-check manifest that ships with AgentCrm (~2 MB), as a new version.</summary>
    private static string ShippedComplianceManifest(string version)
    {
        var assembly = typeof(BuiltInKinds).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".compliance-check.json", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        var node = JsonNode.Parse(stream)!;
        node["version"] = version;
        return node.ToJsonString();
    }

    [Fact]
    public async Task RegisterAgent_TheShippedTwoMegabyteManifest_IsAcceptedWithTheDefaultLimit()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var manifest = ShippedComplianceManifest("1.0.99");
        Assert.True(manifest.Length > 1024 * 1024 * 3 / 2, $"the shipped manifest is {manifest.Length} bytes");

        using var response = await app.Client.PostAsync("/v1/agents", Json(manifest));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        Assert.Equal("registered", (await app.GetJsonAsync("/v1/agents/compliance-check")).GetProperty("versions").EnumerateArray()
            .Single(v => v.GetProperty("version").GetString() == "1.0.99").GetProperty("state").GetString());
    }

    [Fact]
    public async Task RegisterAgent_OverAConfiguredLimit_Is413NamingTheSetting_RegistersNothing()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Agents:MaxManifestBytes"] = "2048" });
        var padded = SmallManifest.Replace("\"threshold\":0.5}", $"\"threshold\":0.5,\"description\":\"{new string('x', 2048)}\"}}", StringComparison.Ordinal);

        var problem = await (await app.Client.PostAsync("/v1/agents", Json(padded))).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Agents:MaxManifestBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("2048", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using (var missing = await app.Client.GetAsync("/v1/agents/limit-agent"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var small = await app.Client.PostAsync("/v1/agents", Json(SmallManifest));
        Assert.Equal(HttpStatusCode.Created, small.StatusCode);
    }

    [Theory]
    [InlineData("512")]
    [InlineData("268435457")]
    [InlineData("-1")]
    public async Task Startup_MaxManifestBytesOutOfRange_FailsNamingTheSetting(string value)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Agents:MaxManifestBytes"] = value }));
        Assert.Contains("Agents:MaxManifestBytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bodies_JsonDeeperThan32_Are400_At32Accepted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var accepted = await app.Client.PostAsync("/v1/events", Json(EventsAtDepth(JsonBody.MaxDepth, "deep-32"))))
            Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
        var events = await (await app.Client.PostAsync("/v1/events", Json(EventsAtDepth(JsonBody.MaxDepth + 1, "deep-33")))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("depth of 32", events.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);

        var manifest = SmallManifest.Replace("\"threshold\":0.5}", $"\"threshold\":0.5,\"parameters\":{{\"weights\":{new string('[', 31)}{new string(']', 31)}}}}}", StringComparison.Ordinal);
        var problem = await (await app.Client.PostAsync("/v1/agents", Json(manifest))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("line 2", problem.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);

        var evaluate = await (await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate",
            Json($$"""{"caseSet":{{new string('[', 32)}}"telco-churn"{{new string(']', 32)}}}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("32 levels", evaluate.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestReader_DeepYamlAndAliasBomb_ThrowManifestErrorsWithTheLine()
    {
        var deep = Assert.Throws<ManifestException>(() => ManifestReader.Parse(HundredThousandBrackets, "application/yaml"));
        Assert.Contains("line 2", deep.Errors["$"][0], StringComparison.Ordinal);
        Assert.Contains("32 levels", deep.Errors["$"][0], StringComparison.Ordinal);

        var bomb = Assert.Throws<ManifestException>(() => ManifestReader.Parse(AliasBomb, "application/yaml"));
        Assert.Contains("line 3", bomb.Errors["$"][0], StringComparison.Ordinal);
        Assert.Contains("anchors", bomb.Errors["$"][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerProcess_DeepYamlAndAliasBomb_Are400_AndTheServerStaysUp()
    {
        var dir = TempDirectory.Create();
        using var server = await ServerProcess.StartAsync(dir);
        using var http = server.CreateClient();

        var deep = await (await http.PostAsync("/v1/agents", Yaml(HundredThousandBrackets))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("line 2", deep.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
        var bomb = await (await http.PostAsync("/v1/agents", Yaml(AliasBomb))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("line 3", bomb.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
        var mapping = new MultipartFormDataContent
        {
            { new StringContent("id,tenure,churned\nd1,3,1\n", Encoding.UTF8, "text/csv"), "cases", "cases.csv" },
            { new StringContent("name: deep\nfields: " + new string('[', 100_000) + "\n", Encoding.UTF8, "application/yaml"), "mapping", "mapping.yaml" },
        };
        var upload = await (await http.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", mapping)).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("mapping.yaml line 2", upload.GetProperty("errors").GetProperty("mapping")[0].GetString(), StringComparison.Ordinal);

        using var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(System.Diagnostics.Process.GetProcessById(server.Id).HasExited);
    }
}
