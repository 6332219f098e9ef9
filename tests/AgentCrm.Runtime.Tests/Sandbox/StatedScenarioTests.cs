using System.Net;
using System.Text;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.Rules;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// A version is evaluated on cases of the scenario its manifest states, whatever its kind: a rules agent for
/// expansion-opportunity evaluated on telco-churn (renewal-risk labels) was accepted and failed its gate with precision 0.
/// A set that states no scenario (a timeline with its labels) serves any version.
/// </summary>
public sealed class StatedScenarioTests
{
    private static string Example() => File.ReadAllText(Path.Combine(ManifestSchemaTests.RepositoryRoot(), "agents/examples/expansion-opportunity.yaml"));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Evaluate_RulesAgentOnAnotherScenariosCaseSet_Is400NamingCaseSet_NamedOrUploaded_StoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var registered = await app.Client.PostAsync("/v1/agents", new StringContent(Example(), Encoding.UTF8, "application/yaml")))
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());

        using var named = await app.Client.PostAsync("/v1/agents/expansion-opportunity/versions/1.0.0/evaluate", Json("""{"caseSet":"telco-churn"}"""));
        var message = (await named.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString()!;
        Assert.Contains("holds renewal-risk cases", message, StringComparison.Ordinal);
        Assert.Contains("expansion-opportunity cases only", message, StringComparison.Ordinal);

        var setsBefore = (await app.GetJsonAsync("/v1/cases")).GetProperty("items").GetArrayLength();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("id,tenure,churned\nc1,3,1\nc2,40,0\n"), "cases", "churn.csv" },
            { new StringContent("""
                name: churn
                scenario: renewal-risk
                id: id
                label: { column: churned, positive: "1" }
                fields:
                  - { column: tenure, field: tenure.days, type: number }
                """), "mapping", "churn.yaml" },
        };
        using var uploaded = await app.Client.PostAsync("/v1/agents/expansion-opportunity/versions/1.0.0/evaluate", form);
        Assert.Contains("expansion-opportunity cases only", (await uploaded.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("mapping")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(setsBefore, (await app.GetJsonAsync("/v1/cases")).GetProperty("items").GetArrayLength());
        Assert.Empty((await app.GetJsonAsync("/v1/jobs")).GetProperty("items").EnumerateArray());

        // A timeline with its labels states no scenario: the user's own set of the agent's scenario.
        var (ndjson, labels) = CaseFiles.Timeline(10, DateTimeOffset.UtcNow.AddDays(-1));
        using var timeline = new MultipartFormDataContent
        {
            { new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"), "cases", "events.ndjson" },
            { new StringContent(labels, Encoding.UTF8, "text/csv"), "labels", "labels.csv" },
        };
        using var accepted = await app.Client.PostAsync("/v1/agents/expansion-opportunity/versions/1.0.0/evaluate", timeline);
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Evaluate_ABuiltInKindsVersionStatingAnotherScenario_IsRefusedItsKindsCaseSet()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var manifest = System.Text.Json.Nodes.JsonNode.Parse((await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1")).GetProperty("manifest").GetRawText())!.AsObject();
        manifest["version"] = "1.5.0";
        manifest["scenario"] = "churn-watch";
        using (var registered = await app.Client.PostAsync("/v1/agents", Json(manifest.ToJsonString())))
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());

        using var named = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.5.0/evaluate", Json("""{"caseSet":"telco-churn"}"""));

        Assert.Contains("churn-watch cases only", (await named.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliEvaluate_RulesAgentOnAnotherScenariosCaseSet_ExitsOneWithOneLine_AndStoresNoReport()
    {
        var dir = TempDirectory.Create();
        var manifest = Path.Combine(dir, "expansion-opportunity.yaml");
        await File.WriteAllTextAsync(manifest, Example());
        var registered = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);
        Assert.True(registered.ExitCode == 0, registered.Stderr);

        var refused = await CliRunner.RunAsync(["agents", "evaluate", "expansion-opportunity@1.0.0", "--cases", "telco-churn", "--data", dir]);

        Assert.True(refused.ExitCode == 1, $"exit {refused.ExitCode}: {refused.Stdout} {refused.Stderr}");
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.Contains("expansion-opportunity cases only", refused.Stderr, StringComparison.Ordinal);
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        Assert.Contains("\"registered\"", list.Stdout, StringComparison.Ordinal);

        // A case file of another scenario is refused before it is stored as an upload.
        var sandbox = Path.Combine(AppContext.BaseDirectory, "sandbox");
        var uploaded = await CliRunner.RunAsync(["agents", "evaluate", "expansion-opportunity@1.0.0", "--cases-file", Path.Combine(sandbox, "data", "churn", "uci-iranian-churn", "Customer_Churn.csv"),
            "--mapping", Path.Combine(sandbox, "mappings", "iranian-churn.yaml"), "--data", dir]);
        Assert.True(uploaded.ExitCode == 1, $"exit {uploaded.ExitCode}: {uploaded.Stdout} {uploaded.Stderr}");
        Assert.Single(uploaded.Stderr.Trim().Split('\n'));
        var cases = await CliRunner.RunAsync(["cases", "list", "--data", dir]);
        Assert.DoesNotContain("upload:", cases.Stdout, StringComparison.Ordinal);
    }
}
